// nn modules: registration and names, train/eval, zero_grad, summary, PyTorch's default
// initialisation, gradient checks of whole modules in double, and training on synthetic data.
#include <catch2/catch.hpp>

#include <sstream>

#include <ember/ember.hpp>

#include "mnist/model.hpp"
#include "random_inputs.hpp"
#include "tensor_match.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using ember::Shape;
using ember::Tensor;
using ember_test::mismatch;
using ember_test::randn;
using ember_test::require_gradcheck;
using ember_test::require_module_gradcheck;
namespace nn = ember::nn;

namespace {

template <class T>
struct TinyNet : nn::Module<T> {
  nn::Linear<T> fc1{4, 8}, fc2{8, 3};
  TinyNet() {
    this->register_module("fc1", fc1);
    this->register_module("fc2", fc2);
    this->register_buffer("steps", ember::zeros<T>({1}));
  }
  Tensor<T> forward(const Tensor<T>& x) override { return fc2(ember::relu(fc1(x))); }
};

std::vector<std::string> names(const nn::Module<float>& m) {
  std::vector<std::string> out;
  for (auto& [name, p] : m.named_parameters()) out.push_back(name);
  return out;
}


}  // namespace

TEST_CASE("parameters get PyTorch's dotted names in registration order", "[nn][module]") {
  TinyNet<float> net;
  CHECK(names(net) == std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
  CHECK(net.num_parameters() == 4 * 8 + 8 + 8 * 3 + 3);
  CHECK(net.named_buffers().size() == 1);
  CHECK(net.named_buffers()[0].first == "steps");
  for (auto& p : net.parameters()) CHECK(p.requires_grad());
  mnist::Net<float> cnn;
  CHECK(names(cnn) == std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                               "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
  CHECK(cnn.num_parameters() == 1199882);
  mnist::BnNet<float> bn;  // the --model bn network: PyTorch's BatchNorm names and buffers
  CHECK(bn.num_parameters() == 140458);
  CHECK(names(bn).front() == "conv1.weight");
  CHECK(names(bn)[1] == "bn1.weight");
  CHECK(bn.named_buffers().size() == 15);
}

TEST_CASE("Sequential names its layers 0, 1, ...", "[nn][sequential]") {
  nn::Sequential<float> seq{std::make_shared<nn::Linear<float>>(3, 4), std::make_shared<nn::ReLU<float>>(),
                            std::make_shared<nn::Linear<float>>(4, 2)};
  CHECK(seq.size() == 3);
  CHECK(names(seq) == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(seq(ember::zeros<float>({5, 3})).shape() == Shape{5, 2});
  CHECK(seq[1].type_name() == "ReLU");
  CHECK_THROWS_WITH(seq[3], Equals("Sequential: index 3 out of range for 3 layers"));
  nn::Sequential<float> outer;
  auto inner = outer.add(std::make_shared<nn::Sequential<float>>());
  inner->add(std::make_shared<nn::Linear<float>>(2, 2));
  CHECK(names(outer) == std::vector<std::string>{"0.0.weight", "0.0.bias"});
}

TEST_CASE("registration rejects bad and duplicate names", "[nn][module]") {
  TinyNet<float> net;
  CHECK_THROWS_WITH(net.register_parameter("fc1", ember::zeros<float>({1})),
                    Equals("register: name 'fc1' is already used in Module"));
  CHECK_THROWS_WITH(net.register_buffer("a.b", ember::zeros<float>({1})),
                    Equals("register: invalid name 'a.b' (must be non-empty and contain no '.')"));
  CHECK_THROWS_AS(net.register_module("self", net), ember::ValueError);
  nn::Module<float> bare;
  CHECK_THROWS_WITH(bare(ember::zeros<float>({1})), Equals("Module: forward(input) is not implemented by this module"));
}

TEST_CASE("train() and eval() reach every submodule; dropout follows", "[nn][module]") {
  mnist::Net<float> net;
  CHECK(net.is_training());
  net.eval();
  CHECK_FALSE(net.dropout1.is_training());
  CHECK_FALSE(net.fc2.is_training());
  auto x = ember::ones<float>({1, 128});
  CHECK(net.dropout2(x).shares_storage_with(x));  // identity in eval
  net.train();
  CHECK(net.dropout2.is_training());
  CHECK_FALSE(net.dropout2(x).shares_storage_with(x));
}

TEST_CASE("zero_grad zeroes every parameter gradient", "[nn][module]") {
  TinyNet<float> net;
  ember::Generator gen(1);
  net(ember::randn<float>({2, 4}, gen)).sum().backward();
  for (auto& p : net.parameters()) REQUIRE(p.grad().defined());
  net.zero_grad();
  for (auto& p : net.parameters()) CHECK(p.grad().eigen().abs().maxCoeff() == 0.0f);
}

TEST_CASE("default initialisation follows PyTorch's bounds and the seed", "[nn][init]") {
  ember::Generator g1(7), g2(7);
  nn::Conv2d<double> conv(3, 16, 5, {}, g1);
  nn::Conv2d<double> same(3, 16, 5, {}, g2);
  CHECK(conv.weight.to_vector() == same.weight.to_vector());
  const double bound = 1.0 / std::sqrt(3.0 * 5 * 5);  // kaiming_uniform(a = sqrt(5)) = 1/sqrt(fan_in)
  CHECK(conv.weight.eigen().abs().maxCoeff() <= bound);
  CHECK(conv.weight.eigen().abs().maxCoeff() > 0.9 * bound);  // spans the interval
  CHECK(conv.bias.eigen().abs().maxCoeff() <= bound);
  // U(-b, b) has variance b^2 / 3.
  double var = conv.weight.eigen().square().mean();
  CHECK(var == Approx(bound * bound / 3).epsilon(0.1));
  nn::Linear<double> fc(200, 50);
  CHECK(fc.weight.eigen().abs().maxCoeff() <= 1.0 / std::sqrt(200.0));
  CHECK(fc.bias.eigen().abs().maxCoeff() <= 1.0 / std::sqrt(200.0));
  CHECK_THROWS_AS(nn::Linear<float>(0, 3), ember::ValueError);
}

TEST_CASE("summary prints every layer's output shape and parameters", "[nn][summary]") {
  mnist::Net<float> net;
  std::ostringstream out;
  CHECK(net.summary({1, 1, 28, 28}, out) == Shape{1, 10});
  const std::string s = out.str();
  CHECK_THAT(s, Contains("conv1     Conv2d(1, 32, kernel_size=3)"));
  CHECK_THAT(s, Contains("[1, 32, 26, 26]"));
  CHECK_THAT(s, Contains("[1, 64, 12, 12]"));
  CHECK_THAT(s, Contains("[1, 9216]"));
  CHECK_THAT(s, Contains("1179776"));
  CHECK_THAT(s, Contains("Total parameters: 1199882"));
  CHECK(net.is_training());  // summary restores the mode
}

TEST_CASE("summary names the layer whose input does not fit", "[nn][summary]") {
  mnist::Net<float> net;
  std::ostringstream out;
  CHECK_THROWS_WITH(net.summary({1, 1, 20, 28}, out),
                    Equals("summary: layer 'fc1' (Linear(in_features=9216, out_features=128, bias=true)) with input "
                           "of shape [1, 6144]: linear: expected input of shape [N, 9216], got [1, 6144]"));
  CHECK_THROWS_WITH(net.summary({1, 3, 28, 28}, out), Contains("summary: layer 'conv1' (Conv2d(1, 32, kernel_size=3))"));
  CHECK(net(ember::zeros<float>({1, 1, 28, 28})).shape() == Shape{1, 10});  // no recorder left behind
}

TEST_CASE("modules pass gradient checks in double", "[nn][gradcheck]") {
  ember::Generator gen(11);
  nn::Linear<double> fc(5, 3, true, gen);
  require_module_gradcheck(fc, {4, 5});
  nn::Conv2d<double> conv(2, 3, 3, {2, 1, 1, true}, gen);
  require_module_gradcheck(conv, {2, 2, 6, 5});
  nn::Sequential<double> seq{std::make_shared<nn::Conv2d<double>>(1, 2, 3, nn::Conv2dOptions{}, gen),
                             std::make_shared<nn::MaxPool2d<double>>(2),
                             std::make_shared<nn::Flatten<double>>(),
                             std::make_shared<nn::Linear<double>>(8, 3, true, gen)};
  require_module_gradcheck(seq, {2, 1, 6, 6});
}

namespace {
// The custom layer of docs/api.md ("Writing a custom layer with its backward"), verbatim.
template <class T>
ember::Tensor<T> feature_scale(const ember::Tensor<T>& x, const ember::Tensor<T>& scale) {
  auto out = ember::map(x, [](T v) { return v; });
  const ember::index_t n = x.size(0), f = x.size(1);
  for (ember::index_t i = 0; i < n; ++i)
    for (ember::index_t j = 0; j < f; ++j) out.data()[i * f + j] *= scale.data()[j];
  auto x0 = ember::kernels::make_contiguous(x).detach(), s0 = scale.detach();
  return ember::record<T>("feature_scale", out, {x, scale},
                          [x0, s0, n, f](const ember::Tensor<T>& g, const ember::Node<T>& self) {
    auto gc = ember::kernels::make_contiguous(g);
    ember::Tensor<T> dx, ds;
    if (self.needs_grad(0)) dx = gc * s0;                                  // dy/dx = scale
    if (self.needs_grad(1)) {                                              // dy/dscale = sum over rows of g * x
      ds = ember::zeros<T>({f});
      for (ember::index_t i = 0; i < n; ++i)
        for (ember::index_t j = 0; j < f; ++j) ds.data()[j] += gc.data()[i * f + j] * x0.data()[i * f + j];
    }
    return std::vector<ember::Tensor<T>>{dx, ds};
  });
}

template <class T = float>
struct FeatureScale : ember::nn::Module<T> {
  ember::Tensor<T> scale;
  explicit FeatureScale(ember::index_t features)
      : scale(this->register_parameter("scale", ember::ones<T>({features}))) {}
  ember::Tensor<T> forward(const ember::Tensor<T>& x) override { return feature_scale(x, scale); }
  std::string type_name() const override { return "FeatureScale"; }
};
}  // namespace

TEST_CASE("the custom layer of the user guide passes its gradient check", "[nn][docs][gradcheck]") {
  ember::Generator gen(8);
  FeatureScale<double> layer(3);
  {
    ember::NoGradGuard no_grad;
    layer.scale.eigen() = ember::randn<double>({3}, gen).eigen();  // away from the all-ones start
  }
  auto x = ember::randn<double>({4, 3}, gen).requires_grad_();
  std::vector<ember::Tensor<double>> leaves{x};
  for (auto& p : layer.parameters()) leaves.push_back(p);
  auto result = ember::gradcheck_leaves([&] { return layer(x); }, leaves);
  INFO(result.report);
  REQUIRE(result.ok);
  CHECK(x.at(1, 2) * layer.scale.at(2) == Approx(layer(x).at(1, 2)));
}
