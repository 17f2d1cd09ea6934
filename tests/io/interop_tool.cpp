// The C++ half of tests/io/interop_pytorch.py: moves the reference CNN's weights between
// ember and PyTorch through safetensors files.
//
//   interop_tool export OUT_DIR [VARIANT]
//       the example's network VARIANT (reference: mnist::Net, bn: mnist::BnNet, whose BatchNorm
//       weights, biases and running statistics are first moved away from their initial values)
//       initialised after ember::manual_seed(1), saved with save_model as
//       OUT_DIR/model.safetensors; a fixed input batch as OUT_DIR/input.safetensors (tensor
//       "input", [4, 1, 28, 28]) and ember's eval-mode logits for it as
//       OUT_DIR/logits.safetensors (tensor "logits", [4, 10]).
//   interop_tool check MODEL INPUT LOGITS [VARIANT]
//       loads MODEL (e.g. written from a PyTorch state_dict) into the VARIANT network with
//       load_model, runs INPUT's "input" in eval mode and compares with LOGITS' "logits".
//
// Exit status: 0 success (check: the logits agree), 1 check mismatch, 2 usage or file error.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include <ember/ember.hpp>
#include <ember/io/model_file.hpp>
#include <ember/io/safetensors.hpp>

#include "mnist/model.hpp"

namespace {

// Tolerance relative to the largest reference logit: float32 sums over 9216 products agree
// with a float64 reference to about 1e-6 of the logits' scale, not of each (maybe tiny) logit.
constexpr double kRelativeTolerance = 1e-5;
std::string architecture(const std::string& variant) { return variant == "bn" ? "mnist::BnNet" : "mnist::Net"; }

ember::Tensor<float> eval_logits(ember::nn::Module<float>& net, const ember::Tensor<float>& input) {
  net.eval();  // dropout off
  ember::NoGradGuard no_grad;
  return net(input);
}

template <class T>
ember::Tensor<T> read_tensor(const std::string& path, const std::string& name) {
  const ember::io::SafetensorsFile file = ember::io::read_safetensors(path);
  const ember::io::SafetensorsEntry* entry = file.find(name);
  EMBER_CHECK(entry != nullptr, ember::FormatError, "interop_tool", path, ": no tensor named '", name, "'");
  return ember::io::to_tensor<T>(*entry);
}

// MNIST-like input: uniform pixels in [0, 1), normalised with MNIST's mean and deviation.
ember::Tensor<float> fixed_input() {
  ember::Generator gen(2024);
  auto pixels = ember::rand<float>({4, 1, 28, 28}, gen);
  return (pixels - 0.1307f) / 0.3081f;
}

// BatchNorm layers as a trained model has them: weights and biases away from 1 and 0, running
// statistics from a few training-mode batches. A check of fresh layers would miss swapped names.
void move_batch_norm_state(ember::nn::Module<float>& net) {
  ember::Generator gen(99);
  for (auto& [name, p] : net.named_parameters()) {
    if (name.rfind("bn", 0) != 0) continue;
    const bool weight = name.find("weight") != std::string::npos;
    const auto values = ember::uniform<float>(p.shape(), weight ? 0.5 : -0.3, weight ? 1.5 : 0.3, gen);
    std::copy(values.data(), values.data() + values.numel(), p.data());
  }
  net.train();
  ember::NoGradGuard no_grad;
  for (int i = 0; i < 3; ++i) net(ember::randn<float>({8, 1, 28, 28}, gen) * 0.8f + 0.2f);
}

int export_files(const std::string& dir, const std::string& variant) {
  ember::manual_seed(1);
  auto model = mnist::make_model(variant);
  ember::nn::Module<float>& net = *model;
  if (variant == "bn") move_batch_norm_state(net);
  ember::io::save_model(net, dir + "/model.safetensors", architecture(variant));
  const auto input = fixed_input();
  ember::io::save_safetensors<float>(dir + "/input.safetensors", {{"input", input}});
  ember::io::save_safetensors<float>(dir + "/logits.safetensors", {{"logits", eval_logits(net, input)}});
  std::cout << "exported model.safetensors, input.safetensors, logits.safetensors to " << dir << "\n";
  return 0;
}

int check(const std::string& model_path, const std::string& input_path, const std::string& logits_path,
          const std::string& variant) {
  auto model = mnist::make_model(variant);  // its initial weights are all replaced
  ember::nn::Module<float>& net = *model;
  ember::io::load_model(net, model_path, architecture(variant));
  const auto input = read_tensor<float>(input_path, "input");
  const auto expected = read_tensor<double>(logits_path, "logits");
  const auto got = eval_logits(net, input).cast<double>();
  EMBER_CHECK(got.shape() == expected.shape(), ember::ShapeError, "interop_tool", "logits of shape ", got.shape(),
              ", reference of shape ", expected.shape());
  const double scale = expected.eigen().abs().maxCoeff();
  const double worst = (got.eigen() - expected.eigen()).abs().maxCoeff();
  const double relative = worst / std::max(scale, 1e-30);
  const bool ok = std::isfinite(relative) && relative <= kRelativeTolerance;
  std::cout << (ok ? "OK" : "MISMATCH") << ": " << got.numel() << " logits, largest |reference| " << scale
            << ", largest |difference| " << worst << ", relative " << relative << " (tolerance "
            << kRelativeTolerance << ")\n";
  return ok ? 0 : 1;
}

int usage() {
  std::cerr << "usage: interop_tool export OUT_DIR [reference|bn]\n"
               "       interop_tool check MODEL INPUT LOGITS [reference|bn]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "export" && (argc == 3 || argc == 4)) return export_files(argv[2], argc == 4 ? argv[3] : "reference");
    if (command == "check" && (argc == 5 || argc == 6))
      return check(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : "reference");
    return usage();
  } catch (const std::exception& e) {
    std::cerr << "interop_tool: " << e.what() << "\n";
    return 2;
  }
}
