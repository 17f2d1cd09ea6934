#pragma once
// The mnist command line, parsed: which command, with which settings, or a help text to print.
// Parsing is kept apart from running so that it can be tested and fuzzed on its own (it needs
// no ember header); main() runs what it returns.

#include <algorithm>
#include <string>
#include <vector>

#include "cli.hpp"
#include "settings.hpp"

namespace mnist {

struct Command {
  enum class Kind { Help, Train, Evaluate, Predict, Export };
  Kind kind = Kind::Help;
  std::string help;  // what to print, for Kind::Help
  TrainSettings train{};
  EvaluateSettings evaluate{};
  PredictSettings predict{};
  ExportSettings export_{};  // `export` is a C++ keyword
};

// The whole command line (without the program name) parsed. Throws UsageError for a missing or
// unknown command, an unknown option, a bad value; `mnist --help` and `mnist CMD --help` give a
// Command of kind Help holding the text.
inline Command parse_command(const std::vector<std::string>& args) {
  Command c;
  CLI::App app("Train, evaluate, use and export CNNs for MNIST with ember.", "mnist");
  app.require_subcommand(1);
  CLI::App* train = app.add_subcommand("train", "train the CNN (per-epoch validation, best model, checkpoints, --resume)");
  add_train_options(*train, c.train);
  CLI::App* evaluate = app.add_subcommand("evaluate", "test loss and accuracy of a saved model; writes predictions.csv");
  add_evaluate_options(*evaluate, c.evaluate);
  CLI::App* predict = app.add_subcommand("predict", "classify your own digit images (PNG, JPG, BMP)");
  add_predict_options(*predict, c.predict);
  CLI::App* export_ = app.add_subcommand("export", "write a saved model as an ONNX file (ONNX Runtime, OpenCV, ...)");
  add_export_options(*export_, c.export_);
  const std::vector<CLI::App*> commands{train, evaluate, predict, export_};
  const std::string listed = "(commands: train, evaluate, predict, export; see mnist --help)";
  if (args.empty()) throw UsageError("missing command " + listed);
  const std::string& first = args[0];
  if (first == "help") {
    c.help = app.help();
    return c;
  }
  const bool first_is_option = first.rfind('-', 0) == 0;
  const bool first_is_command =
      std::any_of(commands.begin(), commands.end(), [&](const CLI::App* sub) { return sub->get_name() == first; });
  if (!first_is_option && !first_is_command) throw UsageError("unknown command '" + first + "' " + listed);
  // Extras are allowed only to be reported below in our words (CLI11 lists them in reverse).
  for (CLI::App* sub : commands) sub->allow_extras();
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them last first
  } catch (const CLI::CallForHelp&) {
    c.help = app.help();  // the help of the subcommand asked, if one was
    return c;
  } catch (const CLI::ArgumentMismatch& e) {
    // CLI11 words these two for programmers ("--seed: 1 required INT missing", "augment was
    // given a disallowed flag override"); users get them as the option they typed.
    const std::string what = e.what();
    if (what.find("flag override") != std::string::npos)
      throw UsageError("option '--" + what.substr(0, what.find(' ')) + "' takes no value");
    if (what.find(" required ") != std::string::npos && what.find(" missing") != std::string::npos)
      throw UsageError("option '" + what.substr(0, what.find(':')) + "' needs a value");
    throw UsageError(what);
  } catch (const CLI::ParseError& e) {
    throw UsageError(std::string(e.what()) + " (see mnist " + (first_is_option ? "" : first + " ") + "--help)");
  }
  for (CLI::App* sub : commands) {
    const std::vector<std::string> extra = sub->remaining();
    if (extra.empty()) continue;
    const bool option = extra[0].rfind('-', 0) == 0;
    throw UsageError((option ? "unknown option '" : "unexpected argument '") +
                     extra[0].substr(0, extra[0].find('=')) + "' (see mnist " + sub->get_name() + " --help)");
  }
  if (train->parsed()) {
    finish_train_settings(*train, c.train);
    c.kind = Command::Kind::Train;
  } else if (evaluate->parsed()) {
    c.kind = Command::Kind::Evaluate;
  } else if (export_->parsed()) {
    c.kind = Command::Kind::Export;
  } else {
    if (c.predict.images.empty()) throw UsageError("predict needs at least one image file (see mnist predict --help)");
    c.kind = Command::Kind::Predict;
  }
  return c;
}

}  // namespace mnist
