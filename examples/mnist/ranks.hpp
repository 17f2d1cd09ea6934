#pragma once
// This process's place in a data-parallel run of `mnist train`. Started by mpirun (and built
// with MPI), it is rank r of n over ember::distributed; otherwise it is rank 0 of 1 and every
// call below does nothing more than a single process would, so the program without mpirun
// behaves exactly as before.
//
// The rules of a distributed run (docs/distributed.md): every rank builds the same model from the
// same seed and then takes rank 0's weights; each rank trains on its shard of every epoch and the
// gradients are averaged before every step, so the copies stay identical; rank 0 alone prints
// and writes files; failures are agreed at fixed points (the setup, the end of each epoch, the
// NaN guard and Ctrl-C, which travel with each step's totals) so that every rank stops together,
// and anything else ends the whole job with MPI_Abort rather than leaving the others waiting.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/data.hpp>
#if MNIST_WITH_MPI
#include <ember/distributed.hpp>
#endif

#include "test_run.hpp"
#include "usage_error.hpp"

namespace mnist {

// A failure every rank knows about, agreed at a collective point: rank 0 prints it, every rank
// ends with `code`, and MPI is shut down normally. Also thrown by a single process (main()
// prints it like any other error).
class JobFailure : public std::runtime_error {
 public:
  JobFailure(const std::string& message, int exit_code) : std::runtime_error(message), code(exit_code) {}
  int code;
};

// The totals of one training step over all ranks.
struct StepTotals {
  double loss_sum = 0;   // sum over the step's samples of their loss
  long correct = 0, count = 0;
  bool stop = false;     // some rank was asked to stop (Ctrl-C, SIGTERM)
};

// "--seed 2 here, --seed 1": the first word where two command lines differ, with the option it
// belongs to.
inline std::string first_difference(const std::string& here, const std::string& there) {
  std::istringstream a(here), b(there);
  std::string previous, x, y;
  while (true) {
    const bool more_a = static_cast<bool>(a >> x), more_b = static_cast<bool>(b >> y);
    if (!more_a) x = "(nothing)";
    if (!more_b) y = "(nothing)";
    if (x != y || !more_a || !more_b) break;
    previous = x;
  }
  const bool value = previous.rfind("--", 0) == 0 && x.rfind("--", 0) != 0;
  const std::string option = value ? previous + " " : "";
  return option + x + " here, " + option + y;
}

// The first `count` of `n` items split into `parts` contiguous ranges: range `part` is
// [first, last). The first n % parts ranges hold one item more.
inline std::pair<ember::index_t, ember::index_t> contiguous_range(ember::index_t n, int parts, int part) {
  const ember::index_t base = n / parts, extra = n % parts;
  const ember::index_t first = part * base + std::min<ember::index_t>(part, extra);
  return {first, first + base + (part < extra ? 1 : 0)};
}

class Ranks {
 public:
  Ranks() = default;  // a single process
#if MNIST_WITH_MPI
  explicit Ranks(const ember::distributed::Communicator& comm)
      : comm_(std::make_shared<ember::distributed::Communicator>(comm)), rank_(comm.rank()), size_(comm.size()) {}
#endif

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }

  // Runs `step` on every rank. If it throws on any rank, every rank throws a JobFailure carrying
  // the message of the lowest failing rank (and its exit code: 2 for a UsageError, else 1).
  // A single process lets the exception through as it is.
  template <class Step>
  void all_or_none(Step&& step) const {
    if (!distributed()) {
      step();
      return;
    }
    std::string message;
    int code = 0;
    try {
      step();
    } catch (const UsageError& e) {
      message = e.what();
      code = 2;
    } catch (const std::exception& e) {
      message = e.what();
      code = 1;
    }
    agree(message, code);
  }

  // Throws UsageError on a rank whose `text` differs from rank 0's (call it in all_or_none).
  void require_same(const std::string& text, const std::string& what) const {
#if MNIST_WITH_MPI
    if (!distributed()) return;
    const std::string root_text = comm_->broadcast(text, 0);
    if (root_text != text)
      throw UsageError("its " + what + " differ from rank 0's: " + first_difference(text, root_text) +
                       " on rank 0 (every rank must run the same command)");
#else
    (void)text, (void)what;
#endif
  }

