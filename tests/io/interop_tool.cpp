// The C++ half of tests/io/interop_pytorch.py: moves the reference CNN's weights between
// ember and PyTorch through safetensors files.
//
//   interop_tool export OUT_DIR
//       mnist::Net<float> initialised after ember::manual_seed(1), saved with save_model as
//       OUT_DIR/model.safetensors; a fixed input batch as OUT_DIR/input.safetensors (tensor
//       "input", [4, 1, 28, 28]) and ember's eval-mode logits for it as
//       OUT_DIR/logits.safetensors (tensor "logits", [4, 10]).
//   interop_tool check MODEL INPUT LOGITS
//       loads MODEL (e.g. written from a PyTorch state_dict) into mnist::Net<float> with
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
const char* const kArchitecture = "mnist::Net";

ember::Tensor<float> eval_logits(mnist::Net<float>& net, const ember::Tensor<float>& input) {
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

int export_files(const std::string& dir) {
  ember::manual_seed(1);
  mnist::Net<float> net;
  ember::io::save_model(net, dir + "/model.safetensors", kArchitecture);
  const auto input = fixed_input();
  ember::io::save_safetensors<float>(dir + "/input.safetensors", {{"input", input}});
  ember::io::save_safetensors<float>(dir + "/logits.safetensors", {{"logits", eval_logits(net, input)}});
  std::cout << "exported model.safetensors, input.safetensors, logits.safetensors to " << dir << "\n";
  return 0;
}

int check(const std::string& model_path, const std::string& input_path, const std::string& logits_path) {
  mnist::Net<float> net;  // its initial weights are all replaced
  ember::io::load_model(net, model_path, kArchitecture);
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
  std::cerr << "usage: interop_tool export OUT_DIR\n"
               "       interop_tool check MODEL INPUT LOGITS\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "export" && argc == 3) return export_files(argv[2]);
    if (command == "check" && argc == 5) return check(argv[2], argv[3], argv[4]);
    return usage();
  } catch (const std::exception& e) {
    std::cerr << "interop_tool: " << e.what() << "\n";
    return 2;
  }
}
