// conv2d, max_pool2d, relu, dropout, linear and flatten as differentiable ops:
// gradients through gradcheck in double, error messages, dropout statistics.
#include <catch2/catch.hpp>

#include <ember/ember.hpp>

#include "random_inputs.hpp"
#include "tensor_match.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using ember::Shape;
using ember::Tensor;
using ember_test::mismatch;
using ember_test::randn;
using ember_test::require_gradcheck;

TEST_CASE("gradients of conv2d with stride, padding, dilation and bias", "[ops][conv][gradcheck]") {
  struct Case { Shape x, w; ember::Conv2dParams p; bool bias; };
  for (const Case& c : {Case{{2, 3, 5, 6}, {4, 3, 3, 3}, {1, 0, 1}, true},
                        Case{{1, 2, 6, 5}, {3, 2, 3, 3}, {2, 1, 1}, true},
                        Case{{2, 1, 7, 7}, {2, 1, 3, 3}, {1, 1, 2}, false},
                        Case{{3, 2, 4, 4}, {2, 2, 2, 2}, {2, 0, 1}, true},
                        Case{{1, 3, 3, 3}, {2, 3, 1, 1}, {1, 0, 1}, true}}) {
    INFO("input " << c.x << " weight " << c.w << " stride " << c.p.stride << " padding " << c.p.padding
                  << " dilation " << c.p.dilation);
    auto p = c.p;
    if (c.bias)
      require_gradcheck([p](const auto& v) { return ember::conv2d(v[0], v[1], v[2], p); },
                        {randn(c.x), randn(c.w), randn({c.w[0]})});
    else
      require_gradcheck([p](const auto& v) { return ember::conv2d(v[0], v[1], Tensor<double>(), p); },
                        {randn(c.x), randn(c.w)});
  }
}

TEST_CASE("conv2d output shape and shape errors", "[ops][conv]") {
  auto x = ember::zeros<float>({2, 3, 28, 28});
  CHECK(ember::conv2d(x, ember::zeros<float>({8, 3, 3, 3})).shape() == Shape{2, 8, 26, 26});
  CHECK(ember::conv2d(x, ember::zeros<float>({8, 3, 3, 3}), {}, {2, 1, 1}).shape() == Shape{2, 8, 14, 14});
  CHECK_THROWS_WITH(ember::conv2d(x, ember::zeros<float>({8, 2, 3, 3})),
                    Equals("conv2d: weight of shape [8, 2, 3, 3] expects 2 input channels, got input of shape "
                           "[2, 3, 28, 28]"));
  CHECK_THROWS_WITH(ember::conv2d(ember::zeros<float>({3, 28, 28}), ember::zeros<float>({8, 3, 3, 3})),
                    Equals("conv2d: expected input of shape [N, C, H, W], got [3, 28, 28]"));
  CHECK_THROWS_WITH(ember::conv2d(x, ember::zeros<float>({8, 3, 3, 3}), ember::zeros<float>({4})),
                    Equals("conv2d: expected bias of shape [8], got [4]"));
  CHECK_THROWS_WITH(ember::conv2d(ember::zeros<float>({1, 3, 2, 2}), ember::zeros<float>({8, 3, 3, 3})),
                    Equals("conv2d: input of shape [1, 3, 2, 2] is smaller than the kernel 3x3 (padding 0, dilation 1)"));
  CHECK_THROWS_AS(ember::conv2d(x, ember::zeros<float>({8, 3, 3, 3}), {}, {0, 0, 1}), ember::ValueError);
}

TEST_CASE("gradients of max_pool2d", "[ops][pool][gradcheck]") {
  // A permutation of distinct values: no ties, so finite differences are valid.
  auto distinct = [](const Shape& s) {
    auto t = ember::arange<double>(static_cast<double>(s.numel())).reshape(s.to_vector()).clone();
    ember::Generator g(1);
    std::vector<double> v = t.to_vector();
    for (std::size_t i = v.size() - 1; i > 0; --i) std::swap(v[i], v[g.randint(i + 1)]);
    return ember::from_vector<double>(v, s) * 0.1;
  };
  require_gradcheck([](const auto& v) { return ember::max_pool2d(v[0], 2); }, {distinct({2, 3, 6, 6})});
  require_gradcheck([](const auto& v) { return ember::max_pool2d(v[0], 3, 2, 1); }, {distinct({1, 2, 7, 9})});
  require_gradcheck([](const auto& v) { return ember::max_pool2d(v[0], 2, 1); }, {distinct({2, 1, 5, 5})});
  CHECK(ember::max_pool2d(ember::zeros<float>({1, 1, 7, 7}), 2).shape() == Shape{1, 1, 3, 3});  // floor mode
  CHECK_THROWS_WITH(ember::max_pool2d(ember::zeros<float>({1, 1, 4, 4}), 2, 2, 2),
                    Equals("max_pool2d: padding should be at most half the kernel size, got padding 2 for kernel 2"));
  CHECK_THROWS_WITH(ember::max_pool2d(ember::zeros<float>({1, 4, 4}), 2),
                    Equals("max_pool2d: expected input of shape [N, C, H, W], got [1, 4, 4]"));
}

