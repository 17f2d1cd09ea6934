// The layers of the second network: batch_norm (BatchNorm1d/2d), avg_pool2d and
// adaptive_avg_pool2d, the activations, cat/stack, label smoothing and ModelEMA: gradient
// checks in double, naive references, module state and errors. PyTorch parity is in
// test_pytorch_parity.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include <ember/ember.hpp>

#include "resnet_example.hpp"
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

// Batch normalisation by its definition, in double, over [N, C, L].
std::vector<double> naive_batch_norm(const Tensor<float>& x, const std::vector<double>& weight,
                                     const std::vector<double>& bias, double eps) {
  const ember::index_t n = x.size(0), c = x.size(1), l = x.numel() / (n * c);
  const std::vector<float> values = x.to_vector();
  std::vector<double> v(values.begin(), values.end()), out(v.size());
  for (ember::index_t ch = 0; ch < c; ++ch) {
    double mean = 0, var = 0;
    for (ember::index_t i = 0; i < n; ++i)
      for (ember::index_t j = 0; j < l; ++j) mean += v[static_cast<std::size_t>((i * c + ch) * l + j)];
    mean /= static_cast<double>(n * l);
    for (ember::index_t i = 0; i < n; ++i)
      for (ember::index_t j = 0; j < l; ++j) var += std::pow(v[static_cast<std::size_t>((i * c + ch) * l + j)] - mean, 2);
    var /= static_cast<double>(n * l);
    for (ember::index_t i = 0; i < n; ++i)
      for (ember::index_t j = 0; j < l; ++j) {
        const auto k = static_cast<std::size_t>((i * c + ch) * l + j);
        out[k] = (v[k] - mean) / std::sqrt(var + eps) * weight[static_cast<std::size_t>(ch)] +
                 bias[static_cast<std::size_t>(ch)];
      }
  }
  return out;
}


std::vector<std::string> tensor_names(const nn::Module<float>& m) {
  std::vector<std::string> out;
  for (auto& [name, t] : m.named_parameters()) out.push_back(name);
  for (auto& [name, t] : m.named_buffers()) out.push_back(name);
  return out;
}

}  // namespace

// ---- batch_norm ------------------------------------------------------------------------------

TEST_CASE("gradients of batch_norm with batch and with running statistics", "[ops][batch_norm][gradcheck]") {
  auto w = randn({3}), b = randn({3});
  for (const Shape& s : {Shape{4, 3, 3, 2}, Shape{5, 3}, Shape{2, 3, 4}}) {
    INFO("input " << s);
    require_gradcheck([](const auto& v) { return ember::batch_norm(v[0], {}, {}, v[1], v[2], true); },
                      {randn(s) * 2.0 + 1.0, w, b});
    require_gradcheck([](const auto& v) { return ember::batch_norm(v[0], {}, {}, {}, {}, true); }, {randn(s)});
    const auto rm = randn({3}), rv = ember_test::positive({3});
    require_gradcheck([rm, rv](const auto& v) { return ember::batch_norm(v[0], rm, rv, v[1], v[2], false); },
                      {randn(s), w, b});
  }
}

TEST_CASE("batch_norm agrees with the definition on a large input, for any thread count", "[ops][batch_norm]") {
  ember::Generator gen(5);
  auto x = ember::randn<float>({16, 8, 12, 12}, gen) * 3.0f + 5.0f;
  std::vector<double> w, b;
  for (int c = 0; c < 8; ++c) w.push_back(0.5 + 0.1 * c), b.push_back(0.2 * c - 0.5);
  auto wt = ember::from_vector<float>(std::vector<float>(w.begin(), w.end()));
  auto bt = ember::from_vector<float>(std::vector<float>(b.begin(), b.end()));
  wt.requires_grad_(), bt.requires_grad_();
  auto xg = x.detach();
  xg.requires_grad_();
  const int threads = ember::get_num_threads();
  auto run = [&](int n) {
    ember::set_num_threads(n);
    xg.zero_grad(), wt.zero_grad(), bt.zero_grad();
    auto y = ember::batch_norm(xg, {}, {}, wt, bt, true);
    (y * y).sum().backward();  // a gradient that is not constant per channel
    return std::vector<std::vector<float>>{y.to_vector(), xg.grad().to_vector(), wt.grad().to_vector(),
                                           bt.grad().to_vector()};
  };
  const auto one = run(1), two = run(2);
  ember::set_num_threads(threads);
  CHECK(one == two);  // bitwise: per-channel sums never depend on the split
  const auto expected = naive_batch_norm(x, w, b, 1e-5);
  CHECK(mismatch(ember::from_vector<float>(one[0], x.shape()), expected, 1e-5) == "");
}

