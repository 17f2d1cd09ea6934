// softmax, log_softmax, cross_entropy, nll_loss and mse_loss: values against naive loops in
// float and double, gradients through gradcheck in double, stability for huge logits, errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include <ember/ember.hpp>
#include <ember/ops/loss.hpp>
#include <ember/ops/softmax.hpp>

#include "random_inputs.hpp"
#include "tensor_match.hpp"

using Catch::Matchers::Equals;
using ember::index_t;
using ember::Reduction;
using ember::Shape;
using ember::Tensor;
using ember_test::mismatch;
using ember_test::randn;
using ember_test::require_gradcheck;
using ember_test::tol;

namespace {

Tensor<std::int64_t> labels(const std::vector<std::int64_t>& values) {
  return ember::from_vector<std::int64_t>(values);
}

// Random class indices in [0, classes).
std::vector<std::int64_t> random_labels(index_t n, index_t classes, ember::Generator& gen) {
  std::vector<std::int64_t> out;
  for (index_t i = 0; i < n; ++i) out.push_back(static_cast<std::int64_t>(gen.randint(std::uint64_t(classes))));
  return out;
}

// softmax (or log_softmax) along `dim` straight from the definition, in double and without
// subtracting the maximum: an independent reference for moderate inputs.
template <class T>
std::vector<double> naive_softmax(const Tensor<T>& x, int dim, bool log) {
  const std::vector<T> v = x.to_vector();
  const int d = dim < 0 ? dim + x.dim() : dim;
  const index_t n = x.size(d);
  index_t stride = 1;  // distance between neighbours along dim in row-major order
  for (int k = d + 1; k < x.dim(); ++k) stride *= x.size(k);
  std::vector<double> out;
  for (index_t k = 0; k < static_cast<index_t>(v.size()); ++k) {
    const index_t base = k - ((k / stride) % n) * stride;  // the first element of k's line
    double denom = 0;
    for (index_t j = 0; j < n; ++j) denom += std::exp(double(v[static_cast<std::size_t>(base + j * stride)]));
    const double xk = double(v[static_cast<std::size_t>(k)]);
    out.push_back(log ? xk - std::log(denom) : std::exp(xk) / denom);
  }
  return out;
}

// Per-sample -log(exp(x[t]) / sum_c exp(x[c])), from the definition.
template <class T>
std::vector<double> naive_cross_entropy(const Tensor<T>& logits, const std::vector<std::int64_t>& target) {
  std::vector<double> out;
  for (index_t i = 0; i < logits.size(0); ++i) {
    double denom = 0;
    for (index_t c = 0; c < logits.size(1); ++c) denom += std::exp(double(logits.at(i, c)));
    out.push_back(-std::log(std::exp(double(logits.at(i, target[static_cast<std::size_t>(i)]))) / denom));
  }
  return out;
}

double naive_reduce(const std::vector<double>& losses, Reduction r) {
  double total = 0;
  for (double v : losses) total += v;
  return r == Reduction::Mean ? total / double(losses.size()) : total;
}

template <class T>
bool all_finite(const Tensor<T>& t) {
  for (T v : t.to_vector())
    if (!std::isfinite(v)) return false;
  return true;
}

const std::vector<Shape>& shapes_rank_1_to_4() {
  static const std::vector<Shape> shapes{{5}, {3, 4}, {2, 3, 4}, {2, 3, 2, 3}};
  return shapes;
}

}  // namespace

// ---- softmax and log_softmax ---------------------------------------------------------------

TEMPLATE_TEST_CASE("softmax and log_softmax agree with the definition along every dimension", "[ops][softmax]",
                   float, double) {
  using T = TestType;
  ember::Generator gen(11);
  for (const Shape& shape : shapes_rank_1_to_4()) {
    Tensor<T> x = ember::randn<T>(shape, gen) * 3.0;
    for (int dim = -x.dim(); dim < x.dim(); ++dim) {
      INFO("shape " << shape << " dim " << dim);
      Tensor<T> y = ember::softmax(x, dim), ly = ember::log_softmax(x, dim);
      CHECK(y.shape() == shape);
      CHECK(ly.shape() == shape);
      CHECK(mismatch(y, naive_softmax(x, dim, false), tol<T>()) == "");
      CHECK(mismatch(ly, naive_softmax(x, dim, true), tol<T>()) == "");
    }
  }
}

