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

namespace {

// A float tensor from a double one, every value rounded to bf16 when asked.
Tensor<float> as_float(const Tensor<double>& t, bool bf16 = false) {
  std::vector<float> v;
  for (double x : t.to_vector()) v.push_back(bf16 ? ember::kernels::round_to_bf16(static_cast<float>(x)) : static_cast<float>(x));
  return Tensor<float>::from_vector(v, t.shape());
}

// Values and gradients of linear at float32 on bf16-rounded operands: the bf16 reference.
struct LinearRun {
  Tensor<float> y, dx, dw, db;
};

LinearRun run_linear(const Tensor<float>& x0, const Tensor<float>& w0, const Tensor<float>& b0, const Tensor<float>& g) {
  auto x = x0.detach().requires_grad_(), w = w0.detach().requires_grad_(), b = b0.detach().requires_grad_();
  auto y = ember::linear(x, w, b);
  y.backward(g);
  return {y.detach(), x.grad(), w.grad(), b.grad()};
}

}  // namespace

TEST_CASE("linear under PrecisionGuard(bf16): float32 sums of bf16-rounded operands, bias in float32",
          "[ops][linear][bf16]") {
  auto x = randn({6, 40}), w = randn({5, 40}), b = randn({5}), g = randn({6, 5});
  LinearRun bf16;
  {
    ember::PrecisionGuard guard(ember::Precision::bf16);
    bf16 = run_linear(as_float(x), as_float(w), as_float(b), as_float(g));
  }
  CHECK(ember::matmul_precision() == ember::Precision::float32);  // restored
  // The reference: forward on rounded x and W; dx = round(g) round(W), dW = round(g)^T round(x), db = sum g.
  auto xr = as_float(x, true), wr = as_float(w, true), gr = as_float(g, true);
  CHECK(mismatch(bf16.y, ember::matmul(xr, wr.t()) + as_float(b), 1e-5) == "");
  CHECK(mismatch(bf16.dx, ember::matmul(gr, wr), 1e-5) == "");
  CHECK(mismatch(bf16.dw, ember::matmul(gr.t(), xr), 1e-5) == "");
  CHECK(mismatch(bf16.db, as_float(g).sum(0), 1e-6) == "");
  // And it is not the float32 result: the rounding is really there.
  const LinearRun f32 = run_linear(as_float(x), as_float(w), as_float(b), as_float(g));
  CHECK(mismatch(bf16.y, f32.y, 1e-6) != "");
}

TEST_CASE("conv2d's backward runs in the precision of its forward pass", "[ops][conv][bf16]") {
  auto x = as_float(randn({3, 2, 7, 7})), w = as_float(randn({4, 2, 3, 3})), b = as_float(randn({4}));
  auto run = [&](bool forward_bf16, bool backward_bf16) {
    auto xi = x.detach().requires_grad_(), wi = w.detach().requires_grad_(), bi = b.detach().requires_grad_();
    Tensor<float> y;
    {
      ember::PrecisionGuard guard(forward_bf16 ? ember::Precision::bf16 : ember::Precision::float32);
      y = ember::conv2d(xi, wi, bi, {1, 1, 1});
    }
    ember::PrecisionGuard guard(backward_bf16 ? ember::Precision::bf16 : ember::Precision::float32);
    (y * y).sum().backward();
    return std::vector<std::vector<float>>{y.to_vector(), xi.grad().to_vector(), wi.grad().to_vector()};
  };
  const auto all_bf16 = run(true, true), forward_only = run(true, false), f32 = run(false, false), backward_only = run(false, true);
  CHECK(forward_only == all_bf16);
  CHECK(backward_only == f32);
  CHECK(all_bf16 != f32);
}

TEST_CASE("bf16 precision leaves double tensors in double", "[ops][bf16]") {
  auto x = randn({2, 3, 6, 6}), w = randn({4, 3, 3, 3}), lw = randn({5, 64});
  auto plain_conv = ember::conv2d(x, w), plain_linear = ember::linear(plain_conv.flatten(1), lw);
  ember::PrecisionGuard guard(ember::Precision::bf16);
  CHECK(ember::conv2d(x, w).to_vector() == plain_conv.to_vector());
  CHECK(ember::linear(plain_conv.flatten(1), lw).to_vector() == plain_linear.to_vector());
  // And gradients stay exact: gradcheck in double passes under the guard.
  require_gradcheck([](const auto& v) { return ember::linear(v[0], v[1]); }, {randn({3, 4}), randn({2, 4})});
}

TEST_CASE("parse_precision names the accepted values", "[ops][bf16]") {
  CHECK(ember::parse_precision("bf16") == ember::Precision::bf16);
  CHECK(ember::parse_precision("float32") == ember::Precision::float32);
  CHECK_THROWS_WITH(ember::parse_precision("fp16", "mnist"), Equals("mnist: expected precision 'float32' or 'bf16', got 'fp16'"));
  CHECK(std::string(ember::to_string(ember::Precision::bf16)) == "bf16");
}
