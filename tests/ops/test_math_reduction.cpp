// exp, log, pow, reductions, max/argmax, matmul and shape ops: values against naive
// computations, gradients through gradcheck in double.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include <ember/ember.hpp>

#include "random_inputs.hpp"
#include "tensor_match.hpp"

using Catch::Matchers::Equals;
using ember::Shape;
using ember::Tensor;
using ember_test::mismatch;
using ember_test::positive;
using ember_test::randn;
using ember_test::require_gradcheck;
using ember_test::tol;

TEMPLATE_TEST_CASE("exp, log, pow and neg values", "[ops][math]", float, double) {
  using T = TestType;
  auto a = ember::from_vector<T>({0.5, 1, 2});
  CHECK(mismatch(ember::exp(a), {std::exp(0.5), std::exp(1.0), std::exp(2.0)}, tol<T>()) == "");
  CHECK(mismatch(a.log(), {std::log(0.5), 0, std::log(2.0)}, tol<T>()) == "");
  CHECK(mismatch(a.pow(2), {0.25, 1, 4}, tol<T>()) == "");
  CHECK(mismatch(ember::pow(a, 0.5), {std::sqrt(0.5), 1, std::sqrt(2.0)}, tol<T>()) == "");
  CHECK(mismatch(a.neg(), {-0.5, -1, -2}, tol<T>()) == "");
  auto edge = ember::from_vector<T>({0, -1}).log().to_vector();
  CHECK(std::isinf(edge[0]));
  CHECK(std::isnan(edge[1]));
}

TEST_CASE("gradients of exp, log and pow", "[ops][math][gradcheck]") {
  auto a = randn({2, 3}), p = positive({2, 3});
  require_gradcheck([](const auto& x) { return ember::exp(x[0]); }, {a});
  require_gradcheck([](const auto& x) { return ember::log(x[0]); }, {p});
  require_gradcheck([](const auto& x) { return ember::pow(x[0], 3.0); }, {a});
  require_gradcheck([](const auto& x) { return ember::pow(x[0], -1.5); }, {p});
  require_gradcheck([](const auto& x) { return ember::pow(x[0], 0.0); }, {a});
  require_gradcheck([](const auto& x) { return ember::neg(ember::exp(x[0]) * ember::log(x[1])); }, {a, p});
}

TEMPLATE_TEST_CASE("sum and mean over everything and over one dimension", "[ops][reduction]", float, double) {
  using T = TestType;
  auto a = ember::arange<T>(24).reshape({2, 3, 4});
  CHECK(a.sum().item() == T(276));
  CHECK(a.sum().dim() == 0);
  CHECK(a.mean().item() == T(11.5));
  // Naive reference over dim 1.
  std::vector<double> expected;
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 4; ++k) {
      double s = 0;
      for (int j = 0; j < 3; ++j) s += a.at(i, j, k);
      expected.push_back(s);
    }
  auto s1 = a.sum(1);
  CHECK(s1.shape() == Shape{2, 4});
  CHECK(mismatch(s1, expected, tol<T>()) == "");
  CHECK(a.sum(1, true).shape() == Shape{2, 1, 4});
  CHECK(a.sum(-1).shape() == Shape{2, 3});
  CHECK(mismatch(a.sum(-1), {6, 22, 38, 54, 70, 86}, tol<T>()) == "");
  CHECK(mismatch(a.mean(0), a.sum(0) / 2.0, tol<T>()) == "");
  CHECK(mismatch(a.mean(2, true), {1.5, 5.5, 9.5, 13.5, 17.5, 21.5}, tol<T>()) == "");
  CHECK(a.mean(2, true).shape() == Shape{2, 3, 1});
}

TEST_CASE("reduction errors name the dimension and shape", "[ops][reduction]") {
  auto a = ember::zeros<float>({2, 3});
  CHECK_THROWS_WITH(a.sum(2), Equals("sum: dimension 2 out of range for a tensor of shape [2, 3] (expected in [-2, 1])"));
  CHECK_THROWS_AS(a.mean(-3), ember::IndexError);
  CHECK_THROWS_WITH(ember::zeros<float>({0}).mean(), Equals("mean: mean of an empty tensor (shape [0])"));
  CHECK_THROWS_WITH(ember::zeros<float>({2, 0}).max(1), Equals("max: empty dimension 1 in shape [2, 0]"));
}

TEST_CASE("gradients of sum and mean", "[ops][reduction][gradcheck]") {
  auto a = randn({2, 3, 4});
  require_gradcheck([](const auto& x) { return x[0].sum(); }, {a});
  require_gradcheck([](const auto& x) { return x[0].mean(); }, {a});
  for (int dim : {0, 1, 2, -1}) {
    for (bool keep : {false, true}) {
      INFO("dim " << dim << " keepdim " << keep);
      require_gradcheck([dim, keep](const auto& x) { return x[0].sum(dim, keep); }, {a});
      require_gradcheck([dim, keep](const auto& x) { return x[0].mean(dim, keep); }, {a});
    }
  }
  require_gradcheck([](const auto& x) { return x[0].t().sum(0); }, {randn({3, 2})});  // strided input
}