TEMPLATE_TEST_CASE("softmax lines sum to one and log_softmax is their log", "[ops][softmax]", float, double) {
  using T = TestType;
  ember::Generator gen(12);
  Tensor<T> x = ember::randn<T>({4, 5, 3}, gen) * 10.0;
  for (int dim : {0, 1, 2, -1}) {
    INFO("dim " << dim);
    Tensor<T> y = ember::softmax(x, dim);
    CHECK(mismatch(y.sum(dim), ember::ones<T>(y.sum(dim).shape()), tol<T>()) == "");
    bool probabilities = true;
    for (T p : y.to_vector()) probabilities = probabilities && p >= T(0) && p <= T(1);
    CHECK(probabilities);
    CHECK(mismatch(ember::log_softmax(x, dim).exp(), y, tol<T>()) == "");
  }
}

TEMPLATE_TEST_CASE("softmax of strided inputs, scalars and empty dimensions", "[ops][softmax]", float, double) {
  using T = TestType;
  auto m = ember::from_vector<T>({1, 2, 3, 4, 5, 6}, {2, 3});
  // m.t() is [3, 2] with strides [1, 3]: same values as its contiguous copy.
  CHECK(mismatch(ember::softmax(m.t(), 1), ember::softmax(m.t().contiguous(), 1), 0) == "");
  CHECK(mismatch(ember::log_softmax(m.t(), 0), ember::log_softmax(m.t().contiguous(), 0), 0) == "");
  // Hand-checked: softmax([0, ln 3]) = [1/4, 3/4].
  CHECK(mismatch(ember::softmax(ember::from_vector<T>({0, T(std::log(3.0))}), 0), {0.25, 0.75}, tol<T>()) == "");
  // A scalar is a line of one element, as in PyTorch.
  CHECK(ember::softmax(ember::scalar_tensor<T>(3), 0).item() == T(1));
  CHECK(ember::log_softmax(ember::scalar_tensor<T>(3), -1).item() == T(0));
  CHECK(ember::softmax(ember::zeros<T>({2, 0}), 1).shape() == Shape{2, 0});
  CHECK(ember::log_softmax(ember::zeros<T>({0, 3}), 0).shape() == Shape{0, 3});
}

TEST_CASE("softmax and log_softmax stay finite and exact for logits of +-1e4 in float", "[ops][softmax]") {
  auto x = ember::from_vector<float>({1e4f, -1e4f, 0.0f});
  CHECK(mismatch(ember::softmax(x, 0), {1, 0, 0}, 0) == "");
  CHECK(mismatch(ember::log_softmax(x, 0), {0, -2e4, -1e4}, 0) == "");
  auto tie = ember::from_vector<float>({1e4f, 1e4f, -1e4f});
  CHECK(mismatch(ember::softmax(tie, 0), {0.5, 0.5, 0}, 1e-7) == "");
  CHECK(mismatch(ember::log_softmax(tie, 0), {-std::log(2.0), -std::log(2.0), -2e4 - std::log(2.0)}, 1e-7) == "");

  // Gradients with g = w: softmax's is y * (w - sum(w * y)) = 0 for a one-hot y;
  // log_softmax's is w - y * sum(w) = [w0 - sum(w), w1, w2].
  auto w = ember::from_vector<float>({0.5f, 2.0f, 3.0f});
  auto xs = ember::from_vector<float>({1e4f, -1e4f, 0.0f});
  xs.requires_grad_();
  (ember::softmax(xs, 0) * w).sum().backward();
  CHECK(mismatch(xs.grad(), {0, 0, 0}, 0) == "");
  auto xl = ember::from_vector<float>({1e4f, -1e4f, 0.0f});
  xl.requires_grad_();
  (ember::log_softmax(xl, 0) * w).sum().backward();
  CHECK(mismatch(xl.grad(), {0.5 - 5.5, 2, 3}, 1e-7) == "");
}

