// Autograd semantics: leaves and non-leaves, accumulation, NoGradGuard, freed graphs,
// explicit gradients, and the gradient checker itself.
#include <catch2/catch.hpp>

#include <memory>

#include <ember/ember.hpp>

#include "tensor_match.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using ember::Shape;
using ember::Tensor;
using ember_test::mismatch;

namespace {
Tensor<double> param(const std::vector<double>& values) {
  auto t = ember::from_vector<double>(values);
  t.requires_grad_();
  return t;
}
}  // namespace

TEST_CASE("ops on tensors requiring grad record a graph", "[autograd]") {
  auto x = param({1, 2});
  auto c = ember::ones<double>({2});
  CHECK(x.is_leaf());
  CHECK(x.requires_grad());
  CHECK_FALSE(c.requires_grad());
  auto y = x * c;
  CHECK(y.requires_grad());
  CHECK_FALSE(y.is_leaf());
  REQUIRE(y.grad_fn() != nullptr);
  CHECK(y.grad_fn()->name == "mul");
  auto z = c * c;
  CHECK_FALSE(z.requires_grad());
  CHECK(z.is_leaf());
}

TEST_CASE("backward of a scalar fills the leaves' grad", "[autograd]") {
  auto x = param({1, 2, 3});
  auto loss = (x * x).sum();  // d/dx = 2x
  loss.backward();
  CHECK(mismatch(x.grad(), {2, 4, 6}) == "");
}

TEST_CASE("non-leaf tensors keep no grad unless retain_grad() is called", "[autograd]") {
  auto x = param({1, 2});
  auto y = x * 3.0;
  auto z = y * y;
  auto w = x * 2.0;
  w.retain_grad();
  auto loss = z.sum() + w.sum();
  y.retain_grad();
  loss.backward();
  CHECK_FALSE(z.grad().defined());
  CHECK(mismatch(y.grad(), {6, 12}) == "");  // dz/dy = 2y = 2 * 3x
  CHECK(mismatch(w.grad(), {1, 1}) == "");
  CHECK(mismatch(x.grad(), {18 + 2, 36 + 2}) == "");
  CHECK_THROWS_WITH(ember::ones<double>({1}).retain_grad(),
                    Equals("Tensor::retain_grad: tensor does not require grad"));
}

TEST_CASE("gradients add up over every use of a tensor (diamond graph)", "[autograd]") {
  auto x = param({2, -1});
  auto a = x * x;        // 2x
  auto b = x * 3.0;      // 3
  auto c = ember::exp(x);  // e^x
  auto loss = (a + b + c * a).sum();  // d/dx = 2x + 3 + e^x x^2 + e^x 2x
  loss.backward();
  std::vector<double> expected;
  for (double v : {2.0, -1.0}) expected.push_back(2 * v + 3 + std::exp(v) * v * v + std::exp(v) * 2 * v);
  CHECK(mismatch(x.grad(), expected, 1e-12) == "");
}

