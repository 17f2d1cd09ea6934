#pragma once
// `mnist train`: trains the CNN with per-epoch validation, keeps the best model, writes a
// checkpoint every epoch (and on Ctrl-C, mid-epoch), and resumes from it bit for bit. At the
// end the best model is tested and the report written, as `mnist evaluate` does.
//
// Reproducibility: three generators, all derived from --seed: `split` (train/validation
// split), `model` (initialisation, dropout) and `data` (shuffling, augmentation). A checkpoint
// stores the model generator as it is and the data generator as it was at the start of the
// epoch, so a resumed run redraws the same epoch order and skips the batches already done.

#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/data.hpp>

#include "classes.hpp"
#include "evaluate.hpp"
#include "history.hpp"
#include "model.hpp"
#include "progress.hpp"
#include "settings.hpp"
#include "threads.hpp"
#include "training_state.hpp"

namespace mnist {

// Set by SIGINT (Ctrl-C); the loop checks it between batches and saves a checkpoint.
inline volatile std::sig_atomic_t interrupt_requested = 0;
extern "C" inline void on_sigint(int) { interrupt_requested = 1; }

// Thrown when the loss or a gradient stops being finite; main() prints it, exit code 1.
class TrainingDiverged : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What is not finite after a backward pass: "the loss (nan)", "the gradient of fc1.weight", or
// nothing.
inline std::string non_finite_part(float loss, ember::nn::Module<float>& net) {
  if (!std::isfinite(loss)) return "the loss (" + std::string(std::isnan(loss) ? "nan" : "inf") + ")";
  for (auto& [name, p] : net.named_parameters())
    if (p.grad().defined() && !p.grad().eigen().allFinite()) return "the gradient of " + name;
  return {};
}

struct EvalResult {
  double loss = kNoValidation, accuracy = kNoValidation;  // NaN for an empty dataset
};

// Mean loss and accuracy over a dataset, in eval mode, without a graph.
inline EvalResult evaluate_dataset(ember::nn::Module<float>& net, const ember::data::Dataset& ds, long batch_size) {
  if (ds.size() == 0) return {};
  const TestRun run = run_test_set(net, ds, batch_size);
  return {run.loss, static_cast<double>(run.correct()) / static_cast<double>(run.size())};
}

// The settings with the names of --class-names-file read into class_names (so that the model
// file, the resume key and the training command record the names, wherever they came from).
inline TrainSettings with_class_names(const TrainSettings& given) {
  TrainSettings s = given;
  s.class_names = train_class_names(given);
  return s;
}

inline int run_train(const TrainSettings& given) {
  namespace fs = std::filesystem;
  const TrainSettings s = with_class_names(given);
  use_threads(s.threads);
  // conv/linear GEMMs in bf16 for the whole run when asked (training, validation, test pass).
  const ember::PrecisionGuard precision(ember::parse_precision(s.precision, "mnist"));
  const std::string checkpoint_path = s.out_dir + "/checkpoint.safetensors";
  const std::string model_path = s.out_dir + "/model.safetensors";

  // Data: the split is drawn once from its own generator, so it is the same on resume.
  // Any byte is a label here: the class count is read from the labels, and must be the network's.
  ember::data::Dataset full = ember::data::load_mnist(s.data_dir, ember::data::Split::Train, 256);
  check_label_classes(full, s.data_dir);
  check_names_count(s.class_names, given.class_names_file.empty() ? "--class-names" : "--class-names-file " + given.class_names_file);
  if (s.limit > 0 && s.limit < full.size()) full = full.subset(first_indices(s.limit));
  if (s.val_size >= full.size())
    throw UsageError("--val-size " + std::to_string(s.val_size) + " leaves no training images out of " +
                     std::to_string(full.size()));
  // The test set is loaded now so that a missing file stops the run before it starts.
  const ember::data::Dataset test_set = load_test_set(s.data_dir, 0);
  ember::Generator split_gen(static_cast<std::uint64_t>(s.seed) * 3 + 1);
  auto [train_set, val_set] = ember::data::random_split(full, s.val_size, split_gen);

  ember::Generator model_gen(static_cast<std::uint64_t>(s.seed) * 3 + 2);
  ember::Generator data_gen(static_cast<std::uint64_t>(s.seed) * 3 + 3);
  auto model = make_model(s.model, model_gen);
  ember::nn::Module<float>& net = *model;
  ember::data::DataLoaderOptions loader_options;
  loader_options.batch_size = s.batch_size;
  loader_options.augment = s.augment;
  ember::data::DataLoader loader(train_set, loader_options, data_gen);
  TrainingState state(s, net, loader.num_batches());
  if (s.resume) {  // before the output folder is made: a missing checkpoint leaves nothing behind
    state.load(checkpoint_path, resume_key(s), model_gen, data_gen);
    std::cerr << "resuming from " << checkpoint_path << " at epoch " << state.epoch << ", batch " << state.batch
              << "\n";
  }
  fs::create_directories(s.out_dir);  // only once the data (and checkpoint) loaded: bad input leaves nothing behind
  // A run killed while writing (SIGKILL, power cut) leaves its temporary files; its outputs are intact.
  ember::io::remove_stale_temporaries(s.out_dir);
  ember::io::remove_stale_temporaries(s.out_dir + "/report");
  std::signal(SIGINT, on_sigint);
  // Without a validation set the model of the last epoch is the one kept (and tested).
  const bool validating = val_set.size() > 0;
  std::cout << "training " << s.model << " on " << train_set.size() << " images (" << val_set.size()
            << " for validation), " << s.epochs << " epochs, batch " << s.batch_size << ", " << s.optimizer << " lr "
            << s.lr << ", " << ember::get_num_threads() << " threads" << (s.precision == "bf16" ? ", bf16" : "") << "\n";

  long batches_this_run = 0;
  for (; state.epoch <= s.epochs; ++state.epoch, state.batch = 0) {
    if (state.batch == 0) {
      state.data_epoch_start = data_gen.state();
      state.reset_epoch_sums();
    }
    data_gen.set_state(state.data_epoch_start);
    loader.start_epoch();
    net.train();
    ProgressBar bar("epoch " + std::to_string(state.epoch) + "/" + std::to_string(s.epochs), loader.num_batches());
    for (; state.batch < loader.num_batches(); ++state.batch) {
      if (interrupt_requested) {
        bar.finish();
        state.model_rng = model_gen.state();
        state.save(checkpoint_path);
        std::cerr << "interrupted: checkpoint saved to " << checkpoint_path << " (epoch " << state.epoch << ", batch "
                  << state.batch << "); continue with --resume\n";
        return 130;
      }
      if (s.checkpoint_every > 0 && batches_this_run > 0 && state.batch % s.checkpoint_every == 0) {
        state.model_rng = model_gen.state();
        state.save(checkpoint_path);
      }
      ++batches_this_run;
      auto batch = loader.batch(state.batch);
      if (batches_this_run == s.poison_batch) batch.images.data()[0] = std::numeric_limits<float>::quiet_NaN();
      auto logits = net(batch.images);
      auto loss = ember::cross_entropy(logits, batch.labels, ember::Reduction::Mean, s.label_smoothing);
      state.optimizer->zero_grad();
      loss.backward();
      // A non-finite loss or gradient would spread into every weight at the step: stop before
      // it, and keep the checkpoint on disk, the last good one.
      const float loss_value = loss.item();
      if (const std::string bad = non_finite_part(loss_value, net); !bad.empty()) {
        bar.finish();
        const bool saved = fs::exists(checkpoint_path);
        throw TrainingDiverged("training stopped at epoch " + std::to_string(state.epoch) + ", batch " +
                               std::to_string(state.batch + 1) + " of " + std::to_string(loader.num_batches()) +
                               ": " + bad + " is not finite (try a lower --lr); " +
                               (saved ? "the last good checkpoint is kept: " + checkpoint_path
                                      : std::string("no checkpoint had been written yet")));
      }
      state.optimizer->step();
      state.scheduler_batch_step();
      state.add_batch(loss_value, count_correct(logits, batch.labels), batch.labels.numel());
      bar.update(state.batch + 1, state.running_loss());
      if (batches_this_run == s.interrupt_after) std::raise(SIGINT);
    }
    bar.finish();
    EvalResult val = evaluate_dataset(net, val_set, 1000);
    EpochRecord record = state.finish_epoch(val.loss, val.accuracy);
    std::cout << format_epoch(record, s.epochs) << std::endl;
    if (!validating || val.accuracy > state.best_val_accuracy) {
      if (validating) state.best_val_accuracy = val.accuracy;
      ember::io::save_model(net, model_path, architecture_name(s.model), run_metadata(s, record));
    }
    state.scheduler_epoch_step();
    state.model_rng = model_gen.state();
    state.data_epoch_start = data_gen.state();  // the next epoch starts from here
    state.epoch_done_checkpoint(checkpoint_path);
    write_history(state.history, s.out_dir);
  }
  if (!validating)
    std::cout << "no validation set: the model of the last epoch is kept; model: " << model_path << "\n";
  else
    std::cout << "best validation accuracy " << format_percent(state.best_val_accuracy) << "; model: " << model_path
              << "\n";
  // Ctrl-C from here on: the model and the checkpoint are safe on disk, so it stops the program
  // at once (exit 130, by the signal) instead of being swallowed while the test pass runs.
  if (interrupt_requested) {
    std::cerr << "interrupted after the last epoch: the model is saved to " << model_path
              << "; test it with 'mnist evaluate'\n";
    return 130;
  }
  std::signal(SIGINT, SIG_DFL);
  auto best = make_model(s.model);
  const auto metadata = ember::io::load_model(*best, model_path, architecture_name(s.model));
  std::cout << "testing the " << (validating ? "best" : "last epoch's") << " model on the " << test_set.size()
            << " test images\n";
  evaluate_and_report(*best, test_set, model_path, metadata, s.out_dir, 1000, s.data_dir);
  return 0;
}

}  // namespace mnist
