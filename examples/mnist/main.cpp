// mnist: train and evaluate the reference CNN on MNIST with ember.
//
//   mnist train    [--data DIR] [--epochs N] [--optimizer adadelta|sgd|adam|adamw] ... [--resume]
//   mnist evaluate [--model FILE] [--data DIR] [--out DIR]
//   mnist predict  [--model FILE] [--json] image.png [more images...]
//   mnist <command> --help
//
// Exit codes: 0 success, 1 error (bad file, ...), 2 bad command line, 130 interrupted (checkpoint saved).

#include <iostream>
#include <string>
#include <vector>

// This translation unit holds the stb_image implementation (see ember/data/image.hpp).
#define EMBER_STB_IMPLEMENTATION
#include "evaluate.hpp"
#include "predict.hpp"
#include "train.hpp"

namespace {

const char* kUsage =
    "usage: mnist <command> [options]\n\n"
    "commands:\n"
    "  train      train the CNN (per-epoch validation, best model, checkpoints, --resume)\n"
    "  evaluate   test loss and accuracy of a saved model; writes predictions.csv\n"
    "  predict    classify your own digit images (PNG, JPG, BMP)\n\n"
    "run 'mnist <command> --help' for the options of a command\n";

int dispatch(const std::vector<std::string>& args) {
  if (args.empty()) throw mnist::UsageError("missing command (commands: train, evaluate, predict; see mnist --help)");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  const std::string command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "train") {
    mnist::ArgParser p("mnist train", "Train the reference CNN on MNIST.");
    mnist::declare_train_options(p);
    if (!p.parse(rest, std::cout)) return 0;
    return mnist::run_train(mnist::read_train_settings(p));
  }
  if (command == "evaluate") {
    mnist::ArgParser p("mnist evaluate", "Evaluate a saved model on the MNIST test set.");
    mnist::declare_evaluate_options(p);
    if (!p.parse(rest, std::cout)) return 0;
    return mnist::run_evaluate(mnist::read_evaluate_settings(p));
  }
  if (command == "predict") {
    mnist::ArgParser p("mnist predict", "Classify digit images (PNG, JPG, BMP) with a saved model.");
    mnist::declare_predict_options(p);
    if (!p.parse(rest, std::cout)) return 0;
    return mnist::run_predict(mnist::read_predict_settings(p));
  }
  throw mnist::UsageError("unknown command '" + command + "' (commands: train, evaluate, predict; see mnist --help)");
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
