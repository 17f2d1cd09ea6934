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
#include <tuple>
#include <vector>

#include <ember/ember.hpp>
#include <ember/data.hpp>

#include "classes.hpp"
#include "evaluate.hpp"
#include "history.hpp"
#include "model.hpp"
#include "progress.hpp"
#include "ranks.hpp"
#include "settings.hpp"
#include "threads.hpp"
#include "training_state.hpp"

namespace mnist {

// Set by SIGINT (Ctrl-C); the loop checks it between batches and saves a checkpoint.
inline volatile std::sig_atomic_t interrupt_requested = 0;
extern "C" inline void on_sigint(int) { interrupt_requested = 1; }

// Thrown when the loss or a gradient stops being finite; main() prints it, exit code 1. In a
// distributed run every rank throws it at the same step (the decision is made on the step's
// totals and the averaged gradients), so it is a failure the ranks agree on.
class TrainingDiverged : public JobFailure {
 public:
  explicit TrainingDiverged(const std::string& message) : JobFailure(message, 1) {}
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

// Mean loss and accuracy over a dataset, in eval mode, without a graph; in a distributed run
// each rank takes its contiguous part and the sums are added up.
inline EvalResult evaluate_split(ember::nn::Module<float>& net, const ember::data::Dataset& ds, long batch_size,
                                 const Ranks& ranks) {
  if (ds.size() == 0) return {};
  const TestRun run = run_test_set(net, ranks.shard_of(ds), batch_size);
  if (!ranks.distributed()) return {run.loss, static_cast<double>(run.correct()) / static_cast<double>(run.size())};
  double sums[3] = {run.loss * static_cast<double>(run.size()), static_cast<double>(run.correct()),
                    static_cast<double>(run.size())};
  ranks.sum(sums, 3);
  return {sums[0] / sums[2], sums[1] / sums[2]};
}

// The settings with the names of --class-names-file read into class_names (so that the model
// file, the resume key and the training command record the names, wherever they came from).
inline TrainSettings with_class_names(const TrainSettings& given) {
  TrainSettings s = given;
  s.class_names = train_class_names(given);
  return s;
}

// The model generator of rank r of a data-parallel run: rank 0 keeps the seed's, the others get
// streams of their own so that their dropout masks differ (the weights they start from are
// rank 0's, broadcast).
inline ember::Generator rank_model_generator(long seed, int rank) {
  const auto base = static_cast<std::uint64_t>(seed) * 3 + 2;
  return ember::Generator(rank == 0 ? base : base ^ (0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(rank)));
}

inline int run_train(const TrainSettings& given, Ranks& ranks) {
  namespace fs = std::filesystem;
  TrainSettings s;
  // Every rank must run the same command: the names, the data and the settings decide the run.
  ranks.all_or_none([&] {
    s = with_class_names(given);
    s.ranks = ranks.size();
  });
  ranks.all_or_none([&] { ranks.require_same(train_command(s) + " " + resume_key(s), "settings"); });
  use_threads(s.threads);
  // conv/linear GEMMs in bf16 for the whole run when asked (training, validation, test pass).
  const ember::PrecisionGuard precision(ember::parse_precision(s.precision, "mnist"));
  const std::string checkpoint_path = s.out_dir + "/checkpoint.safetensors";
  const std::string model_path = s.out_dir + "/model.safetensors";
  const bool root = ranks.is_root();  // prints and writes files

  // Data: the split is drawn once from its own generator, so it is the same on resume.
  // Any byte is a label here: the class count is read from the labels, and must be the network's.
  ember::data::Dataset full, test_set, train_set, val_set;
  ranks.all_or_none([&] {
    full = ember::data::load_mnist(s.data_dir, ember::data::Split::Train, 256);
    check_label_classes(full, s.data_dir);
    check_names_count(s.class_names,
                      given.class_names_file.empty() ? "--class-names" : "--class-names-file " + given.class_names_file);
    if (s.limit > 0 && s.limit < full.size()) full = full.subset(first_indices(s.limit));
    if (s.val_size >= full.size())
      throw UsageError("--val-size " + std::to_string(s.val_size) + " leaves no training images out of " +
                       std::to_string(full.size()));
    // The test set is loaded now so that a missing file stops the run before it starts.
    test_set = load_test_set(s.data_dir, 0);
    ember::Generator split_gen(static_cast<std::uint64_t>(s.seed) * 3 + 1);
    std::tie(train_set, val_set) = ember::data::random_split(full, s.val_size, split_gen);
    if (ranks.size() > train_set.size())
      throw UsageError(std::to_string(ranks.size()) + " ranks for " + std::to_string(train_set.size()) +
                       " training images: at least one image per rank is needed");
  });

  ember::Generator model_gen = rank_model_generator(s.seed, 0);
  ember::Generator data_gen(static_cast<std::uint64_t>(s.seed) * 3 + 3);  // the same on every rank
  auto model = make_model(s.model, model_gen);
  ember::nn::Module<float>& net = *model;
  ranks.share_model(net);  // rank 0's initial weights everywhere (they are equal already: same seed)
  if (ranks.rank() > 0) model_gen = rank_model_generator(s.seed, ranks.rank());
  ember::data::DataLoaderOptions loader_options;
  loader_options.batch_size = s.batch_size;  // per rank: the step's batch is ranks x batch_size
  loader_options.augment = s.augment;
  loader_options.shard_index = ranks.rank();
  loader_options.shard_count = ranks.size();
  ember::data::DataLoader loader(train_set, loader_options, data_gen);
  TrainingState state(s, net, loader.num_batches());
  ranks.all_or_none([&] {
    if (s.resume) {  // before the output folder is made: a missing checkpoint leaves nothing behind
      state.load(checkpoint_path, resume_key(s), model_gen, data_gen);
      if (ranks.rank() > 0) model_gen.set_state(state.other_ranks_model_rng[static_cast<std::size_t>(ranks.rank() - 1)]);
      if (root)
        std::cerr << "resuming from " << checkpoint_path << " at epoch " << state.epoch << ", batch " << state.batch
                  << "\n";
    }
    if (!root) return;
    fs::create_directories(s.out_dir);  // only once the data (and checkpoint) loaded: bad input leaves nothing behind
    // A run killed while writing (SIGKILL, power cut) leaves its temporary files; its outputs are intact.
    ember::io::remove_stale_temporaries(s.out_dir);
    ember::io::remove_stale_temporaries(s.out_dir + "/report");
  });
  std::signal(SIGINT, on_sigint);
  // mpirun passes a Ctrl-C on to its ranks as SIGTERM: a checkpoint then, too.
  if (ranks.distributed()) std::signal(SIGTERM, on_sigint);
  // A checkpoint of this moment: every rank's model generator, written by rank 0.
  auto checkpoint = [&](auto&& write) {
    state.model_rng = model_gen.state();
    const auto states = ranks.gather_states(state.model_rng);
    ranks.all_or_none([&] {
      if (!root) return;
      state.other_ranks_model_rng.assign(states.begin() + 1, states.end());
      write();
    });
  };
  // Without a validation set the model of the last epoch is the one kept (and tested).
  const bool validating = val_set.size() > 0;
  if (root)
    std::cout << "training " << s.model << " on " << train_set.size() << " images (" << val_set.size()
              << " for validation), " << s.epochs << " epochs, batch " << s.batch_size
              << (ranks.distributed() ? " per rank x " + std::to_string(ranks.size()) + " ranks" : std::string()) << ", "
              << s.optimizer << " lr " << s.lr << ", " << ember::get_num_threads() << " threads"
              << (ranks.distributed() ? " per rank" : "") << (s.precision == "bf16" ? ", bf16" : "") << "\n";

  long batches_this_run = 0;
  bool stop_everywhere = false;  // a distributed run stops where the ranks agreed to
  for (; state.epoch <= s.epochs; ++state.epoch, state.batch = 0) {
    if (state.batch == 0) {
      state.data_epoch_start = data_gen.state();
      state.reset_epoch_sums();
    }
    data_gen.set_state(state.data_epoch_start);
    loader.start_epoch();
    net.train();
    ProgressBar bar("epoch " + std::to_string(state.epoch) + "/" + std::to_string(s.epochs), loader.num_batches(),
                    root);
    for (; state.batch < loader.num_batches(); ++state.batch) {
      if (ranks.distributed() ? stop_everywhere : interrupt_requested) {
        bar.finish();
        checkpoint([&] { state.save(checkpoint_path); });
        if (root)
          std::cerr << "interrupted: checkpoint saved to " << checkpoint_path << " (epoch " << state.epoch
                    << ", batch " << state.batch << "); continue with --resume\n";
        return 130;
      }
      if (s.checkpoint_every > 0 && batches_this_run > 0 && state.batch % s.checkpoint_every == 0)
        checkpoint([&] { state.save(checkpoint_path); });
      ++batches_this_run;
      auto batch = loader.batch(state.batch);
      if (batches_this_run == s.poison_batch) batch.images.data()[0] = std::numeric_limits<float>::quiet_NaN();
      auto logits = net(batch.images);
      auto loss = ember::cross_entropy(logits, batch.labels, ember::Reduction::Mean, s.label_smoothing);
      state.optimizer->zero_grad();
      loss.backward();
      ranks.average_gradients();
      float loss_value = loss.item();
      long correct = count_correct(logits, batch.labels), count = batch.labels.numel();
      if (ranks.distributed()) {  // the step's totals over all ranks: every rank takes the same decisions below
        const StepTotals t = ranks.step_totals(static_cast<double>(loss_value) * static_cast<double>(count), correct,
                                               count, interrupt_requested != 0);
        loss_value = static_cast<float>(t.loss_sum / static_cast<double>(t.count));
        correct = t.correct;
        count = t.count;
        stop_everywhere = t.stop;
      }
      // A non-finite loss or gradient would spread into every weight at the step: stop before
      // it, and keep the checkpoint on disk, the last good one.
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
      state.add_batch(loss_value, correct, count);
      bar.update(state.batch + 1, state.running_loss());
      if (batches_this_run == s.interrupt_after) std::raise(SIGINT);
    }
    bar.finish();
    ranks.broadcast_model(net);  // rank 0's BatchNorm statistics on every rank
    const EvalResult val = evaluate_split(net, val_set, 1000, ranks);
    EpochRecord record = state.finish_epoch(val.loss, val.accuracy);
    const bool best = !validating || val.accuracy > state.best_val_accuracy;
    if (validating && best) state.best_val_accuracy = val.accuracy;
    state.scheduler_epoch_step();
    state.data_epoch_start = data_gen.state();  // the next epoch starts from here
    if (root) std::cout << format_epoch(record, s.epochs) << std::endl;
    checkpoint([&] {
      if (best) ember::io::save_model(net, model_path, architecture_name(s.model), run_metadata(s, record));
      state.epoch_done_checkpoint(checkpoint_path);
      write_history(state.history, s.out_dir);
    });
  }
  if (root) {
    if (!validating)
      std::cout << "no validation set: the model of the last epoch is kept; model: " << model_path << "\n";
    else
      std::cout << "best validation accuracy " << format_percent(state.best_val_accuracy) << "; model: " << model_path
                << "\n";
  }
  // Ctrl-C from here on: the model and the checkpoint are safe on disk, so it stops the program
  // at once (exit 130, by the signal) instead of being swallowed while the test pass runs.
  if (ranks.step_totals(0, 0, 0, interrupt_requested != 0).stop) {
    if (root)
      std::cerr << "interrupted after the last epoch: the model is saved to " << model_path
                << "; test it with 'mnist evaluate'\n";
    return 130;
  }
  std::signal(SIGINT, SIG_DFL);
  if (ranks.distributed()) std::signal(SIGTERM, SIG_DFL);
  // Rank 0 reads the model back and gives it to the others (their --out need not be shared).
  auto best = make_model(s.model);
  ember::io::Metadata metadata;
  ranks.all_or_none([&] {
    if (root) metadata = ember::io::load_model(*best, model_path, architecture_name(s.model));
  });
  ranks.broadcast_model(*best);
  if (root)
    std::cout << "testing the " << (validating ? "best" : "last epoch's") << " model on the " << test_set.size()
              << " test images\n";
  const TestRun run = ranks.test_pass(*best, test_set, 1000);
  ranks.all_or_none([&] {
    if (root) report_test_run(run, best->num_parameters(), model_path, metadata, s.out_dir, 1000, s.data_dir);
  });
  return 0;
}

}  // namespace mnist
