// An engine-only ember program, as a user writes one: PyTorch's MNIST example CNN, a few
// training steps on synthetic images, and the model and a checkpoint saved and loaded back.
// Includes <ember/ember.hpp> only; run_consumer.cmake checks from the compiler's dependency
// output that no add-on or stb header is in its include closure. Exit code 0 when all is well.
#include <ember/ember.hpp>

#include <cmath>
#include <cstdio>
#include <string>

namespace nn = ember::nn;
using ember::Tensor;

struct Net : nn::Module<float> {
  nn::Conv2d<float> conv1, conv2;
  nn::Dropout<float> dropout1, dropout2;
  nn::Linear<float> fc1, fc2;
  nn::ReLU<float> relu;
  nn::MaxPool2d<float> pool{2};
  nn::Flatten<float> flatten{1};

  explicit Net(ember::Generator& gen)
      : conv1(1, 32, 3, {}, gen), conv2(32, 64, 3, {}, gen), dropout1(0.25, gen), dropout2(0.5, gen),
        fc1(9216, 128, true, gen), fc2(128, 10, true, gen) {
    register_module("conv1", conv1);
    register_module("conv2", conv2);
    register_module("dropout1", dropout1);
    register_module("dropout2", dropout2);
    register_module("fc1", fc1);
    register_module("fc2", fc2);
  }
  Tensor<float> forward(const Tensor<float>& x) override {
    auto h = pool(relu(conv2(relu(conv1(x)))));
    h = dropout2(relu(fc1(flatten(dropout1(h)))));
    return fc2(h);
  }
};

int fail(const std::string& why) {
  std::printf("FAIL: %s\n", why.c_str());
  return 1;
}

int main() {
  ember::Generator gen(7);
  Net net(gen);
  ember::optim::Adadelta<float> optimizer(net.parameters());
  // 16 images of random noise, each labelled with its index modulo 10: learnable by heart.
  const Tensor<float> images = ember::randn<float>({16, 1, 28, 28}, gen);
  std::vector<std::int64_t> label_values(16);
  for (std::size_t i = 0; i < label_values.size(); ++i) label_values[i] = static_cast<std::int64_t>(i % 10);
  const Tensor<std::int64_t> labels = ember::from_vector<std::int64_t>(label_values, {16});

  float first_loss = 0, last_loss = 0;
  for (int step = 0; step < 8; ++step) {
    optimizer.zero_grad();
    Tensor<float> loss = ember::cross_entropy(net(images), labels);
    loss.backward();
    optimizer.step();
    (step == 0 ? first_loss : last_loss) = loss.item();
  }
  std::printf("loss %.4f -> %.4f after 8 steps\n", first_loss, last_loss);
  if (!std::isfinite(last_loss) || !(last_loss < 0.5f * first_loss)) return fail("the loss did not halve");

  // Saved and loaded into a network with other initial weights, it gives the same logits.
  net.eval();
  ember::io::save_model(net, "consumer_model.safetensors", "Net");
  ember::io::save_checkpoint("consumer_checkpoint.safetensors", net, optimizer.state_dict(), 3, gen.state());
  ember::Generator other_gen(8);
  Net loaded(other_gen);
  loaded.eval();
  ember::io::load_model(loaded, "consumer_model.safetensors", "Net");
  const Tensor<float> a = net(images), b = loaded(images);
  for (ember::index_t i = 0; i < a.numel(); ++i)
    if (a.data()[i] != b.data()[i]) return fail("the loaded model gives other logits");

  Net resumed(other_gen);
  ember::io::Checkpoint<float> ck = ember::io::load_checkpoint("consumer_checkpoint.safetensors", resumed);
  ember::optim::Adadelta<float> resumed_optimizer(resumed.parameters());
  resumed_optimizer.load_state_dict(ck.optimizer_state);
  if (ck.epoch != 3 || resumed_optimizer.step_count() != 8) return fail("the checkpoint lost its epoch or step count");
  std::printf("ok: model and checkpoint saved and loaded\n");
  return 0;
}
