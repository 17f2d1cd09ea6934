#pragma once
// What `mnist train`, `mnist evaluate` and `mnist predict` were asked to do, parsed from the
// command line. No ember headers: the CLI fuzz target builds this alone.

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli.hpp"

namespace mnist {

struct TrainSettings {
  std::string data_dir, out_dir, optimizer, scheduler, model, precision;
  long epochs, batch_size, seed, threads, val_size, limit, checkpoint_every, interrupt_after, poison_batch;
  double lr, momentum, weight_decay, gamma;
  bool augment, resume;
};

inline void declare_train_options(ArgParser& p) {
  p.option("data", "data/mnist", "directory with the MNIST IDX files (raw or .gz)");
  p.option("out", "runs/mnist", "output directory: model, checkpoint, history");
  p.option("epochs", "6", "number of epochs");
  p.option("batch-size", "64", "training batch size");
  p.option("optimizer", "adamw", "adamw, adam, adadelta or sgd");
  p.option("lr", "", "learning rate, the peak with onecycle (default: 0.003 adam/adamw, 1.0 adadelta, 0.01 sgd)");
  p.option("momentum", "0.9", "SGD momentum");
  p.option("weight-decay", "", "weight decay, decoupled in AdamW (default: 0.01 adamw, 0 otherwise)");
  p.option("scheduler", "onecycle", "onecycle (every batch), step (StepLR, every epoch), cosine or none");
  p.option("gamma", "0.7", "StepLR decay factor per epoch");
  p.option("seed", "1", "random seed (initialisation, split, shuffling, dropout, augmentation)");
  p.option("threads", "0", "threads (0: OMP_NUM_THREADS or all cores)");
  p.option("val-size", "5000", "training images held out for validation");
  p.option("limit", "0", "use only the first N training images (0: all)");
  p.option("model", "reference", "model variant: reference (PyTorch's MNIST example CNN)");
  p.option("precision", "float32", "float32, or bf16 (conv/linear GEMMs on bf16 operands, float32 sums)");
  p.flag("augment", "random affine augmentation of training images (the default)");
  p.flag("no-augment", "train on the images as they are");
  p.flag("resume", "continue from OUT/checkpoint.safetensors");
  p.option("checkpoint-every", "0", "also checkpoint every N batches within an epoch (0: at epoch ends only)");
  p.option("interrupt-after", "0", "for tests: act as if Ctrl-C came after N batches (0: never)");
  p.option("poison-batch", "0", "for tests: put a NaN into the N-th batch of this run (0: never)");
}

inline TrainSettings read_train_settings(const ArgParser& p) {
  TrainSettings s;
  s.data_dir = p.str("data");
  s.out_dir = p.str("out");
  s.epochs = p.integer("epochs", 1, 1000);
  s.batch_size = p.integer("batch-size", 1, 65536);
  s.optimizer = p.choice("optimizer", {"adadelta", "sgd", "adam", "adamw"});
  const double default_lr = s.optimizer == "adadelta" ? 1.0 : s.optimizer == "sgd" ? 0.01 : 3e-3;
  s.lr = p.str("lr").empty() ? default_lr : p.real("lr", 0.0, 100.0);
  s.momentum = p.real("momentum", 0.0, 1.0);
  const bool decay_given = !p.str("weight-decay").empty();
  s.weight_decay = decay_given ? p.real("weight-decay", 0.0, 1.0) : (s.optimizer == "adamw" ? 0.01 : 0.0);
  s.scheduler = p.choice("scheduler", {"onecycle", "step", "cosine", "none"});
  s.gamma = p.real("gamma", 0.0, 1.0);
  s.seed = p.integer("seed", 0, 2147483647);
  s.threads = p.integer("threads", 0, 1024);
  s.val_size = p.integer("val-size", 0, 59999);
  s.limit = p.integer("limit", 0, 60000);
  s.model = p.choice("model", {"reference"});
  s.precision = p.choice("precision", {"float32", "bf16"});
  if (p.is_set("augment") && p.is_set("no-augment"))
    throw UsageError("--augment and --no-augment contradict each other");
  s.augment = !p.is_set("no-augment");
  s.resume = p.is_set("resume");
  s.checkpoint_every = p.integer("checkpoint-every", 0, 1000000000);
  s.interrupt_after = p.integer("interrupt-after", 0, 1000000000);
  s.poison_batch = p.integer("poison-batch", 0, 1000000000);
  return s;
}

// The settings that must match when resuming (the rest, like --epochs, may change).
inline std::string resume_key(const TrainSettings& s) {
  return "model=" + s.model + " optimizer=" + s.optimizer + " batch-size=" + std::to_string(s.batch_size) +
         " seed=" + std::to_string(s.seed) + " val-size=" + std::to_string(s.val_size) +
         " limit=" + std::to_string(s.limit) + " scheduler=" + s.scheduler + " augment=" + (s.augment ? "1" : "0") +
         (s.precision == "float32" ? "" : " precision=" + s.precision);  // absent in float32: older checkpoints resume
}

// The command line that repeats this training run (recorded in the model file, shown in the
// report). Paths are left out: they say where, not what.
inline std::string train_command(const TrainSettings& s) {
  std::ostringstream c;
  c << "mnist train --model " << s.model << " --epochs " << s.epochs << " --batch-size " << s.batch_size
    << " --optimizer " << s.optimizer << " --lr " << s.lr << " --scheduler " << s.scheduler << " --gamma " << s.gamma;
  if (s.optimizer == "sgd") c << " --momentum " << s.momentum;
  c << " --weight-decay " << s.weight_decay << " --seed " << s.seed << " --val-size " << s.val_size;
  if (s.limit > 0) c << " --limit " << s.limit;
  c << (s.augment ? " --augment" : " --no-augment");
  if (s.precision != "float32") c << " --precision " << s.precision;
  if (s.threads > 0) c << " --threads " << s.threads;
  return c.str();
}

// ---- evaluate ----------------------------------------------------------------------------

struct EvaluateSettings {
  std::string data_dir, model_path, out_dir, model, precision;
  long batch_size, threads, limit;
};

inline void declare_evaluate_options(ArgParser& p) {
  p.option("data", "data/mnist", "directory with the MNIST IDX files (raw or .gz)");
  p.option("model", "runs/mnist/model.safetensors", "model file written by train");
  p.option("out", "runs/mnist", "where predictions.csv and the report folder go");
  p.option("batch-size", "1000", "evaluation batch size");
  p.option("threads", "0", "threads (0: OMP_NUM_THREADS or all cores)");
  p.option("limit", "0", "evaluate only the first N test images (0: all)");
  p.option("arch", "reference", "model variant the file must hold");
  p.option("precision", "float32", "float32, or bf16 (conv/linear GEMMs on bf16 operands, float32 sums)");
}

inline EvaluateSettings read_evaluate_settings(const ArgParser& p) {
  return {p.str("data"),
          p.str("model"),
          p.str("out"),
          p.choice("arch", {"reference"}),
          p.choice("precision", {"float32", "bf16"}),
          p.integer("batch-size", 1, 65536),
          p.integer("threads", 0, 1024),
          p.integer("limit", 0, 10000)};
}

// ---- predict -----------------------------------------------------------------------------

struct PredictSettings {
  std::string model_path, arch, precision;
  bool json;
  std::vector<std::string> images;
};

inline void declare_predict_options(ArgParser& p) {
  p.option("model", "runs/mnist/model.safetensors", "model file written by train");
  p.option("arch", "reference", "model variant the file must hold");
  p.option("precision", "float32", "float32, or bf16 (conv/linear GEMMs on bf16 operands, float32 sums)");
  p.flag("json", "one JSON object per image on stdout instead of text");
  p.positionals("IMAGE");
}

inline PredictSettings read_predict_settings(const ArgParser& p) {
  PredictSettings s{p.str("model"), p.choice("arch", {"reference"}), p.choice("precision", {"float32", "bf16"}),
                    p.is_set("json"), p.positional()};
  if (s.images.empty()) throw UsageError("predict needs at least one image file (see mnist predict --help)");
  return s;
}

}  // namespace mnist
