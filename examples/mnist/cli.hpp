#pragma once
// The options of the example's commands, declared for CLI11 (Debian: libcli11-dev): typed, with
// validators, defaults and help texts, bound to the fields of the settings (settings.hpp).
// command.hpp parses with them; every usage error, CLI11's or ours, becomes a UsageError.

#include <charconv>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>

#include "class_names.hpp"
#include "settings.hpp"
#include "usage_error.hpp"

namespace mnist {

// A validator for a std::string option that must be one of `allowed`, with a message that
// names them as a user types them ("adamw, adam, adadelta or sgd").
inline CLI::Validator one_of(std::vector<std::string> allowed) {
  std::string list;
  for (std::size_t i = 0; i < allowed.size(); ++i)
    list += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
  return CLI::Validator(
      [allowed, list](std::string& value) -> std::string {
        for (const auto& a : allowed)
          if (a == value) return {};
        return "expects " + list + ", got '" + value + "'";
      },
      "{" + list + "}");
}

// True when all of `text` is one number of x's type (std::from_chars: no sign '+', no spaces).
template <class Number>
bool parses_fully(const std::string& text, Number& x) {
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, x);
  return error == std::errc() && ptr == end && !text.empty();
}

// Validators for typed options that must lie in [min, max], with messages that say what was
// expected and what came ("expects an integer in [1, 1000], got 'three'"); CLI11's own Range
// calls a word that is no number "not in range".
inline CLI::Validator integer_in(long min, long max) {
  const std::string expected = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  return CLI::Validator(
      [=](std::string& value) -> std::string {
        long x = 0;
        const bool ok = parses_fully(value, x) && x >= min && x <= max;
        return ok ? std::string() : "expects " + expected + ", got '" + value + "'";
      },
      expected);
}
inline CLI::Validator number_in(double min, double max) {
  std::ostringstream expected;
  expected << "a number in [" << min << ", " << max << "]";
  return CLI::Validator(
      [=, expected = expected.str()](std::string& value) -> std::string {
        double x = 0;
        const bool ok = parses_fully(value, x) && x >= min && x <= max;  // NaN fails the range
        return ok ? std::string() : "expects " + expected + ", got '" + value + "'";
      },
      expected.str());
}

// A validator for --class-names: the list splits into names that class_names_problem accepts.
inline CLI::Validator class_name_list() {
  return CLI::Validator(
      [](std::string& value) -> std::string { return class_names_problem(split_class_names(value)); },
      "NAME,NAME,...");
}

// Options that every command has.
inline void add_precision_option(CLI::App& app, std::string& precision) {
  app.add_option("--precision", precision, "float32, or bf16 (conv/linear GEMMs on bf16 operands, float32 sums)")
      ->check(one_of({"float32", "bf16"}))
      ->capture_default_str();
}
inline void add_threads_option(CLI::App& app, long& threads) {
  app.add_option("--threads", threads, "threads (0: OMP_NUM_THREADS or all cores)")
      ->check(integer_in(0, 1024))
      ->capture_default_str();
}