TEST_CASE("softmax follows PyTorch on infinite logits", "[ops][softmax]") {
  const double inf = std::numeric_limits<double>::infinity();
  auto y = ember::softmax(ember::from_vector<double>({inf, 0.0}), 0).to_vector();
  CHECK(std::isnan(y[0]));
  CHECK(y[1] == 0.0);
  auto ly = ember::log_softmax(ember::from_vector<double>({-inf, 0.0}), 0).to_vector();
  CHECK(ly[0] == -inf);  // exp(-inf) = 0 contributes nothing; the finite logit gets log(1) = 0
  CHECK(ly[1] == 0.0);
}

TEST_CASE("gradients of softmax and log_softmax", "[ops][softmax][gradcheck]") {
  for (const Shape& shape : shapes_rank_1_to_4()) {
    auto x = randn(shape);
    for (int dim = -x.dim(); dim < x.dim(); ++dim) {
      INFO("shape " << shape << " dim " << dim);
      require_gradcheck([dim](const auto& in) { return ember::softmax(in[0], dim); }, {x});
      require_gradcheck([dim](const auto& in) { return ember::log_softmax(in[0], dim); }, {x});
    }
  }
  auto m = randn({3, 4});
  require_gradcheck([](const auto& in) { return ember::softmax(in[0].t(), 1); }, {m});  // strided input
  require_gradcheck([](const auto& in) { return ember::log_softmax(in[0].t(), 0); }, {m});
  // A strided incoming gradient (transpose of the output) and a chain of both ops.
  require_gradcheck([](const auto& in) { return ember::softmax(in[0], 0).t(); }, {m});
  require_gradcheck([](const auto& in) { return ember::log_softmax(ember::softmax(in[0], -1) * 3.0, 0); }, {m});
}

TEST_CASE("softmax dimension errors name the op and the shape", "[ops][softmax]") {
  auto x = ember::zeros<float>({2, 3});
  CHECK_THROWS_WITH(ember::softmax(x, 2),
                    Equals("softmax: dimension 2 out of range for a tensor of shape [2, 3] (expected in [-2, 1])"));
  CHECK_THROWS_WITH(
      ember::log_softmax(x, -3),
      Equals("log_softmax: dimension -3 out of range for a tensor of shape [2, 3] (expected in [-2, 1])"));
  CHECK_THROWS_AS(ember::softmax(x, 5), ember::IndexError);
}

// ---- cross_entropy and nll_loss ----------------------------------------------------------------

TEMPLATE_TEST_CASE("cross_entropy agrees with the definition for every reduction", "[ops][loss]", float, double) {
  using T = TestType;
  ember::Generator gen(21);
  for (auto [n, c] : std::vector<std::pair<index_t, index_t>>{{1, 1}, {6, 5}, {33, 10}}) {
    INFO("N " << n << " C " << c);
    Tensor<T> logits = ember::randn<T>({n, c}, gen) * 2.0;
    auto target = random_labels(n, c, gen);
    const auto expected = naive_cross_entropy(logits, target);
    CHECK(mismatch(ember::cross_entropy(logits, labels(target), Reduction::None), expected, tol<T>()) == "");
    CHECK(mismatch(ember::cross_entropy(logits, labels(target)), {naive_reduce(expected, Reduction::Mean)},
                   tol<T>()) == "");
    CHECK(mismatch(ember::cross_entropy(logits, labels(target), Reduction::Sum),
                   {naive_reduce(expected, Reduction::Sum)}, tol<T>()) == "");
  }
}

TEMPLATE_TEST_CASE("cross_entropy hand-checked values", "[ops][loss]", float, double) {
  using T = TestType;
  // Uniform logits over C classes: every class has probability 1/C, the loss is log(C).
  CHECK(mismatch(ember::cross_entropy(ember::zeros<T>({4, 10}), labels({0, 3, 9, 5})), {std::log(10.0)},
                 tol<T>()) == "");
  CHECK(mismatch(ember::cross_entropy(ember::full<T>({3, 7}, T(7.5)), labels({6, 0, 2}), Reduction::None),
                 {std::log(7.0), std::log(7.0), std::log(7.0)}, tol<T>()) == "");
  // logits [0, ln 3]: p = [1/4, 3/4].
  auto x = ember::from_vector<T>({0, T(std::log(3.0))}, {1, 2});
  CHECK(mismatch(ember::cross_entropy(x, labels({1})), {-std::log(0.75)}, tol<T>()) == "");
  CHECK(mismatch(ember::cross_entropy(x, labels({0})), {std::log(4.0)}, tol<T>()) == "");
  // A single class: probability 1 whatever the logit.
  CHECK(ember::cross_entropy(ember::full<T>({2, 1}, T(-40)), labels({0, 0})).item() == T(0));
}

