// +, -, *, / with broadcasting and scalars: values in float and double, gradients in double.
#include <catch2/catch.hpp>

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

TEMPLATE_TEST_CASE("element-wise arithmetic of same-shape tensors", "[ops][arithmetic]", float, double) {
  using T = TestType;
  auto a = ember::from_vector<T>({1, 2, 3, 4}, {2, 2});
  auto b = ember::from_vector<T>({5, 6, 7, 8}, {2, 2});
  CHECK(mismatch(a + b, {6, 8, 10, 12}, tol<T>()) == "");
  CHECK(mismatch(a - b, {-4, -4, -4, -4}, tol<T>()) == "");
  CHECK(mismatch(a * b, {5, 12, 21, 32}, tol<T>()) == "");
  CHECK(mismatch(b / a, {5, 3, 7.0 / 3, 2}, tol<T>()) == "");
  CHECK(mismatch(-a, {-1, -2, -3, -4}, tol<T>()) == "");
  CHECK(mismatch(a.t() + b, {6, 9, 9, 12}, tol<T>()) == "");  // strided input
}

TEMPLATE_TEST_CASE("arithmetic with scalars", "[ops][arithmetic]", float, double) {
  using T = TestType;
  auto a = ember::from_vector<T>({1, 2, 4});
  CHECK(mismatch(a + 1, {2, 3, 5}, tol<T>()) == "");
  CHECK(mismatch(1.5 + a, {2.5, 3.5, 5.5}, tol<T>()) == "");
  CHECK(mismatch(a - 1, {0, 1, 3}, tol<T>()) == "");
  CHECK(mismatch(10 - a, {9, 8, 6}, tol<T>()) == "");
  CHECK(mismatch(a * 2, {2, 4, 8}, tol<T>()) == "");
  CHECK(mismatch(0.5 * a, {0.5, 1, 2}, tol<T>()) == "");
  CHECK(mismatch(a / 4, {0.25, 0.5, 1}, tol<T>()) == "");
  CHECK(mismatch(8 / a, {8, 4, 2}, tol<T>()) == "");
  auto inf = (a / 0.0).to_vector();
  CHECK(std::isinf(inf[0]));  // as in PyTorch: no exception, IEEE results
}

TEMPLATE_TEST_CASE("broadcasting of trailing vectors, columns and scalars", "[ops][arithmetic][broadcast]", float,
                   double) {
  using T = TestType;
  auto m = ember::from_vector<T>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto row = ember::from_vector<T>({10, 20, 30});
  auto col = ember::from_vector<T>({100, 200}, {2, 1});
  CHECK(mismatch(m + row, {11, 22, 33, 14, 25, 36}, tol<T>()) == "");
  CHECK(mismatch(row + m, {11, 22, 33, 14, 25, 36}, tol<T>()) == "");
  CHECK(mismatch(m * col, {100, 200, 300, 800, 1000, 1200}, tol<T>()) == "");
  auto outer = col + row;  // [2,1] + [3] -> [2,3]
  CHECK(outer.shape() == Shape{2, 3});
  CHECK(mismatch(outer, {110, 120, 130, 210, 220, 230}, tol<T>()) == "");
  CHECK(mismatch(m - ember::scalar_tensor<T>(1), {0, 1, 2, 3, 4, 5}, tol<T>()) == "");
  auto nchw = ember::ones<T>({2, 3, 2, 2});
  auto per_channel = ember::from_vector<T>({1, 2, 3}, {3, 1, 1});
  auto scaled = nchw * per_channel;
  CHECK(scaled.shape() == Shape{2, 3, 2, 2});
  CHECK(scaled.at(1, 2, 1, 0) == T(3));
  CHECK(scaled.at(0, 1, 0, 1) == T(2));
}

TEST_CASE("incompatible shapes raise a ShapeError naming both shapes", "[ops][arithmetic][broadcast]") {
  auto a = ember::zeros<float>({2, 3}), b = ember::zeros<float>({2});
  CHECK_THROWS_WITH(a + b, Equals("add: shapes [2, 3] and [2] cannot be broadcast (dimension -1: 3 vs 2)"));
  CHECK_THROWS_WITH(a - b, Equals("sub: shapes [2, 3] and [2] cannot be broadcast (dimension -1: 3 vs 2)"));
  CHECK_THROWS_WITH(a * ember::zeros<float>({4, 3}),
                    Equals("mul: shapes [2, 3] and [4, 3] cannot be broadcast (dimension -2: 2 vs 4)"));
  CHECK_THROWS_AS(a / b, ember::ShapeError);
}

