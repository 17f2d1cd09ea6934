// Agreement with PyTorch: fixtures written by tests/fixtures/make_fixtures.py (PyTorch,
// computed in float64, stored as float32) for conv2d, max_pool2d, linear, cross_entropy and
// the whole reference CNN. ember runs in float and must agree to 1e-5 * (1 + |reference|).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <utility>

#include <ember/ember.hpp>

#include "mnist/model.hpp"
#include "npy.hpp"
#include "tensor_match.hpp"

using ember::Tensor;
using ember_test::fixture_path;
using ember_test::mismatch;

namespace {

constexpr double kTolerance = 1e-5;

Tensor<float> load(const std::string& fixture, const std::string& name) {
  return ember_test::load_tensor<float>(fixture_path(fixture, name));  // fixture_path adds ".npy"
}

// Runs f forward, then backward with the fixture's grad_output, and returns the output.
template <class F>
Tensor<float> forward_backward(const std::string& fixture, F f) {
  Tensor<float> out = f();
  out.backward(load(fixture, "grad_output"));
  return out;
}

Tensor<float> param(const std::string& fixture, const std::string& name) {
  auto t = load(fixture, name);
  t.requires_grad_();
  return t;
}

}  // namespace

TEST_CASE("conv2d matches PyTorch (stride, padding, dilation)", "[parity][conv]") {
  for (const char* fixture : {"conv2d_basic", "conv2d_stride2_pad1", "conv2d_k2_pad1", "conv2d_stride2_dilation2"}) {
    INFO(fixture);
    auto config = ember_test::read_config(ember_test::fixture_config_path(fixture));
    ember::Conv2dParams p{ember_test::config_value(config, "stride"), ember_test::config_value(config, "padding"),
                          ember_test::config_value(config, "dilation")};
    auto x = param(fixture, "input"), w = param(fixture, "weight"), b = param(fixture, "bias");
    auto out = forward_backward(fixture, [&] { return ember::conv2d(x, w, b, p); });
    CHECK(mismatch(out, load(fixture, "output"), kTolerance) == "");
    CHECK(mismatch(x.grad(), load(fixture, "grad_input"), kTolerance) == "");
    CHECK(mismatch(w.grad(), load(fixture, "grad_weight"), kTolerance) == "");
    CHECK(mismatch(b.grad(), load(fixture, "grad_bias"), kTolerance) == "");
  }
}

TEST_CASE("max_pool2d matches PyTorch", "[parity][pool]") {
  for (const char* fixture : {"max_pool2d_k2s2", "max_pool2d_k3s2_pad1", "max_pool2d_k2s1"}) {
    INFO(fixture);
    auto config = ember_test::read_config(ember_test::fixture_config_path(fixture));
    auto x = param(fixture, "input");
    auto out = forward_backward(fixture, [&] {
      return ember::max_pool2d(x, ember_test::config_value(config, "kernel_size"),
                               ember_test::config_value(config, "stride"), ember_test::config_value(config, "padding"));
    });
    CHECK(mismatch(out, load(fixture, "output"), kTolerance) == "");
    CHECK(mismatch(x.grad(), load(fixture, "grad_input"), kTolerance) == "");
  }
}

TEST_CASE("linear matches PyTorch", "[parity][linear]") {
  auto x = param("linear", "input"), w = param("linear", "weight"), b = param("linear", "bias");
  auto out = forward_backward("linear", [&] { return ember::linear(x, w, b); });
  CHECK(mismatch(out, load("linear", "output"), kTolerance) == "");
  CHECK(mismatch(x.grad(), load("linear", "grad_input"), kTolerance) == "");
  CHECK(mismatch(w.grad(), load("linear", "grad_weight"), kTolerance) == "");
  CHECK(mismatch(b.grad(), load("linear", "grad_bias"), kTolerance) == "");
}