TEMPLATE_TEST_CASE("cross_entropy equals nll_loss of log_softmax", "[ops][loss]", float, double) {
  using T = TestType;
  ember::Generator gen(22);
  Tensor<T> logits = ember::randn<T>({8, 4}, gen) * 3.0;
  auto target = labels(random_labels(8, 4, gen));
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
    CHECK(mismatch(ember::cross_entropy(logits, target, r), ember::nll_loss(ember::log_softmax(logits, 1), target, r),
                   tol<T>()) == "");
  }
}

TEMPLATE_TEST_CASE("nll_loss picks minus the target's log-probability", "[ops][loss]", float, double) {
  using T = TestType;
  auto lp = ember::from_vector<T>({-0.1, -2, -3, -1, -0.5, -4}, {2, 3});
  auto target = labels({2, 1});
  CHECK(mismatch(ember::nll_loss(lp, target, Reduction::None), {3, 0.5}, tol<T>()) == "");
  CHECK(mismatch(ember::nll_loss(lp, target), {1.75}, tol<T>()) == "");
  CHECK(mismatch(ember::nll_loss(lp, target, Reduction::Sum), {3.5}, tol<T>()) == "");
  // Any values are accepted, as in PyTorch (they need not be log-probabilities).
  CHECK(mismatch(ember::nll_loss(lp.t().contiguous().t(), labels({0, 0}), Reduction::None), {0.1, 1}, tol<T>()) ==
        "");
  // Naive loop on random values.
  ember::Generator gen(23);
  Tensor<T> r = ember::randn<T>({9, 6}, gen);
  auto t = random_labels(9, 6, gen);
  std::vector<double> expected;
  for (index_t i = 0; i < 9; ++i) expected.push_back(-double(r.at(i, t[static_cast<std::size_t>(i)])));
  CHECK(mismatch(ember::nll_loss(r, labels(t), Reduction::None), expected, tol<T>()) == "");
  CHECK(mismatch(ember::nll_loss(r, labels(t)), {naive_reduce(expected, Reduction::Mean)}, tol<T>()) == "");
}

TEST_CASE("cross_entropy stays finite and exact for logits of +-1e4 in float", "[ops][loss]") {
  auto x = ember::from_vector<float>({1e4f, -1e4f, 0.0f, 1e4f, -1e4f, 0.0f, 1e4f, -1e4f, 0.0f}, {3, 3});
  auto target = labels({0, 1, 2});
  auto losses = ember::cross_entropy(x, target, Reduction::None);
  CHECK(all_finite(losses));
  CHECK(mismatch(losses, {0, 2e4, 1e4}, 0) == "");  // logsumexp = 1e4 exactly: loss = 1e4 - x[t]

  // softmax = [1, 0, 0] in every row: the gradient is (softmax - onehot) * g.
  auto xs = x.detach().clone();
  xs.requires_grad_();
  ember::cross_entropy(xs, target, Reduction::Sum).backward();
  CHECK(all_finite(xs.grad()));
  CHECK(mismatch(xs.grad(), {0, 0, 0, 1, -1, 0, 1, 0, -1}, 0) == "");
  auto xm = x.detach().clone();
  xm.requires_grad_();
  auto mean = ember::cross_entropy(xm, target);
  CHECK(mismatch(mean, {1e4}, 1e-7) == "");
  mean.backward();
  const double third = 1.0 / 3.0;
  CHECK(mismatch(xm.grad(), {0, 0, 0, third, -third, 0, third, 0, -third}, 1e-7) == "");

  // Two equal huge logits: log(2), gradient [-1/2, 1/2] (rows of -1e4 too).
  auto pair = ember::from_vector<float>({1e4f, 1e4f, -1e4f, -1e4f}, {2, 2});
  pair.requires_grad_();
  auto tied = ember::cross_entropy(pair, labels({0, 1}), Reduction::None);
  CHECK(mismatch(tied, {std::log(2.0), std::log(2.0)}, 1e-7) == "");
  tied.sum().backward();
  CHECK(mismatch(pair.grad(), {-0.5, 0.5, 0.5, -0.5}, 1e-7) == "");
}