TEMPLATE_TEST_CASE("max and argmax along a dimension", "[ops][reduction]", float, double) {
  using T = TestType;
  auto a = ember::from_vector<T>({1, 5, 3, 7, 2, 7}, {2, 3});
  CHECK(mismatch(a.max(1), {5, 7}, 0) == "");
  CHECK(mismatch(a.max(0), {7, 5, 7}, 0) == "");
  CHECK(mismatch(a.argmax(1), {1, 0}, 0) == "");  // ties: the first maximum
  CHECK(mismatch(a.argmax(0), {1, 0, 1}, 0) == "");
  CHECK(a.argmax(1, true).shape() == Shape{2, 1});
  CHECK(a.max().item() == T(7));
  auto with_nan = ember::from_vector<T>({1, std::numeric_limits<T>::quiet_NaN(), 3});
  CHECK(std::isnan(with_nan.max(0).item()));  // NaN propagates as in PyTorch
  CHECK(with_nan.argmax(0).item() == 1);
}

TEST_CASE("max routes the gradient to the chosen element", "[ops][reduction][gradcheck]") {
  // Distinct values: finite differences are valid away from ties.
  auto a = ember::from_vector<double>({0.1, 0.9, 0.4, 0.7, 0.2, 0.5, 1.3, -0.2, 0.0, 0.3, 0.8, 0.6}, {3, 4});
  require_gradcheck([](const auto& x) { return x[0].max(0); }, {a});
  require_gradcheck([](const auto& x) { return x[0].max(1, true); }, {a});
  require_gradcheck([](const auto& x) { return x[0].max(); }, {a});
  auto x = ember::from_vector<double>({1, 3, 3});
  x.requires_grad_();
  x.max(0).backward();
  CHECK(mismatch(x.grad(), {0, 1, 0}) == "");
}

TEMPLATE_TEST_CASE("matmul agrees with a naive triple loop", "[ops][matmul]", float, double) {
  using T = TestType;
  ember::Generator g(5);
  for (auto [m, k, n] : {std::tuple{1, 1, 1}, std::tuple{3, 5, 2}, std::tuple{17, 33, 9}, std::tuple{64, 128, 10}}) {
    auto a = ember::randn<T>({m, k}, g), b = ember::randn<T>({k, n}, g);
    std::vector<double> expected;
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double s = 0;
        for (int p = 0; p < k; ++p) s += double(a.at(i, p)) * double(b.at(p, j));
        expected.push_back(s);
      }
    INFO(m << "x" << k << "x" << n);
    CHECK(mismatch(ember::matmul(a, b), expected, std::is_same_v<T, float> ? 1e-4 : 1e-12) == "");
    CHECK(mismatch(a.matmul(b), ember::matmul(a.t().contiguous().t(), b), 0) == "");  // strided input
  }
}

TEST_CASE("matmul shape errors", "[ops][matmul]") {
  auto a = ember::zeros<float>({2, 3});
  CHECK_THROWS_WITH(ember::matmul(a, ember::zeros<float>({4, 5})),
                    Equals("matmul: inner dimensions differ: expected a.shape[1] == b.shape[0], got [2, 3] and [4, 5]"));
  CHECK_THROWS_WITH(ember::matmul(a, ember::zeros<float>({3})),
                    Equals("matmul: expected two 2-D tensors, got shapes [2, 3] and [3]"));
}

TEST_CASE("gradients of matmul", "[ops][matmul][gradcheck]") {
  auto a = randn({3, 4}), b = randn({4, 5});
  require_gradcheck([](const auto& x) { return ember::matmul(x[0], x[1]); }, {a, b});
  require_gradcheck([](const auto& x) { return ember::matmul(x[0].t(), x[0]); }, {a});
  require_gradcheck([](const auto& x) { return ember::matmul(x[1], x[0].t()); }, {a, randn({2, 4})});
}

TEST_CASE("gradients of shape ops", "[ops][reshape][gradcheck]") {
  auto a = randn({2, 3, 4});
  require_gradcheck([](const auto& x) { return x[0].view({6, 4}); }, {a});
  require_gradcheck([](const auto& x) { return x[0].reshape({4, -1}) * 2.0; }, {a});
  require_gradcheck([](const auto& x) { return x[0].flatten(1); }, {a});
  require_gradcheck([](const auto& x) { return x[0].transpose(0, 2); }, {a});
  require_gradcheck([](const auto& x) { return x[0].transpose(1, 2).reshape({-1}); }, {a});  // reshape of a view
  require_gradcheck([](const auto& x) { return x[0].transpose(0, 1).contiguous(); }, {a});
  require_gradcheck([](const auto& x) { return x[0].clone() * x[0]; }, {a});
  require_gradcheck([](const auto& x) { return x[0].t(); }, {randn({3, 5})});
}

TEST_CASE("float and double agree on a composite expression", "[ops]") {
  ember::Generator g(9);
  auto a = ember::randn<double>({4, 6}, g), b = ember::randn<double>({6, 3}, g), c = ember::randn<double>({3}, g);
  auto f = [](auto x, auto y, auto z) { return (ember::exp(ember::matmul(x, y) * 0.1) + z).log().mean(0); };
  auto d = f(a, b, c);
  auto s = f(a.cast<float>(), b.cast<float>(), c.cast<float>());
  CHECK(mismatch(s, d, 1e-5) == "");
}
