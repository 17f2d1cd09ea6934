// mnist: train, evaluate and export CNNs (bn by default, or PyTorch's reference example) on MNIST with ember.
//
//   mnist train    [--data DIR] [--epochs N] [--optimizer adadelta|sgd|adam|adamw] ... [--resume]
//   mnist evaluate [--model FILE] [--data DIR] [--out DIR]
//   mnist predict  [--model FILE] [--json] image.png [more images...]
//   mnist export   [--model FILE] [--out model.onnx]
//   mnist <command> --help
//
// Exit codes: 0 success, 1 error (bad file, ...), 2 bad command line, 130 interrupted (checkpoint saved).

#include <iostream>
#include <string>
#include <vector>

// Only the command line is parsed here; each command is its own translation unit (command.hpp),
// and stb's implementation is compiled in stb_implementation.cpp (see ember/image/load_image.hpp).
#include <exception>

#include "command.hpp"

namespace {

int dispatch(const std::vector<std::string>& args) {
  const mnist::Command c = mnist::parse_command(args);
  switch (c.kind) {
    case mnist::Command::Kind::Train: return mnist::train_main(c.train);
    case mnist::Command::Kind::Evaluate: return mnist::evaluate_main(c.evaluate);
    case mnist::Command::Kind::Predict: return mnist::predict_main(c.predict);
    case mnist::Command::Kind::Export: return mnist::export_main(c.export_);
    case mnist::Command::Kind::Help: break;
  }
  std::cout << c.help;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const mnist::UsageError& e) {
    std::cerr << "mnist: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "mnist: " << e.what() << "\n";
    return 1;
  }
}