TEST_CASE("cross_entropy and nll_loss gradients by hand", "[ops][loss]") {
  // logits [[0, 0], [0, ln 3]], targets [0, 1], mean over N = 2:
  // row 0: ([1/2, 1/2] - [1, 0]) / 2; row 1: ([1/4, 3/4] - [0, 1]) / 2.
  auto x = ember::from_vector<double>({0, 0, 0, std::log(3.0)}, {2, 2});
  x.requires_grad_();
  ember::cross_entropy(x, labels({0, 1})).backward();
  CHECK(mismatch(x.grad(), {-0.25, 0.25, 0.125, -0.125}, 1e-12) == "");

  // A label buffer refilled between forward and backward (the next batch) changes nothing.
  auto reused = labels({0, 1});
  x.reset_grad();
  auto loss = ember::cross_entropy(x, reused);
  reused.data()[0] = 1;
  reused.data()[1] = 99;
  loss.backward();
  CHECK(mismatch(x.grad(), {-0.25, 0.25, 0.125, -0.125}, 1e-12) == "");

  // nll_loss: -g / N at the target, 0 elsewhere; None takes one gradient per sample.
  auto lp = ember::zeros<double>({3, 4});
  lp.requires_grad_();
  ember::nll_loss(lp, labels({3, 0, 3})).backward();
  CHECK(mismatch(lp.grad(), {0, 0, 0, -1.0 / 3, -1.0 / 3, 0, 0, 0, 0, 0, 0, -1.0 / 3}, 1e-12) == "");
  lp.reset_grad();
  ember::nll_loss(lp, labels({1, 2, 0}), Reduction::None).backward(ember::from_vector<double>({2, 3, 5}));
  CHECK(mismatch(lp.grad(), {0, -2, 0, 0, 0, 0, -3, 0, -5, 0, 0, 0}, 1e-12) == "");
}

TEST_CASE("gradients of cross_entropy and nll_loss", "[ops][loss][gradcheck]") {
  ember::Generator gen(31);
  auto logits = randn({5, 4}) * 2.0;
  auto target = labels(random_labels(5, 4, gen));
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    INFO("reduction " << static_cast<int>(r));
    require_gradcheck([&](const auto& in) { return ember::cross_entropy(in[0], target, r); }, {logits});
    require_gradcheck([&](const auto& in) { return ember::nll_loss(in[0], target, r); }, {logits});
    require_gradcheck([&](const auto& in) { return ember::nll_loss(ember::log_softmax(in[0], 1), target, r); },
                      {logits});
  }
  // Strided logits: the transpose of [C, N].
  require_gradcheck([&](const auto& in) { return ember::cross_entropy(in[0].t(), target); }, {randn({4, 5})});
}

TEST_CASE("class-index losses reject bad shapes and targets", "[ops][loss]") {
  auto logits = ember::zeros<float>({4, 10});
  CHECK_THROWS_WITH(ember::cross_entropy(ember::zeros<float>({10}), labels({1})),
                    Equals("cross_entropy: expected logits of shape [N, C], got [10]"));
  CHECK_THROWS_WITH(ember::cross_entropy(ember::zeros<float>({2, 3, 4}), labels({1, 1})),
                    Equals("cross_entropy: expected logits of shape [N, C], got [2, 3, 4]"));
  CHECK_THROWS_WITH(ember::cross_entropy(logits, ember::zeros<std::int64_t>({4, 1})),
                    Equals("cross_entropy: expected target of shape [N], got [4, 1]"));
  CHECK_THROWS_WITH(ember::cross_entropy(logits, labels({0, 1, 2})),
                    Equals("cross_entropy: expected target of shape [4] to match logits of shape [4, 10], got [3]"));
  CHECK_THROWS_WITH(ember::cross_entropy(logits, labels({0, 1, 2, 11})),
                    Equals("cross_entropy: target 11 of sample 3 is out of range for 10 classes"));
  CHECK_THROWS_WITH(ember::cross_entropy(logits, labels({10, 1, 2, 3})),
                    Equals("cross_entropy: target 10 of sample 0 is out of range for 10 classes"));
  CHECK_THROWS_WITH(ember::cross_entropy(logits, labels({0, -1, 2, 3})),
                    Equals("cross_entropy: target -1 of sample 1 is out of range for 10 classes"));
  CHECK_THROWS_AS(ember::cross_entropy(logits, labels({0, -1, 2, 3})), ember::ValueError);
  CHECK_THROWS_AS(ember::cross_entropy(logits, labels({0})), ember::ShapeError);

  CHECK_THROWS_WITH(ember::nll_loss(ember::zeros<double>({2, 3, 4}), labels({0, 0})),
                    Equals("nll_loss: expected log_probs of shape [N, C], got [2, 3, 4]"));
  CHECK_THROWS_WITH(ember::nll_loss(ember::zeros<double>({2, 3}), labels({0, 1, 2})),
                    Equals("nll_loss: expected target of shape [2] to match log_probs of shape [2, 3], got [3]"));
  CHECK_THROWS_WITH(ember::nll_loss(ember::zeros<double>({2, 3}), labels({0, 3})),
                    Equals("nll_loss: target 3 of sample 1 is out of range for 3 classes"));
  CHECK_THROWS_WITH(ember::nll_loss(ember::zeros<double>({2, 3}), labels({-2, 0})),
                    Equals("nll_loss: target -2 of sample 0 is out of range for 3 classes"));
}