TEST_CASE("cross_entropy matches PyTorch for every reduction", "[parity][loss]") {
  auto logits = param("cross_entropy", "logits");
  auto target = ember_test::load_labels(fixture_path("cross_entropy", "target"));
  CHECK(mismatch(ember::cross_entropy(logits, target, ember::Reduction::Sum), load("cross_entropy", "loss_sum"),
                 kTolerance) == "");
  CHECK(mismatch(ember::cross_entropy(logits, target, ember::Reduction::None), load("cross_entropy", "loss_none"),
                 kTolerance) == "");
  auto loss = ember::cross_entropy(logits, target);
  CHECK(mismatch(loss, load("cross_entropy", "loss_mean"), kTolerance) == "");
  loss.backward();
  CHECK(mismatch(logits.grad(), load("cross_entropy", "grad_logits_mean"), kTolerance) == "");
}

TEST_CASE("the reference CNN matches PyTorch: logits, loss and every gradient", "[parity][reference]") {
  const std::string fixture = "reference_cnn";
  mnist::Net<float> net;
  // The fixture's weights: value[i] = sin(0.37 i + 0.11 k) / sqrt(fan_in) for parameter k (README).
  int k = 0;
  for (auto& [name, p] : net.named_parameters()) {
    const std::string layer = name.substr(0, name.find('.'));
    const double fan_in = layer == "conv1" ? 9 : layer == "conv2" ? 288 : layer == "fc1" ? 9216 : 128;
    ember::NoGradGuard no_grad;
    for (ember::index_t i = 0; i < p.numel(); ++i)
      p.data()[i] = static_cast<float>(std::sin(0.37 * double(i) + 0.11 * k) / std::sqrt(fan_in));
    // The formula is the fixture's (to an ulp: the compiler may fuse the argument into an FMA).
    if (name != "fc1.weight") CHECK(mismatch(p, load(fixture, name), 1e-7) == "");
    ++k;
  }
  net.eval();  // dropout off, as in the fixture
  auto x = load(fixture, "input");
  auto target = ember_test::load_labels(fixture_path(fixture, "target"));
  auto logits = net(x);
  CHECK(mismatch(logits, load(fixture, "logits"), kTolerance) == "");
  auto loss = ember::cross_entropy(logits, target);
  CHECK(mismatch(loss, load(fixture, "loss"), kTolerance) == "");
  loss.backward();
  for (auto& [name, p] : net.named_parameters()) {
    INFO(name);
    if (name == "fc1.weight") continue;
    CHECK(mismatch(p.grad(), load(fixture, "grad." + name), kTolerance) == "");
  }
  // fc1.weight's gradient (1.2M values) is checked through a sample of every 997th value and its moments.
  Tensor<float> g = net.fc1.weight.grad();
  auto sample = ember_test::read_npy(fixture_path(fixture, "grad.fc1.weight.sample")).data;
  double worst = 0;
  for (std::size_t j = 0; j < sample.size(); ++j)
    worst = std::max(worst, std::abs(g.data()[j * 997] - sample[j]) / (1 + std::abs(sample[j])));
  CHECK(worst < kTolerance);
  double sum = 0, sumsq = 0;
  for (ember::index_t i = 0; i < g.numel(); ++i) sum += g.data()[i], sumsq += double(g.data()[i]) * g.data()[i];
  double ref_sum = ember_test::read_npy(fixture_path(fixture, "grad.fc1.weight.sum")).data.at(0);
  double ref_sumsq = ember_test::read_npy(fixture_path(fixture, "grad.fc1.weight.sumsq")).data.at(0);
  CHECK(sum == Approx(ref_sum).epsilon(1e-5));
  CHECK(sumsq == Approx(ref_sumsq).epsilon(1e-5));
}

// ---- the layers of the second network -------------------------------------------------------

TEST_CASE("batch_norm matches PyTorch in train and eval mode, running statistics included", "[parity][batch_norm]") {
  for (auto [fixture, training] : {std::pair<const char*, bool>{"batch_norm2d_train", true},
                                   {"batch_norm1d_train", true},
                                   {"batch_norm1d_3d_train", true},
                                   {"batch_norm2d_eval", false}}) {
    INFO(fixture);
    auto x = param(fixture, "input"), w = param(fixture, "weight"), b = param(fixture, "bias");
    auto running_mean = load(fixture, "running_mean"), running_var = load(fixture, "running_var");
    const bool batch_statistics = training;  // (C++17 lambdas cannot capture a structured binding)
    auto out = forward_backward(fixture, [&] {
      return ember::batch_norm(x, running_mean, running_var, w, b, batch_statistics, {0.1, 1e-5});
    });
    CHECK(mismatch(out, load(fixture, "output"), kTolerance) == "");
    CHECK(mismatch(x.grad(), load(fixture, "grad_input"), kTolerance) == "");
    CHECK(mismatch(w.grad(), load(fixture, "grad_weight"), kTolerance) == "");
    CHECK(mismatch(b.grad(), load(fixture, "grad_bias"), kTolerance) == "");
    CHECK(mismatch(running_mean, load(fixture, "running_mean_after"), kTolerance) == "");
    CHECK(mismatch(running_var, load(fixture, "running_var_after"), kTolerance) == "");
  }
}

