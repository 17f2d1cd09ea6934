#pragma once
// What `mnist train`, `mnist evaluate`, `mnist predict` and `mnist export` were asked to do: their settings,
// with the defaults (cli.hpp fills them from the command line). No ember headers.

#include <sstream>
#include <string>
#include <vector>

#include "class_names.hpp"

namespace mnist {

// The --model variants (model.hpp's make_model builds them).
inline const std::vector<std::string> kModelVariants = {"reference", "bn"};

struct TrainSettings {
  std::string data_dir = "data/mnist", out_dir = "runs/mnist", optimizer = "adamw", scheduler = "onecycle",
              model = "bn", precision = "float32";
  long epochs = 3, batch_size = 64, seed = 1, threads = 0, val_size = 5000, limit = 0, checkpoint_every = 0,
       interrupt_after = 0, poison_batch = 0;
  // epochs, lr, weight_decay: per model or optimizer when not given (cli.hpp's finish_train_settings).
  double lr = 0, momentum = 0.9, weight_decay = 0, gamma = 0.7, label_smoothing = 0;
  bool augment = true, resume = false;
  // --class-names (checked by the parser), or the names of --class-names-file once train has
  // read it (class_names_file names it); empty: the classes are the digits 0..9.
  std::vector<std::string> class_names;
  std::string class_names_file;
  // Not an option: the number of processes of a data-parallel run (mpirun -np N), 1 without one.
  long ranks = 1;
};

// The settings that must match when resuming (the rest, like --epochs, may change).
inline std::string resume_key(const TrainSettings& s) {
  return "model=" + s.model + " optimizer=" + s.optimizer + " batch-size=" + std::to_string(s.batch_size) +
         " seed=" + std::to_string(s.seed) + " val-size=" + std::to_string(s.val_size) +
         " limit=" + std::to_string(s.limit) + " scheduler=" + s.scheduler + " augment=" + (s.augment ? "1" : "0") +
         (s.precision == "float32" ? "" : " precision=" + s.precision) +  // absent in float32: older checkpoints resume
         (s.label_smoothing == 0 ? "" : " label-smoothing=" + std::to_string(s.label_smoothing)) +
         (s.class_names.empty() ? "" : " class-names=" + join_class_names(s.class_names)) +  // likewise without names
         (s.ranks == 1 ? "" : " ranks=" + std::to_string(s.ranks));  // a job resumes with as many ranks
}

// The command line that repeats this training run (recorded in the model file, shown in the
// report). Paths are left out: they say where, not what.
inline std::string train_command(const TrainSettings& s) {
  std::ostringstream c;
  if (s.ranks > 1) c << "mpirun -np " << s.ranks << " ";
  c << "mnist train --model " << s.model << " --epochs " << s.epochs << " --batch-size " << s.batch_size
    << " --optimizer " << s.optimizer << " --lr " << s.lr << " --scheduler " << s.scheduler << " --gamma " << s.gamma;
  if (s.optimizer == "sgd") c << " --momentum " << s.momentum;
  c << " --weight-decay " << s.weight_decay << " --seed " << s.seed << " --val-size " << s.val_size;
  if (s.limit > 0) c << " --limit " << s.limit;
  if (s.label_smoothing != 0) c << " --label-smoothing " << s.label_smoothing;
  c << (s.augment ? " --augment" : " --no-augment");
  if (s.precision != "float32") c << " --precision " << s.precision;
  if (s.threads > 0) c << " --threads " << s.threads;
  // The names themselves, also when they came from a file: they say what the classes are.
  if (!s.class_names.empty()) c << " --class-names " << shell_word(join_class_names(s.class_names));
  return c.str();
}

// ---- evaluate ----------------------------------------------------------------------------

struct EvaluateSettings {
  std::string data_dir = "data/mnist", model_path = "runs/mnist/model.safetensors", out_dir = "runs/mnist",
              model, precision = "float32";  // model: "" = the variant the file records
  std::string logits_path;  // --logits: also write every test image's logits there ("" = no)
  long batch_size = 1000, threads = 0, limit = 0;
};

// ---- predict -----------------------------------------------------------------------------

struct PredictSettings {
  std::string model_path = "runs/mnist/model.safetensors", arch, precision = "float32";  // arch: "" = the file's
  bool json = false;
  std::vector<std::string> images;
};

// ---- export ------------------------------------------------------------------------------

struct ExportSettings {
  std::string model_path = "runs/mnist/model.safetensors", arch;  // arch: "" = the file's
  std::string out_path;  // "" = the model's path with .onnx for its extension
};

// The commands, each compiled in a translation unit of its own (train.cpp, evaluate.cpp,
// predict.cpp, which include this header but not the command-line parser: CLI11's code costs
// each unit that includes it about 10 s); main() calls the one asked for.
int train_main(const TrainSettings& s);
int evaluate_main(const EvaluateSettings& s);
int predict_main(const PredictSettings& s);
int export_main(const ExportSettings& s);

}  // namespace mnist
