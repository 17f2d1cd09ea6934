// Training through the public API: a small CNN memorises 32 random images, and the
// reference CNN learns synthetic digit-like patterns. Plain SGD written out by hand.
#include <catch2/catch.hpp>

#include <ember/ember.hpp>

#include "mnist/model.hpp"

using ember::Shape;
using ember::Tensor;
namespace nn = ember::nn;

namespace {

void sgd_step(nn::Module<float>& model, float lr) {
  ember::NoGradGuard no_grad;
  for (auto& p : model.parameters()) p.eigen() -= lr * p.grad().eigen();
  model.zero_grad();
}

double accuracy(const Tensor<float>& logits, const Tensor<std::int64_t>& labels) {
  auto predicted = logits.argmax(1).to_vector();
  auto truth = labels.to_vector();
  std::size_t right = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) right += predicted[i] == truth[i];
  return double(right) / double(truth.size());
}

// Class c lights up a 6x6 block at one of 10 positions, plus noise.
void pattern_batch(ember::index_t n, ember::Generator& gen, Tensor<float>& images, Tensor<std::int64_t>& labels) {
  images = ember::randn<float>({n, 1, 28, 28}, gen) * 0.3;
  labels = Tensor<std::int64_t>::zeros(Shape{n});
  for (ember::index_t i = 0; i < n; ++i) {
    const auto c = static_cast<std::int64_t>(gen.randint(10));
    labels.at(i) = c;
    const ember::index_t y0 = 2 + (c / 5) * 13, x0 = 1 + (c % 5) * 5;
    for (ember::index_t y = y0; y < y0 + 6; ++y)
      for (ember::index_t x = x0; x < x0 + 6 && x < 28; ++x) images.at(i, 0, y, x) += 2.0f;
  }
}

}  // namespace

TEST_CASE("a two-layer CNN overfits 32 random images to 100% accuracy", "[nn][training]") {
  ember::Generator gen(123);
  nn::Sequential<float> model{std::make_shared<nn::Conv2d<float>>(1, 16, 3, nn::Conv2dOptions{}, gen),
                              std::make_shared<nn::ReLU<float>>(), std::make_shared<nn::MaxPool2d<float>>(2),
                              std::make_shared<nn::Flatten<float>>(),
                              std::make_shared<nn::Linear<float>>(16 * 13 * 13, 10, true, gen)};
  auto images = ember::randn<float>({32, 1, 28, 28}, gen);
  auto labels = Tensor<std::int64_t>::zeros(Shape{32});
  for (ember::index_t i = 0; i < 32; ++i) labels.at(i) = static_cast<std::int64_t>(gen.randint(10));

  double first_loss = 0, loss_value = 0, acc = 0;
  int step = 0;
  for (; step < 300 && acc < 1.0; ++step) {
    auto logits = model(images);
    auto loss = ember::cross_entropy(logits, labels);
    loss_value = loss.item();
    if (step == 0) first_loss = loss_value;
    acc = accuracy(logits, labels);
    loss.backward();
    sgd_step(model, 0.05f);
  }
  INFO("steps " << step << ", loss " << first_loss << " -> " << loss_value);
  CHECK(acc == 1.0);
  CHECK(loss_value < first_loss);
}

TEST_CASE("the reference CNN learns synthetic patterns through the public API", "[nn][training][reference]") {
  ember::Generator gen(7);
  mnist::Net<float> net(gen);
  Tensor<float> images, labels_f;
  Tensor<std::int64_t> labels;
  double first_loss = 0, last_loss = 0;
  for (int step = 0; step < 25; ++step) {
    pattern_batch(16, gen, images, labels);
    auto loss = ember::cross_entropy(net(images), labels);
    if (step == 0) first_loss = loss.item();
    last_loss = loss.item();
    loss.backward();
    sgd_step(net, 0.05f);
  }
  net.eval();
  Tensor<std::int64_t> test_labels;
  pattern_batch(64, gen, images, test_labels);
  double acc = 0;
  {
    ember::NoGradGuard no_grad;
    acc = accuracy(net(images), test_labels);
  }
  INFO("loss " << first_loss << " -> " << last_loss << ", held-out accuracy " << acc);
  CHECK(last_loss < 0.5 * first_loss);
  CHECK(acc > 0.8);
}

namespace {
namespace docs {
// The network of docs/api.md ("Defining a network"), verbatim.
struct Net : nn::Module<float> {
  nn::Conv2d<float> conv1{1, 32, 3}, conv2{32, 64, 3};
  nn::Dropout<float> dropout1{0.25}, dropout2{0.5};
  nn::Linear<float> fc1{9216, 128}, fc2{128, 10};

  Net() {
    register_module("conv1", conv1);
    register_module("conv2", conv2);
    register_module("dropout1", dropout1);
    register_module("dropout2", dropout2);
    register_module("fc1", fc1);
    register_module("fc2", fc2);
  }

  ember::Tensor<float> forward(const ember::Tensor<float>& x) override {
    auto h = ember::relu(conv1(x));
    h = ember::max_pool2d(ember::relu(conv2(h)), 2);
    h = dropout1(h).flatten(1);
    h = dropout2(ember::relu(fc1(h)));
    return fc2(h);  // logits
  }
};
}  // namespace docs
}  // namespace

TEST_CASE("the network of the user guide trains a step and matches the reference CNN", "[nn][docs][training]") {
  ember::manual_seed(5);
  docs::Net net;
  ember::manual_seed(5);
  mnist::Net<float> reference;  // same seed, same draw order: the same weights
  std::vector<std::string> docs_names, reference_names;
  for (auto& [name, p] : net.named_parameters()) docs_names.push_back(name);
  for (auto& [name, p] : reference.named_parameters()) reference_names.push_back(name);
  CHECK(docs_names == reference_names);
  CHECK(net.fc1.weight.to_vector() == reference.fc1.weight.to_vector());

  ember::Generator gen(2);
  Tensor<float> images;
  Tensor<std::int64_t> labels;
  pattern_batch(8, gen, images, labels);
  net.eval();
  reference.eval();
  CHECK(net(images).to_vector() == reference(images).to_vector());
  auto loss = ember::cross_entropy(net(images), labels);
  loss.backward();
  {
    ember::NoGradGuard no_grad;
    for (auto& p : net.parameters()) p.eigen() -= 0.01f * p.grad().eigen();
    net.zero_grad();
  }
  CHECK(ember::cross_entropy(net(images), labels).item() < loss.item());
}
