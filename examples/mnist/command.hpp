#pragma once
// The mnist command line, parsed: which command, with which settings, or a help text to print.
// Parsing is kept apart from running so that it can be tested and fuzzed on its own (it needs
// no ember header); main() runs what it returns.

#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "settings.hpp"

namespace mnist {

inline const char* const kUsage =
    "usage: mnist <command> [options]\n\n"
    "commands:\n"
    "  train      train the CNN (per-epoch validation, best model, checkpoints, --resume)\n"
    "  evaluate   test loss and accuracy of a saved model; writes predictions.csv\n"
    "  predict    classify your own digit images (PNG, JPG, BMP)\n\n"
    "run 'mnist <command> --help' for the options of a command\n";

struct Command {
  enum class Kind { Help, Train, Evaluate, Predict };
  Kind kind = Kind::Help;
  std::string help;  // what to print, for Kind::Help
  TrainSettings train{};
  EvaluateSettings evaluate{};
  PredictSettings predict{};
};

// The commands, each compiled in a translation unit of its own (train.cpp, evaluate.cpp,
// predict.cpp): header-only ember is heavy to compile, and three medium units build faster,
// and in parallel, than one large one.
int train_main(const TrainSettings& s);
int evaluate_main(const EvaluateSettings& s);
int predict_main(const PredictSettings& s);

// Throws UsageError for an unknown command, flag or bad value.
inline Command parse_command(const std::vector<std::string>& args) {
  Command c;
  if (args.empty()) throw UsageError("missing command (commands: train, evaluate, predict; see mnist --help)");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    c.help = kUsage;
    return c;
  }
  const std::string& name = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  std::ostringstream help;
  if (name == "train") {
    ArgParser p("mnist train", "Train the reference CNN on MNIST.");
    declare_train_options(p);
    if (p.parse(rest, help)) c.kind = Command::Kind::Train, c.train = read_train_settings(p);
  } else if (name == "evaluate") {
    ArgParser p("mnist evaluate", "Evaluate a saved model on the MNIST test set.");
    declare_evaluate_options(p);
    if (p.parse(rest, help)) c.kind = Command::Kind::Evaluate, c.evaluate = read_evaluate_settings(p);
  } else if (name == "predict") {
    ArgParser p("mnist predict", "Classify digit images (PNG, JPG, BMP) with a saved model.");
    declare_predict_options(p);
    if (p.parse(rest, help)) c.kind = Command::Kind::Predict, c.predict = read_predict_settings(p);
  } else {
    throw UsageError("unknown command '" + name + "' (commands: train, evaluate, predict; see mnist --help)");
  }
  c.help = help.str();
  return c;
}

}  // namespace mnist