  // Makes every rank's weights and buffers rank 0's, and keeps a gradient reducer for `net`.
  void share_model(const ember::nn::Module<float>& net) {
#if MNIST_WITH_MPI
    if (!distributed()) return;
    ember::distributed::broadcast_parameters(*comm_, net, 0);
    reducer_ = std::make_shared<ember::distributed::GradientReducer<float>>(*comm_, net);
#else
    (void)net;
#endif
  }
  // Rank 0's weights and buffers everywhere (the BatchNorm statistics differ between ranks: each
  // saw its own batches; as PyTorch DDP, rank 0's are the ones kept).
  void broadcast_model(const ember::nn::Module<float>& net) const {
#if MNIST_WITH_MPI
    if (distributed()) ember::distributed::broadcast_parameters(*comm_, net, 0);
#else
    (void)net;
#endif
  }
  // The mean of the ranks' gradients in every parameter (after share_model).
  void average_gradients() {
#if MNIST_WITH_MPI
    if (distributed()) reducer_->average();
#endif
  }

  // One step's loss, accuracy counts and stop requests summed over the ranks (one all-reduce).
  StepTotals step_totals(double loss_sum, long correct, long count, bool stop) const {
    StepTotals t{loss_sum, correct, count, stop};
    if (!distributed()) return t;
    double v[4] = {loss_sum, static_cast<double>(correct), static_cast<double>(count), stop ? 1.0 : 0.0};
    sum(v, 4);
    return {v[0], static_cast<long>(v[1]), static_cast<long>(v[2]), v[3] > 0};
  }

  // Sums in place over the ranks.
  void sum(double* values, std::size_t n) const {
#if MNIST_WITH_MPI
    if (distributed()) comm_->allreduce_sum(values, n);
#else
    (void)values, (void)n;
#endif
  }

  // Every rank's generator state, in rank order, on rank 0 (a single process: its own).
  std::vector<ember::Generator::State> gather_states(const ember::Generator::State& mine) const {
    if (!distributed()) return {mine};
    std::vector<std::uint64_t> words(mine.begin(), mine.end()), all;
#if MNIST_WITH_MPI
    all = comm_->gather(words, 0);
#endif
    std::vector<ember::Generator::State> states(all.size() / mine.size());
    for (std::size_t i = 0; i < all.size(); ++i) states[i / mine.size()][i % mine.size()] = all[i];
    return states;
  }

  // This rank's contiguous part of a data set (validation, test).
  ember::data::Dataset shard_of(const ember::data::Dataset& ds) const {
    if (!distributed()) return ds;
    const auto [first, last] = contiguous_range(ds.size(), size_, rank_);
    std::vector<ember::index_t> indices;
    for (ember::index_t i = first; i < last; ++i) indices.push_back(i);
    return ds.subset(indices);
  }

  // A test pass split over the ranks: each runs its contiguous part, rank 0 gets the whole
  // TestRun (labels, predictions, probabilities in the data set's order; the loss over all of
  // it; the slowest rank's time). Other ranks get their own part.
  TestRun test_pass(ember::nn::Module<float>& net, const ember::data::Dataset& ds, long batch_size) const {
    TestRun run = run_test_set(net, shard_of(ds), batch_size);
    if (!distributed()) return run;
#if MNIST_WITH_MPI
    double totals[2] = {run.loss * static_cast<double>(run.size()), 0};
    comm_->allreduce_sum(totals, 1);
    totals[1] = comm_->max(run.seconds);
    auto labels = comm_->gather(run.labels, 0), predicted = comm_->gather(run.predicted, 0);
    auto probabilities = comm_->gather(run.probabilities, 0);
    if (is_root()) {
      run.images = ds;
      run.labels = std::move(labels);
      run.predicted = std::move(predicted);
      run.probabilities = std::move(probabilities);
      run.loss = run.size() ? totals[0] / static_cast<double>(run.size()) : 0.0;
      run.seconds = totals[1];
    }
#endif
    return run;
  }

  // Ends every rank of the job now (MPI_Abort), for a failure the others cannot learn of.
  [[noreturn]] void abort(int code) const {
#if MNIST_WITH_MPI
    if (comm_) comm_->abort(code);
#endif
    std::exit(code);
  }

 private:
  // Every rank learns whether any failed; the lowest failing rank's message goes to all.
  void agree(const std::string& message, int code) const {
#if MNIST_WITH_MPI
    const int failing = comm_->min(code != 0 ? rank_ : size_);
    if (failing == size_) return;
    int agreed_code = code;
    comm_->broadcast(&agreed_code, 1, failing);
    const std::string text = comm_->broadcast(message, failing);
    throw JobFailure(failing == 0 ? text : "rank " + std::to_string(failing) + ": " + text, agreed_code);
#else
    (void)message, (void)code;
#endif
  }

#if MNIST_WITH_MPI
  std::shared_ptr<ember::distributed::Communicator> comm_;
  std::shared_ptr<ember::distributed::GradientReducer<float>> reducer_;
#endif
  int rank_ = 0, size_ = 1;
};

}  // namespace mnist