// The public way to write an element-wise op with its backward (docs/api.md).
TEST_CASE("unary_op records a custom element-wise op with its derivative", "[ops][map][gradcheck]") {
  auto softplus = [](const auto& x) {
    using T = typename std::decay_t<decltype(x)>::value_type;
    return ember::unary_op(
        "softplus", x, [](T v) { return std::log1p(std::exp(v)); },
        [](T v, T) { return T(1) / (T(1) + std::exp(-v)); });
  };
  require_gradcheck([&](const auto& x) { return softplus(x[0]); }, {randn({3, 5})});
  // y is passed to df too: tanh' = 1 - y^2.
  require_gradcheck(
      [](const auto& x) {
        using T = double;
        return ember::unary_op("my_tanh", x[0], [](T v) { return std::tanh(v); }, [](T, T y) { return 1 - y * y; });
      },
      {randn({4, 2})});
  // Forward values, strided input, and no graph under NoGradGuard.
  const Tensor<float> x = Tensor<float>::from_vector({-1.0f, 0.0f, 2.0f, 3.0f}, {2, 2});
  const Tensor<float> y = ember::map(x.t(), [](float v) { return 2 * v; });
  CHECK(y.to_vector() == std::vector<float>{-2.0f, 4.0f, 0.0f, 6.0f});
  ember::NoGradGuard no_grad;
  const Tensor<float> leaf = Tensor<float>::from_vector({1.0f}, {1}).requires_grad_();
  CHECK_FALSE(ember::unary_op("id", leaf, [](float v) { return v; }, [](float, float) { return 1.0f; }).requires_grad());
}

TEST_CASE("gradients of tensor-tensor arithmetic", "[ops][arithmetic][gradcheck]") {
  auto a = randn({3, 4}), b = randn({3, 4}), d = positive({3, 4});
  require_gradcheck([](const auto& x) { return x[0] + x[1]; }, {a, b});
  require_gradcheck([](const auto& x) { return x[0] - x[1]; }, {a, b});
  require_gradcheck([](const auto& x) { return x[0] * x[1]; }, {a, b});
  require_gradcheck([](const auto& x) { return x[0] / x[1]; }, {a, d});
  require_gradcheck([](const auto& x) { return -x[0]; }, {a});
  require_gradcheck([](const auto& x) { return x[0] * x[0]; }, {a});  // same tensor twice
}

TEST_CASE("gradients through broadcasting sum over the expanded dimensions", "[ops][arithmetic][gradcheck]") {
  auto m = randn({2, 3}), row = randn({3}), col = randn({2, 1}), s = randn({}), prow = positive({3});
  auto t4 = randn({2, 3, 2, 2}), ch = randn({3, 1, 1});
  require_gradcheck([](const auto& x) { return x[0] + x[1]; }, {m, row});
  require_gradcheck([](const auto& x) { return x[1] - x[0]; }, {m, row});
  require_gradcheck([](const auto& x) { return x[0] * x[1]; }, {m, col});
  require_gradcheck([](const auto& x) { return x[0] / x[1]; }, {m, prow});
  require_gradcheck([](const auto& x) { return x[1] / x[0]; }, {prow, m});
  require_gradcheck([](const auto& x) { return x[0] * x[1] + x[1]; }, {col, row});
  require_gradcheck([](const auto& x) { return x[0] * x[1]; }, {m, s});
  require_gradcheck([](const auto& x) { return x[0] * x[1]; }, {t4, ch});
}

TEST_CASE("gradients of scalar arithmetic", "[ops][arithmetic][gradcheck]") {
  auto a = randn({2, 3}), p = positive({2, 3});
  require_gradcheck([](const auto& x) { return x[0] + 2.0; }, {a});
  require_gradcheck([](const auto& x) { return 3.0 - x[0]; }, {a});
  require_gradcheck([](const auto& x) { return x[0] * -1.5; }, {a});
  require_gradcheck([](const auto& x) { return x[0] / 4.0; }, {a});
  require_gradcheck([](const auto& x) { return 2.0 / x[0]; }, {p});
}

TEST_CASE("gradient checks on strided (transposed) inputs", "[ops][arithmetic][gradcheck]") {
  auto a = randn({3, 2}), b = randn({2, 3});
  require_gradcheck([](const auto& x) { return x[0].t() * x[1]; }, {a, b});
  require_gradcheck([](const auto& x) { return x[0].t() + x[0].t(); }, {a});
}