// ---- mse_loss -------------------------------------------------------------------------------

TEMPLATE_TEST_CASE("mse_loss agrees with a naive loop", "[ops][loss]", float, double) {
  using T = TestType;
  auto a = ember::from_vector<T>({1, 2, 3, 4}, {2, 2}), b = ember::from_vector<T>({0, 2, 5, 1}, {2, 2});
  CHECK(mismatch(ember::mse_loss(a, b, Reduction::None), {1, 0, 4, 9}, tol<T>()) == "");
  CHECK(mismatch(ember::mse_loss(a, b), {3.5}, tol<T>()) == "");
  CHECK(mismatch(ember::mse_loss(a, b, Reduction::Sum), {14}, tol<T>()) == "");
  // Strided input: a.t() is [[1, 3], [2, 4]].
  CHECK(mismatch(ember::mse_loss(a.t(), b, Reduction::None), {1, 1, 9, 9}, tol<T>()) == "");

  ember::Generator gen(41);
  Tensor<T> x = ember::randn<T>({2, 3, 4}, gen), y = ember::randn<T>({2, 3, 4}, gen);
  std::vector<double> expected;
  for (index_t i = 0; i < 2; ++i)
    for (index_t j = 0; j < 3; ++j)
      for (index_t k = 0; k < 4; ++k) {
        const double d = double(x.at(i, j, k)) - double(y.at(i, j, k));
        expected.push_back(d * d);
      }
  CHECK(mismatch(ember::mse_loss(x, y, Reduction::None), expected, tol<T>()) == "");
  CHECK(mismatch(ember::mse_loss(x, y), {naive_reduce(expected, Reduction::Mean)}, tol<T>()) == "");
  CHECK(mismatch(ember::mse_loss(x, y, Reduction::Sum), {naive_reduce(expected, Reduction::Sum)}, tol<T>()) == "");
}

TEST_CASE("gradients of mse_loss for input and target", "[ops][loss][gradcheck]") {
  auto a = randn({3, 4}), b = randn({3, 4});
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    INFO("reduction " << static_cast<int>(r));
    require_gradcheck([r](const auto& in) { return ember::mse_loss(in[0], in[1], r); }, {a, b});
  }
  require_gradcheck([](const auto& in) { return ember::mse_loss(in[0].t(), in[1]); }, {randn({4, 3}), b});
  require_gradcheck([](const auto& in) { return ember::mse_loss(in[0], in[0] * 0.5); }, {a});  // both paths
}

TEST_CASE("mse_loss gives each input its own gradient", "[ops][loss]") {
  // d mean((a - b)^2) / da = 2 (a - b) / 4; the target's is the negation.
  auto a = ember::from_vector<double>({1, 2, 3, 4}), b = ember::from_vector<double>({0, 2, 5, 1});
  a.requires_grad_();
  ember::mse_loss(a, b).backward();
  CHECK(mismatch(a.grad(), {0.5, 0, -1, 1.5}, 1e-12) == "");
  CHECK_FALSE(b.grad().defined());  // the target needs no gradient: none is made

  auto c = ember::from_vector<double>({1, 2, 3, 4}), d = ember::from_vector<double>({0, 2, 5, 1});
  d.requires_grad_();
  ember::mse_loss(c, d, Reduction::Sum).backward();
  CHECK(mismatch(d.grad(), {-2, 0, 4, -6}, 1e-12) == "");
  CHECK_FALSE(c.grad().defined());
}