TEST_CASE("avg_pool2d and adaptive_avg_pool2d match PyTorch", "[parity][pool]") {
  using Pool = std::function<Tensor<float>(const Tensor<float>&)>;
  for (auto [fixture, pool] :
       {std::pair<const char*, Pool>{"avg_pool2d_k3s2_pad1", [](const auto& t) { return ember::avg_pool2d(t, 3, 2, 1); }},
        {"avg_pool2d_k2", [](const auto& t) { return ember::avg_pool2d(t, 2); }},
        {"adaptive_avg_pool2d_1x1", [](const auto& t) { return ember::adaptive_avg_pool2d(t, 1, 1); }},
        {"adaptive_avg_pool2d_3x2", [](const auto& t) { return ember::adaptive_avg_pool2d(t, 3, 2); }}}) {
    INFO(fixture);
    auto x = param(fixture, "input");
    const Pool& pool_of = pool;  // (C++17 lambdas cannot capture a structured binding)
    auto out = forward_backward(fixture, [&] { return pool_of(x); });
    CHECK(mismatch(out, load(fixture, "output"), kTolerance) == "");
    CHECK(mismatch(x.grad(), load(fixture, "grad_input"), kTolerance) == "");
  }
}

TEST_CASE("leaky_relu, gelu, silu, sigmoid and tanh match PyTorch", "[parity][activation]") {
  using Activation = std::function<Tensor<float>(const Tensor<float>&)>;
  for (auto [name, f] : {std::pair<std::string, Activation>{"leaky_relu", [](const auto& t) { return ember::leaky_relu(t, 0.1); }},
                         {"gelu", [](const auto& t) { return ember::gelu(t); }},
                         {"silu", [](const auto& t) { return ember::silu(t); }},
                         {"sigmoid", [](const auto& t) { return ember::sigmoid(t); }},
                         {"tanh", [](const auto& t) { return ember::tanh(t); }}}) {
    INFO(name);
    auto x = param("activations", "input");
    auto out = f(x);
    out.backward(load("activations", name + "_grad_output"));
    CHECK(mismatch(out, load("activations", name + "_output"), kTolerance) == "");
    CHECK(mismatch(x.grad(), load("activations", name + "_grad_input"), kTolerance) == "");
  }
}

TEST_CASE("cat and stack match PyTorch", "[parity][join]") {
  auto a = load("cat_stack", "a"), b = load("cat_stack", "b"), c = load("cat_stack", "c");
  CHECK(mismatch(ember::cat<float>({a, b}, 1), load("cat_stack", "cat_ab_dim1"), 0) == "");
  CHECK(mismatch(ember::stack<float>({a, c}, 2), load("cat_stack", "stack_ac_dim2"), 0) == "");
}

TEST_CASE("cross_entropy with label_smoothing matches PyTorch for every reduction", "[parity][loss]") {
  const char* f = "cross_entropy_smoothing";
  auto logits = param(f, "logits");
  auto target = ember_test::load_labels(fixture_path(f, "target"));
  CHECK(mismatch(ember::cross_entropy(logits, target, ember::Reduction::Sum, 0.1), load(f, "loss_sum"), kTolerance) == "");
  CHECK(mismatch(ember::cross_entropy(logits, target, ember::Reduction::None, 0.1), load(f, "loss_none"), kTolerance) ==
        "");
  auto loss = ember::cross_entropy(logits, target, ember::Reduction::Mean, 0.1);
  CHECK(mismatch(loss, load(f, "loss_mean"), kTolerance) == "");
  loss.backward();
  CHECK(mismatch(logits.grad(), load(f, "grad_logits_mean"), kTolerance) == "");
}