TEST_CASE("relu values and gradient", "[ops][activation][gradcheck]") {
  auto x = ember::from_vector<float>({-1, 0, 2});
  CHECK(mismatch(ember::relu(x), {0, 0, 2}) == "");
  // Values away from the kink at 0.
  auto away = ember::from_vector<double>({-1.5, -0.3, 0.2, 0.7, 1.1, -2.0}, {2, 3});
  require_gradcheck([](const auto& v) { return ember::relu(v[0]); }, {away});
  require_gradcheck([](const auto& v) { return ember::relu(v[0].t()); }, {away});  // strided input
}

TEST_CASE("linear matches x W^T + b and has the right gradients", "[ops][linear][gradcheck]") {
  auto x = randn({5, 7}), w = randn({3, 7}), b = randn({3});
  auto y = ember::linear(x, w, b);
  CHECK(mismatch(y, ember::matmul(x, w.t()) + b, 1e-12) == "");
  require_gradcheck([](const auto& v) { return ember::linear(v[0], v[1], v[2]); }, {x, w, b});
  require_gradcheck([](const auto& v) { return ember::linear(v[0], v[1]); }, {x, w});
  CHECK_THROWS_WITH(ember::linear(ember::zeros<float>({5, 6}), ember::zeros<float>({3, 7})),
                    Equals("linear: expected input of shape [N, 7], got [5, 6]"));
  CHECK_THROWS_WITH(ember::linear(ember::zeros<float>({5, 7}), ember::zeros<float>({3, 7}), ember::zeros<float>({7})),
                    Equals("linear: expected bias of shape [3], got [7]"));
}

TEST_CASE("dropout keeps 1 - p of the elements, scaled, and is the identity in eval", "[ops][dropout]") {
  ember::Generator gen(5);
  auto x = ember::ones<float>({100000});
  auto y = ember::dropout(x, 0.25, true, gen);
  auto v = y.to_vector();
  std::size_t kept = 0;
  for (float e : v) {
    REQUIRE((e == 0.0f || std::abs(e - 1.0f / 0.75f) < 1e-6f));
    kept += e != 0.0f;
  }
  CHECK(std::abs(double(kept) / v.size() - 0.75) < 0.01);
  CHECK(std::abs(double(y.mean().item()) - 1.0) < 0.01);  // inverted dropout keeps the mean
  auto e = ember::dropout(x, 0.25, false, gen);
  CHECK(e.shares_storage_with(x));
  CHECK(mismatch(ember::dropout(x, 1.0, true, gen), std::vector<double>(100000, 0.0)) == "");
  CHECK_THROWS_WITH(ember::dropout(x, 1.5, true, gen), Equals("dropout: expected a probability in [0, 1], got 1.5"));
  ember::Generator a(9), b(9);
  CHECK(ember::dropout(x, 0.5, true, a).to_vector() == ember::dropout(x, 0.5, true, b).to_vector());
}

TEST_CASE("dropout gradient uses the same mask as the forward pass", "[ops][dropout][gradcheck]") {
  // A fresh generator with a fixed seed inside f: every evaluation draws the same mask.
  require_gradcheck([](const auto& v) {
    ember::Generator gen(17);
    return ember::dropout(v[0], 0.4, true, gen);
  }, {randn({4, 6})});
}

TEST_CASE("flatten keeps the batch dimension", "[ops][reshape]") {
  auto x = ember::zeros<float>({4, 64, 12, 12});
  CHECK(x.flatten(1).shape() == Shape{4, 9216});
  require_gradcheck([](const auto& v) { return v[0].flatten(1); }, {randn({2, 3, 2, 2})});
}