TEST_CASE("gradients accumulate across backward calls until zeroed", "[autograd]") {
  auto x = param({1, 1});
  (x * 2.0).sum().backward();
  (x * 5.0).sum().backward();
  CHECK(mismatch(x.grad(), {7, 7}) == "");
  auto held = x.grad();
  x.zero_grad();
  CHECK(mismatch(x.grad(), {0, 0}) == "");
  CHECK(mismatch(held, {0, 0}) == "");  // zero_grad keeps the buffer
  (x * 1.0).sum().backward();
  CHECK(mismatch(held, {1, 1}) == "");  // and accumulates into it in place
  x.reset_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("a gradient stored in .grad never aliases another tensor", "[autograd]") {
  auto x = param({1, 2});
  auto y = param({3, 4});
  (x + y).sum().backward();  // add's backward hands the same gradient to both inputs
  x.grad().at(0) = 100;
  CHECK(y.grad().at(0) == 1.0);
}

TEST_CASE("NoGradGuard records nothing and restores the previous mode", "[autograd]") {
  auto x = param({1, 2});
  {
    ember::NoGradGuard guard;
    CHECK_FALSE(ember::GradMode::is_enabled());
    auto y = x * x;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
    {
      ember::NoGradGuard nested;
    }
    CHECK_FALSE(ember::GradMode::is_enabled());
    CHECK_THROWS_WITH(y.sum().backward(), Contains("backward: tensor does not require grad"));
  }
  CHECK(ember::GradMode::is_enabled());
  CHECK((x * x).requires_grad());
}

TEST_CASE("backward errors are clear", "[autograd]") {
  auto c = ember::ones<double>({2});
  CHECK_THROWS_WITH(c.sum().backward(),
                    Equals("backward: tensor does not require grad and has no grad_fn (did you forget "
                           "requires_grad_(), or run under NoGradGuard?)"));
  auto x = param({1, 2});
  auto y = x * 2.0;
  CHECK_THROWS_WITH(y.backward(), Equals("backward: a gradient can be created implicitly only for one-element "
                                         "outputs, got shape [2]; pass the gradient explicitly"));
  CHECK_THROWS_WITH(y.backward(ember::ones<double>({3})),
                    Equals("backward: expected a gradient of shape [2], got [3]"));
  CHECK_THROWS_AS(ember::from_vector<std::int64_t>({1}).requires_grad_(), ember::ValueError);
  CHECK_THROWS_WITH(y.requires_grad_(false), Equals("Tensor::requires_grad_: cannot clear requires_grad of a "
                                                    "non-leaf tensor (use detach())"));
}

TEST_CASE("backward of a non-scalar takes the output gradient explicitly", "[autograd]") {
  auto x = param({1, 2, 3});
  auto y = x * x;
  y.backward(ember::from_vector<double>({1, 10, 100}));
  CHECK(mismatch(x.grad(), {2, 40, 600}) == "");
}

TEST_CASE("a graph is freed by backward unless retained", "[autograd]") {
  auto x = param({1, 2});
  auto loss = (ember::exp(x) * x).sum();
  loss.backward(Tensor<double>(), /*retain_graph=*/true);
  loss.backward();  // allowed: the graph was retained
  std::vector<double> once;
  for (double v : {1.0, 2.0}) once.push_back(2 * (std::exp(v) * v + std::exp(v)));
  CHECK(mismatch(x.grad(), once, 1e-12) == "");
  CHECK_THROWS_WITH(loss.backward(), Contains("backward: trying to backward through the graph of 'sum' a second "
                                              "time"));
}

TEST_CASE("graphs free themselves when their output is dropped", "[autograd]") {
  auto x = param({1, 2});
  std::weak_ptr<ember::Node<double>> node;
  {
    auto y = ember::exp(x);  // exp saves its own output: must not form a cycle
    node = y.grad_fn();
    CHECK_FALSE(node.expired());
  }
  CHECK(node.expired());
}

TEST_CASE("backward handles long chains without recursion", "[autograd]") {
  auto x = param({1});
  auto y = x;
  for (int i = 0; i < 20000; ++i) y = y + 1.0;
  y.sum().backward();
  CHECK(x.grad().item() == 1.0);
}

TEST_CASE("a leaf can be the root of backward", "[autograd]") {
  auto x = param({5});
  x.backward();
  CHECK(x.grad().item() == 1.0);
}

TEST_CASE("gradcheck passes correct gradients", "[autograd][gradcheck]") {
  ember::Generator gen(1);
  auto a = ember::randn<double>({3, 4}, gen), b = ember::randn<double>({4, 2}, gen);
  auto result = ember::gradcheck([](const auto& x) { return ember::matmul(x[0], x[1]); }, {a, b});
  INFO(result.report);
  CHECK(result.ok);
  CHECK(result.report.empty());
  CHECK(a.grad().defined() == false);  // the caller's tensors are untouched
}

TEST_CASE("gradcheck reports which input and element are wrong", "[autograd][gradcheck]") {
  // An op whose backward is deliberately wrong for element 1 of its input.
  auto broken_square = [](const Tensor<double>& x) {
    auto out = ember::map(x, [](double v) { return v * v; });
    auto x0 = x.detach();
    return ember::record<double>("broken_square", out, {x}, [x0](const Tensor<double>& g, const ember::Node<double>&) {
      auto grad = ember::detail::broadcast_binary("broken", g, x0, [](double gv, double xv) { return 2 * gv * xv; });
      grad.at(1) += 1.0;
      return std::vector<Tensor<double>>{grad};
    });
  };
  auto x = ember::from_vector<double>({1, 2, 3});
  auto result = ember::gradcheck([&](const auto& in) { return broken_square(in[0]); }, {x});
  CHECK_FALSE(result.ok);
  CHECK_THAT(result.report, Contains("input 0 (shape [3]), element [1]: analytic"));
  CHECK_THAT(result.report, Contains("numeric"));
  CHECK_THAT(result.report, !Contains("element [0]"));
}

TEST_CASE("gradcheck notices an output that recorded no graph", "[autograd][gradcheck]") {
  auto x = ember::from_vector<double>({1, 2});
  auto result = ember::gradcheck([](const auto& in) { return in[0].detach(); }, {x});
  CHECK_FALSE(result.ok);
  CHECK_THAT(result.report, Contains("does not require grad"));
}

namespace {
// The custom-op recipe of docs/api.md, kept compiling and correct here.
template <class T>
Tensor<T> square(const Tensor<T>& x) {
  auto out = ember::map(x, [](T v) { return v * v; });
  auto x0 = x.detach();
  return ember::record<T>("square", out, {x}, [x0](const Tensor<T>& g, const ember::Node<T>& self) {
    Tensor<T> gx;
    if (self.needs_grad(0)) gx = g * x0 * T(2);
    return std::vector<Tensor<T>>{gx};
  });
}
}  // namespace

TEST_CASE("the custom op recipe of the user guide works", "[autograd][docs]") {
  ember::Generator gen(3);
  auto result = ember::gradcheck([](const auto& in) { return square(in[0]); }, {ember::randn<double>({3, 4}, gen)});
  INFO(result.report);
  CHECK(result.ok);
  CHECK(square(ember::from_vector<float>({3})).item() == 9.0f);
}

TEST_CASE("the README example runs", "[autograd][docs]") {
  ember::Generator gen(42);
  auto w = ember::randn<float>({3, 2}, gen).requires_grad_();
  auto b = ember::zeros<float>({2}).requires_grad_();
  auto x = ember::ones<float>({4, 3});
  auto y = ember::matmul(x, w) + b;
  auto loss = (y * y).mean();
  loss.backward();
  // Every row of y is the column sums c of w, so d mean(y^2) / db_j = 4 rows * 2 c_j / 8 elements = c_j.
  CHECK(mismatch(b.grad(), w.detach().sum(0), 1e-5) == "");
  auto before = w.detach().clone();
  {
    ember::NoGradGuard no_grad;
    w.eigen() -= 0.1f * w.grad().eigen();
    w.zero_grad();
  }
  CHECK(mismatch(w.grad(), {0, 0, 0, 0, 0, 0}) == "");
  CHECK(w.to_vector() != before.to_vector());
}

TEST_CASE("the profiler times labelled modules forward and each node's backward under its scope", "[autograd][profiler]") {
  ember::Generator gen(4);
  ember::nn::Sequential<float> net;
  net.add(std::make_shared<ember::nn::Linear<float>>(6, 5, true, gen));
  net.add(std::make_shared<ember::nn::ReLU<float>>());
  auto x = ember::randn<float>({3, 6}, gen);
  CHECK(ember::profiler::active() == nullptr);
  {
    ember::profiler::Profile profile;
    CHECK(ember::profiler::active() == &profile);
    ember::nn::label_modules(profile, net);
    ember::Tensor<float> loss;
    {
      ember::profiler::Scope scope("loss");
      loss = net(x).sum();
    }
    loss.backward();
    std::vector<std::string> forward, backward;
    for (const auto& e : profile.events()) {
      CHECK(e.seconds >= 0.0);
      (e.phase == ember::profiler::Phase::forward ? forward : backward).push_back(e.scope + "/" + e.op);
    }
    // Forward events close innermost first; the root is unlabelled.
    CHECK(forward == std::vector<std::string>{"0/0", "1/1", "loss/loss"});
    // Backward: sum (recorded in the loss scope, outside the modules), relu, linear.
    CHECK(backward == std::vector<std::string>{"loss/sum", "1/relu", "0/linear"});
  }
  CHECK(ember::profiler::active() == nullptr);
  // Without a profile nothing is labelled.
  auto y = net(x).sum();
  CHECK(y.grad_fn()->scope.empty());
}