TEST_CASE("batch_norm errors name the op and what was expected", "[ops][batch_norm]") {
  CHECK_THROWS_WITH(ember::batch_norm(ember::zeros<float>({1, 3}), {}, {}, {}, {}, true),
                    Equals("batch_norm: expected more than 1 value per channel when training, got input of shape [1, 3]"));
  CHECK_THROWS_WITH(ember::batch_norm(ember::zeros<float>({2, 3}), {}, {}, ember::ones<float>({4}), {}, true),
                    Equals("batch_norm: expected weight of shape [3] for input of shape [2, 3], got [4]"));
  CHECK_THROWS_WITH(ember::batch_norm(ember::zeros<float>({3}), {}, {}, {}, {}, true),
                    Equals("batch_norm: expected input of shape [N, C, ...], got [3]"));
  CHECK_THROWS_WITH(ember::batch_norm(ember::zeros<float>({2, 3}), {}, {}, {}, {}, false),
                    Equals("batch_norm: running_mean and running_var are needed in eval mode"));
  // one value per channel is fine with running statistics (eval)
  CHECK(ember::batch_norm(ember::zeros<float>({1, 3}), ember::zeros<float>({3}), ember::ones<float>({3}), {}, {}, false)
            .shape() == Shape{1, 3});
}

TEST_CASE("BatchNorm2d has PyTorch's names, defaults and train/eval behaviour", "[nn][batch_norm]") {
  nn::BatchNorm2d<float> bn(3);
  CHECK(tensor_names(bn) ==
        std::vector<std::string>{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"});
  CHECK(bn.describe() == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  CHECK(mismatch(bn.weight, {1, 1, 1}) == "");
  CHECK(mismatch(bn.running_var, {1, 1, 1}) == "");
  CHECK(bn.num_batches_tracked.shape() == Shape{});
  CHECK(bn.parameters().size() == 2);  // buffers never reach an optimizer
  ember::Generator gen(3);
  auto x = ember::randn<float>({4, 3, 5, 5}, gen) + 2.0f;
  auto y = bn(x);
  CHECK(bn.num_batches_tracked.item() == 1.0f);
  // batch statistics: every channel of y has mean 0 and (biased) variance 1
  for (int c = 0; c < 3; ++c) {
    double mean = 0, sq = 0;
    for (int n = 0; n < 4; ++n)
      for (int i = 0; i < 25; ++i) {
        const double v = y.data()[(n * 3 + c) * 25 + i];
        mean += v, sq += v * v;
      }
    CHECK(mean / 100 == Approx(0).margin(1e-5));
    CHECK(sq / 100 == Approx(1).epsilon(1e-3));
  }
  // running_mean moved a tenth of the way to the batch mean (about 2)
  for (float m : bn.running_mean.to_vector()) CHECK(m == Approx(0.2).margin(0.05));
  bn.eval();
  auto z = bn(x);  // running statistics now
  CHECK(bn.num_batches_tracked.item() == 1.0f);
  CHECK(std::abs(z.data()[0] - y.data()[0]) > 0.1f);
  CHECK_THROWS_WITH(bn(ember::zeros<float>({2, 4, 5, 5})),
                    Equals("BatchNorm2d: expected 3 channels (dimension 1), got input of shape [2, 4, 5, 5]"));
  CHECK_THROWS_WITH(bn(ember::zeros<float>({2, 3, 5})),
                    Equals("BatchNorm2d: expected input of shape [N, C, H, W], got [2, 3, 5]"));
}

TEST_CASE("BatchNorm1d refuses a batch of one in train mode, as PyTorch", "[nn][batch_norm]") {
  nn::BatchNorm1d<float> bn(4);
  CHECK_THROWS_WITH(bn(ember::ones<float>({1, 4})),
                    Equals("batch_norm: expected more than 1 value per channel when training, got input of shape [1, 4]"));
  CHECK(bn.num_batches_tracked.item() == 0.0f);  // a refused batch is not counted
  CHECK(bn(ember::ones<float>({1, 4, 3})).shape() == Shape{1, 4, 3});  // [N, C, L]: 3 values per channel
  bn.eval();
  CHECK(bn(ember::ones<float>({1, 4})).shape() == Shape{1, 4});
  nn::BatchNorm1d<float> plain(4, {1e-5, 0.1, false, false});
  CHECK(tensor_names(plain).empty());
  plain.eval();  // no running statistics: the batch's, in eval mode too (as PyTorch)
  auto y = plain(ember::from_vector<float>({1, 2, 3, 4, 3, 4, 5, 6}, {2, 4}));
  CHECK(mismatch(y, {-1, -1, -1, -1, 1, 1, 1, 1}, 1e-4) == "");
  CHECK_THROWS_AS(nn::BatchNorm1d<float>(0), ember::ValueError);
}

TEST_CASE("BatchNorm layers pass module gradient checks in double", "[nn][batch_norm][gradcheck]") {
  nn::BatchNorm2d<double> bn2(3);
  bn2.weight.data()[1] = 1.5, bn2.bias.data()[2] = -0.3;
  require_module_gradcheck(bn2, {3, 3, 2, 2});
  nn::BatchNorm1d<double> bn1(4);
  require_module_gradcheck(bn1, {5, 4});
  bn1.eval();
  require_module_gradcheck(bn1, {5, 4});
}

// ---- pooling ---------------------------------------------------------------------------------

TEST_CASE("gradients of avg_pool2d and adaptive_avg_pool2d", "[ops][pool][gradcheck]") {
  require_gradcheck([](const auto& v) { return ember::avg_pool2d(v[0], 2); }, {randn({2, 3, 6, 6})});
  require_gradcheck([](const auto& v) { return ember::avg_pool2d(v[0], 3, 2, 1); }, {randn({1, 2, 7, 9})});
  require_gradcheck([](const auto& v) { return ember::adaptive_avg_pool2d(v[0], 1, 1); }, {randn({2, 3, 5, 4})});
  require_gradcheck([](const auto& v) { return ember::adaptive_avg_pool2d(v[0], 3, 2); }, {randn({1, 2, 7, 5})});
  require_gradcheck([](const auto& v) { return ember::adaptive_avg_pool2d(v[0], 4, 4); }, {randn({1, 1, 3, 3})});
}

TEST_CASE("avg_pool2d and global pooling by hand, and their errors", "[ops][pool]") {
  auto x = ember::arange<float>(16).reshape({1, 1, 4, 4});
  CHECK(mismatch(ember::avg_pool2d(x, 2), {2.5, 4.5, 10.5, 12.5}) == "");
  // padding counts in the mean: the corner window holds 0 + 1 + 4 + 5 out of 9 cells
  CHECK(ember::avg_pool2d(x, 3, 2, 1).data()[0] == Approx(10.0 / 9));
  CHECK(mismatch(ember::adaptive_avg_pool2d(x, 1, 1), {7.5}) == "");
  nn::AdaptiveAvgPool2d<float> global(1);
  CHECK(global(ember::zeros<float>({2, 5, 7, 3})).shape() == Shape{2, 5, 1, 1});
  CHECK(global.describe() == "AdaptiveAvgPool2d(output_size=1)");
  CHECK(nn::AvgPool2d<float>(2).describe() == "AvgPool2d(kernel_size=2, stride=2, padding=0)");
  CHECK_THROWS_WITH(ember::avg_pool2d(ember::zeros<float>({1, 4, 4}), 2),
                    Equals("avg_pool2d: expected input of shape [N, C, H, W], got [1, 4, 4]"));
  CHECK_THROWS_WITH(ember::avg_pool2d(ember::zeros<float>({1, 1, 2, 2}), 3),
                    Equals("avg_pool2d: input of shape [1, 1, 2, 2] is smaller than the window 3x3 (padding 0)"));
  CHECK_THROWS_WITH(ember::adaptive_avg_pool2d(ember::zeros<float>({1, 1, 2, 2}), 0, 1),
                    Equals("adaptive_avg_pool2d: expected an output size of at least 1x1, got 0x1"));
  CHECK_THROWS_AS(nn::AvgPool2d<float>(2, 1, 2), ember::ValueError);
}

// ---- activations -----------------------------------------------------------------------------

TEST_CASE("gradients of the activations", "[ops][activation][gradcheck]") {
  // values away from leaky_relu's kink at 0
  auto away = ember::from_vector<double>({-2.5, -1.1, -0.3, 0.2, 0.7, 1.9, 3.5, -4.0}, {2, 4});
  require_gradcheck([](const auto& v) { return ember::leaky_relu(v[0], 0.2); }, {away});
  require_gradcheck([](const auto& v) { return ember::gelu(v[0]); }, {away});
  require_gradcheck([](const auto& v) { return ember::silu(v[0]); }, {away});
  require_gradcheck([](const auto& v) { return ember::sigmoid(v[0]); }, {away});
  require_gradcheck([](const auto& v) { return ember::tanh(v[0].t()); }, {away});  // strided input
}

TEST_CASE("activation values at known points and for large inputs", "[ops][activation]") {
  auto x = ember::from_vector<float>({-100, -1, 0, 1, 100});
  CHECK(mismatch(ember::sigmoid(x), {0, 1 / (1 + std::exp(1.0)), 0.5, 1 / (1 + std::exp(-1.0)), 1}) == "");
  CHECK(mismatch(ember::tanh(x), {-1, std::tanh(-1.0), 0, std::tanh(1.0), 1}) == "");
  CHECK(mismatch(ember::leaky_relu(x), {-1, -0.01, 0, 1, 100}) == "");
  CHECK(mismatch(ember::silu(x), {0, -1 / (1 + std::exp(1.0)), 0, 1 / (1 + std::exp(-1.0)), 100}, 1e-5) == "");
  CHECK(mismatch(ember::gelu(x), {0, -0.15865525393145707, 0, 0.8413447460685429, 100}, 1e-6) == "");
  for (auto* m : std::vector<nn::Module<float>*>{new nn::LeakyReLU<float>(0.2), new nn::GELU<float>(),
                                                  new nn::SiLU<float>(), new nn::Sigmoid<float>(), new nn::Tanh<float>()}) {
    std::unique_ptr<nn::Module<float>> owned(m);
    CHECK((*m)(x).shape() == x.shape());
  }
  CHECK(nn::LeakyReLU<float>(0.2).describe() == "LeakyReLU(negative_slope=0.2)");
}

// ---- cat and stack ---------------------------------------------------------------------------

TEST_CASE("gradients of cat and stack", "[ops][join][gradcheck]") {
  require_gradcheck([](const auto& v) { return ember::cat<double>({v[0], v[1]}, 1); }, {randn({2, 3, 2}), randn({2, 1, 2})});
  require_gradcheck([](const auto& v) { return ember::cat<double>({v[0], v[1], v[0]}, -1); },
                    {randn({3, 2}), randn({3, 4})});
  require_gradcheck([](const auto& v) { return ember::stack<double>({v[0], v[1]}, 1); }, {randn({2, 3}), randn({2, 3})});
  require_gradcheck([](const auto& v) { return ember::stack<double>({v[0].t(), v[1]}, 0); }, {randn({3, 2}), randn({2, 3})});
}

TEST_CASE("cat and stack by hand, and their errors", "[ops][join]") {
  auto a = ember::from_vector<float>({1, 2, 3, 4}, {2, 2}), b = ember::from_vector<float>({5, 6}, {1, 2});
  CHECK(mismatch(ember::cat<float>({a, b}), {1, 2, 3, 4, 5, 6}) == "");
  CHECK(ember::stack<float>({a, a, a}, 2).shape() == Shape{2, 2, 3});
  CHECK_THROWS_WITH(ember::cat<float>({a, b}, 1),
                    Equals("cat: tensor 1 has shape [1, 2], expected 2 dimensions matching [2, 2] except in dimension 1"));
  CHECK_THROWS_WITH(ember::cat<float>({}), Equals("cat: expected at least one tensor"));
  CHECK_THROWS_WITH(ember::stack<float>({a, b}),
                    Equals("stack: expected every tensor of shape [2, 2], tensor 1 has shape [1, 2]"));
  CHECK_THROWS_AS(ember::stack<float>({a}, 3), ember::IndexError);
  CHECK_THROWS_AS(ember::stack<float>({ember::zeros<float>({1, 1, 1, 1})}), ember::ShapeError);
}

// ---- label smoothing -------------------------------------------------------------------------

TEST_CASE("cross_entropy with label smoothing: definition, gradient and errors", "[ops][loss][gradcheck]") {
  auto logits = randn({4, 5});
  auto target = ember::from_vector<std::int64_t>({0, 3, 4, 1});
  require_gradcheck([target](const auto& v) { return ember::cross_entropy(v[0], target, ember::Reduction::Mean, 0.2); },
                    {logits});
  // the definition: (1 - e) * nll + e * mean over classes of -log p
  auto lp = ember::log_softmax(logits, 1);
  double expected = 0;
  for (int i = 0; i < 4; ++i) {
    double all = 0;
    for (int c = 0; c < 5; ++c) all -= lp.at(i, c);
    expected += 0.8 * -lp.at(i, target.data()[i]) + 0.2 * all / 5;
  }
  CHECK(ember::cross_entropy(logits, target, ember::Reduction::Sum, 0.2).item() == Approx(expected).epsilon(1e-12));
  CHECK(ember::cross_entropy(logits, target, ember::Reduction::Mean, 0.0).item() ==
        ember::cross_entropy(logits, target).item());
  CHECK_THROWS_WITH(ember::cross_entropy(logits, target, ember::Reduction::Mean, 1.5),
                    Equals("cross_entropy: expected label_smoothing in [0, 1], got 1.5"));
}

// ---- ModelEMA --------------------------------------------------------------------------------

TEST_CASE("ModelEMA averages parameters and running statistics like AveragedModel's EMA", "[optim][ema]") {
  ember::Generator g1(1), g2(2);
  guide::SmallResNet<float> net(4, 3, g1), averaged(4, 3, g2);
  ember::optim::ModelEMA<float> ema(averaged, 0.9);
  ema.update(net);  // the first update copies
  for (std::size_t i = 0; i < net.parameters().size(); ++i)
    CHECK(net.parameters()[i].to_vector() == averaged.parameters()[i].to_vector());
  const auto before = averaged.named_parameters()[0].second.to_vector();
  const auto mean_before = averaged.bn.running_mean.to_vector();
  ember::optim::SGD<float> sgd(net.parameters(), ember::optim::SGDOptions{0.5});
  auto loss = ember::cross_entropy(net(ember::randn<float>({4, 1, 6, 6}, g1)), ember::from_vector<std::int64_t>({0, 1, 2, 1}));
  sgd.zero_grad(), loss.backward(), sgd.step();
  ema.update(net);
  CHECK(ema.num_updates() == 2);
  const auto after = averaged.named_parameters()[0].second.to_vector(), now = net.named_parameters()[0].second.to_vector();
  for (std::size_t i = 0; i < after.size(); ++i) CHECK(after[i] == Approx(0.9f * before[i] + 0.1f * now[i]));
  const auto mean_now = net.bn.running_mean.to_vector(), mean_after = averaged.bn.running_mean.to_vector();
  for (std::size_t i = 0; i < mean_after.size(); ++i)
    CHECK(mean_after[i] == Approx(0.9f * mean_before[i] + 0.1f * mean_now[i]));
  CHECK(averaged.bn.num_batches_tracked.item() == net.bn.num_batches_tracked.item());  // counters are copied
  guide::SmallResNet<float> wider(5, 3, g2);
  CHECK_THROWS_WITH(ember::optim::ModelEMA<float>(wider).update(net),
                    Equals("ModelEMA: parameter 'stem.weight' has shape [4, 1, 3, 3] in the model, [5, 1, 3, 3] in the "
                           "averaged module"));
  CHECK_THROWS_AS(ember::optim::ModelEMA<float>(wider, 1.5), ember::ValueError);
}

// ---- the user guide's residual network ---------------------------------------------------------

TEST_CASE("the ResNet of the user guide: PyTorch's names, gradients, and it learns", "[nn][docs][batch_norm]") {
  ember::Generator gen(7);
  guide::SmallResNet<float> net(8, 10, gen);
  const auto names = tensor_names(net);
  CHECK(names.front() == "stem.weight");
  CHECK(std::count(names.begin(), names.end(), "block1.bn2.running_var") == 1);
  CHECK(std::count(names.begin(), names.end(), "block2.bn1.num_batches_tracked") == 1);
  std::ostringstream summary;
  CHECK(net.summary({2, 1, 12, 12}, summary) == Shape{2, 10});
  CHECK_THAT(summary.str(), Contains("BatchNorm2d(8, eps=1e-05"));

  guide::SmallResNet<double> small(2, 3, gen);
  require_module_gradcheck(small, {3, 1, 4, 4});

  // eight fixed images, two classes told apart by where the bright square is
  auto x = ember::zeros<float>({8, 1, 10, 10});
  std::vector<std::int64_t> labels;
  for (int i = 0; i < 8; ++i) {
    const int offset = i % 2 ? 6 : 1;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) x.data()[i * 100 + (offset + r) * 10 + offset + c] = 1.0f + 0.1f * i;
    labels.push_back(i % 2);
  }
  auto y = ember::from_vector<std::int64_t>(labels);
  ember::optim::AdamOptions adam_options;
  adam_options.lr = 0.01;
  ember::optim::Adam<float> adam(net.parameters(), adam_options);
  float first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    auto loss = ember::cross_entropy(net(x), y);
    adam.zero_grad(), loss.backward(), adam.step();
    (step == 0 ? first : last) = loss.item();
  }
  CHECK(last < 0.5f * first);
  net.eval();
  CHECK(ember::argmax(net(x), 1).to_vector() == labels);
}

// ---- model files with BatchNorm buffers ---------------------------------------------------------

TEST_CASE("model files keep BatchNorm buffers, refuse missing or misshapen ones, and read int64 counters",
          "[io][batch_norm]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ember_test_layers_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "bn.safetensors").string();
  ember::Generator g1(1), g2(2);
  guide::SmallResNet<float> a(4, 3, g1), b(4, 3, g2);
  a(ember::randn<float>({2, 1, 5, 5}, g1));  // running statistics and counters move away from their defaults
  ember::io::save_model(a, path, "SmallResNet");
  ember::io::load_model(b, path, "SmallResNet");
  CHECK(b.block1.bn2.running_var.to_vector() == a.block1.bn2.running_var.to_vector());
  CHECK(b.bn.num_batches_tracked.item() == 1.0f);

  // the same tensors without one buffer, or with one of the wrong shape
  auto entries = a.named_parameters();
  for (auto& named : a.named_buffers()) entries.push_back(named);
  auto without = entries;
  without.erase(std::find_if(without.begin(), without.end(), [](auto& e) { return e.first == "bn.running_mean"; }));
  ember::io::save_safetensors(path, without);
  CHECK_THROWS_WITH(ember::io::load_model(b, path), Contains("missing tensor 'bn.running_mean'"));
  auto misshapen = entries;
  for (auto& e : misshapen)
    if (e.first == "block2.bn1.running_var") e.second = ember::ones<float>({5});
  ember::io::save_safetensors(path, misshapen);
  CHECK_THROWS_WITH(ember::io::load_model(b, path),
                    Contains("tensor 'block2.bn1.running_var' has shape [5] in the file, expected [4]"));

  // PyTorch stores num_batches_tracked as int64: such a file loads; an int64 parameter does not
  std::vector<ember::io::detail::EncodedTensor> encoded;
  for (auto& [name, t] : entries) {
    if (name.find("num_batches_tracked") == std::string::npos) {
      encoded.push_back(ember::io::detail::encode_tensor(name, t, "test", path));
      continue;
    }
    encoded.push_back(ember::io::detail::encode_tensor(name, ember::full<std::int64_t>(Shape{}, 7), "test", path));
  }
  ember::io::detail::write_safetensors(path, "test", encoded, {});
  ember::io::load_model(b, path);
  CHECK(b.block2.bn2.num_batches_tracked.item() == 7.0f);
  encoded[0] = ember::io::detail::encode_tensor(entries[0].first, ember::zeros<std::int64_t>(entries[0].second.shape()),
                                                "test", path);
  ember::io::detail::write_safetensors(path, "test", encoded, {});
  CHECK_THROWS_WITH(ember::io::load_model(b, path), Contains("tensor 'stem.weight' has dtype I64, expected F32 or F64"));
  fs::remove_all(dir);
}