// The options of `mnist train`, bound to the fields of `s` (which must outlive the parse).
inline void add_train_options(CLI::App& app, TrainSettings& s) {
  app.add_option("--data", s.data_dir, "directory with the MNIST IDX files (raw or .gz)")->capture_default_str();
  app.add_option("--out", s.out_dir, "output directory: model, checkpoint, history")->capture_default_str();
  app.add_option("--epochs", s.epochs, "number of epochs (default: 3 bn, 6 reference)")->check(integer_in(1, 1000));
  app.add_option("--batch-size", s.batch_size, "training batch size")
      ->check(integer_in(1, 65536))
      ->capture_default_str();
  app.add_option("--optimizer", s.optimizer, "adamw, adam, adadelta or sgd")
      ->check(one_of({"adadelta", "sgd", "adam", "adamw"}))
      ->capture_default_str();
  app.add_option("--lr", s.lr, "learning rate, the peak with onecycle (default: 0.003 adam/adamw, 1.0 adadelta, 0.01 sgd)")
      ->check(number_in(0.0, 100.0));
  app.add_option("--momentum", s.momentum, "SGD momentum")->check(number_in(0.0, 1.0))->capture_default_str();
  app.add_option("--weight-decay", s.weight_decay, "weight decay, decoupled in AdamW (default: 0.01 adamw, 0 otherwise)")
      ->check(number_in(0.0, 1.0));
  app.add_option("--scheduler", s.scheduler, "onecycle (every batch), step (StepLR, every epoch), cosine or none")
      ->check(one_of({"onecycle", "step", "cosine", "none"}))
      ->capture_default_str();
  app.add_option("--gamma", s.gamma, "StepLR decay factor per epoch")->check(number_in(0.0, 1.0))->capture_default_str();
  app.add_option("--seed", s.seed, "random seed (initialisation, split, shuffling, dropout, augmentation)")
      ->check(integer_in(0, 2147483647))
      ->capture_default_str();
  add_threads_option(app, s.threads);
  app.add_option("--val-size", s.val_size, "training images held out for validation")
      ->check(integer_in(0, 59999))
      ->capture_default_str();
  app.add_option("--limit", s.limit, "use only the first N training images (0: all)")
      ->check(integer_in(0, 60000))
      ->capture_default_str();
  app.add_option("--model", s.model,
                 "model variant: bn (conv-BatchNorm-ReLU blocks, global pooling) or reference (PyTorch's MNIST example CNN)")
      ->check(one_of(kModelVariants))
      ->capture_default_str();
  app.add_option("--label-smoothing", s.label_smoothing, "cross-entropy label smoothing (PyTorch's), 0 = none")
      ->check(number_in(0.0, 1.0))
      ->capture_default_str();
  add_precision_option(app, s.precision);
  auto* augment = app.add_flag("--augment", "random affine augmentation of training images (the default)")
                      ->disable_flag_override();
  app.add_flag("--no-augment", "train on the images as they are")->excludes(augment)->disable_flag_override();
  app.add_flag("--resume", s.resume, "continue from OUT/checkpoint.safetensors")->disable_flag_override();
  // The list is kept as text here and split in finish_train_settings; the file is read by train.
  auto* names = app.add_option("--class-names", "names of the classes 0..9, comma-separated (default: the digits)")
                    ->check(class_name_list());
  app.add_option("--class-names-file", s.class_names_file, "the class names in a file, one a line")
      ->excludes(names);
  app.add_option("--checkpoint-every", s.checkpoint_every, "also checkpoint every N batches within an epoch (0: at epoch ends only)")
      ->check(integer_in(0, 1000000000))
      ->capture_default_str();
  app.add_option("--interrupt-after", s.interrupt_after, "for tests: act as if Ctrl-C came after N batches (0: never)")
      ->check(integer_in(0, 1000000000));
  app.add_option("--poison-batch", s.poison_batch, "for tests: put a NaN into the N-th batch of this run (0: never)")
      ->check(integer_in(0, 1000000000));
}

// After a successful parse: the defaults that depend on other options.
inline void finish_train_settings(const CLI::App& app, TrainSettings& s) {
  // bn after 3 epochs beats reference after 6 (99.45% vs 99.30%, seed 1) in 60% of the time.
  if (app.count("--epochs") == 0) s.epochs = s.model == "reference" ? 6 : 3;
  if (app.count("--lr") == 0) s.lr = s.optimizer == "adadelta" ? 1.0 : s.optimizer == "sgd" ? 0.01 : 3e-3;
  if (app.count("--weight-decay") == 0) s.weight_decay = s.optimizer == "adamw" ? 0.01 : 0.0;
  s.augment = app.count("--no-augment") == 0;
  if (app.count("--class-names") > 0) s.class_names = split_class_names(app.get_option("--class-names")->as<std::string>());
}

inline void add_evaluate_options(CLI::App& app, EvaluateSettings& s) {
  app.add_option("--data", s.data_dir, "directory with the MNIST IDX files (raw or .gz)")->capture_default_str();
  app.add_option("--model", s.model_path, "model file written by train")->capture_default_str();
  app.add_option("--out", s.out_dir, "where predictions.csv and the report folder go")->capture_default_str();
  app.add_option("--batch-size", s.batch_size, "evaluation batch size")
      ->check(integer_in(1, 65536))
      ->capture_default_str();
  add_threads_option(app, s.threads);
  app.add_option("--limit", s.limit, "evaluate only the first N test images (0: all)")
      ->check(integer_in(0, 10000))
      ->capture_default_str();
  app.add_option("--arch", s.model, "model variant the file must hold (default: the one it records)")
      ->check(one_of(kModelVariants));
  add_precision_option(app, s.precision);
  app.add_option("--logits", s.logits_path, "also write each test image's logits to this CSV file (index, label, z0..z9)");
}

inline void add_predict_options(CLI::App& app, PredictSettings& s) {
  app.add_option("--model", s.model_path, "model file written by train")->capture_default_str();
  app.add_option("--arch", s.arch, "model variant the file must hold (default: the one it records)")
      ->check(one_of(kModelVariants));
  add_precision_option(app, s.precision);
  app.add_flag("--json", s.json, "one JSON object per image on stdout instead of text")->disable_flag_override();
  app.add_option("IMAGE", s.images, "image files (PNG, JPEG, BMP)");  // at least one: parse_command
}

inline void add_export_options(CLI::App& app, ExportSettings& s) {
  app.add_option("--model", s.model_path, "model file written by train")->capture_default_str();
  app.add_option("--out", s.out_path, "the ONNX file to write (default: the model's path with .onnx)");
  app.add_option("--arch", s.arch, "model variant the file must hold (default: the one it records)")
      ->check(one_of(kModelVariants));
}

}  // namespace mnist