TEST_CASE("mse_loss rejects different shapes, even broadcastable ones", "[ops][loss]") {
  CHECK_THROWS_WITH(ember::mse_loss(ember::zeros<float>({2, 3}), ember::zeros<float>({3, 2})),
                    Equals("mse_loss: expected input and target of the same shape, got [2, 3] and [3, 2]"));
  CHECK_THROWS_WITH(ember::mse_loss(ember::zeros<float>({3}), ember::zeros<float>({1, 3})),
                    Equals("mse_loss: expected input and target of the same shape, got [3] and [1, 3]"));
  CHECK_THROWS_AS(ember::mse_loss(ember::zeros<double>({2}), ember::zeros<double>({})), ember::ShapeError);
}

// ---- shapes, empty batches and graphs -----------------------------------------------------------

TEST_CASE("loss output shapes follow the reduction", "[ops][loss]") {
  auto logits = ember::zeros<float>({7, 3});
  auto target = labels({0, 1, 2, 0, 1, 2, 0});
  CHECK(ember::cross_entropy(logits, target, Reduction::None).shape() == Shape{7});
  CHECK(ember::nll_loss(logits, target, Reduction::None).shape() == Shape{7});
  CHECK(ember::mse_loss(ember::zeros<float>({2, 3, 4}), ember::ones<float>({2, 3, 4}), Reduction::None).shape() ==
        Shape{2, 3, 4});
  for (Reduction r : {Reduction::Mean, Reduction::Sum}) {
    CHECK(ember::cross_entropy(logits, target, r).dim() == 0);
    CHECK(ember::nll_loss(logits, target, r).dim() == 0);
    CHECK(ember::mse_loss(logits, logits, r).dim() == 0);
  }
}

TEST_CASE("losses of an empty batch follow PyTorch", "[ops][loss]") {
  auto logits = ember::zeros<double>({0, 5});
  auto none = labels({});
  CHECK(ember::cross_entropy(logits, none, Reduction::Sum).item() == 0.0);
  CHECK(std::isnan(ember::cross_entropy(logits, none).item()));  // mean of nothing: 0 / 0
  CHECK(ember::cross_entropy(logits, none, Reduction::None).shape() == Shape{0});
  CHECK(ember::nll_loss(logits, none, Reduction::Sum).item() == 0.0);
  CHECK(std::isnan(ember::mse_loss(ember::zeros<double>({0}), ember::zeros<double>({0})).item()));
}

TEST_CASE("softmax and loss nodes are named and free themselves", "[ops][loss][autograd]") {
  auto x = randn({3, 4});
  x.requires_grad_();
  auto target = labels({0, 3, 1});
  CHECK(ember::softmax(x, 1).grad_fn()->name == "softmax");
  CHECK(ember::log_softmax(x, 1).grad_fn()->name == "log_softmax");
  CHECK(ember::cross_entropy(x, target).grad_fn()->name == "cross_entropy");
  CHECK(ember::nll_loss(x, target).grad_fn()->name == "nll_loss");
  CHECK(ember::mse_loss(x, x).grad_fn()->name == "mse_loss");

  std::weak_ptr<ember::Node<double>> softmax_node, loss_node;
  {
    auto y = ember::softmax(x, 0);  // saves its own output: must not form a cycle
    auto loss = ember::cross_entropy(x, target);
    softmax_node = y.grad_fn();
    loss_node = loss.grad_fn();
    CHECK_FALSE(softmax_node.expired());
    CHECK_FALSE(loss_node.expired());
  }
  CHECK(softmax_node.expired());
  CHECK(loss_node.expired());

  ember::NoGradGuard no_grad;
  CHECK_FALSE(ember::cross_entropy(x, target).requires_grad());
  CHECK_FALSE(ember::softmax(x, 0).requires_grad());
}
