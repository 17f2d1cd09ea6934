// Data-parallel training step of the reference CNN (mnist::Net, AdamW, synthetic batches), in
// one process or under mpirun: images/s of the whole job and the share of each step spent in
// the gradient all-reduce.
//
//   build/release/benchmarks/bench_distributed --threads 2 --batch 64                 (one process)
//   mpirun -np 2 build/release/benchmarks/bench_distributed --threads 1 --batch 32    (2 ranks)
//     [--steps N (40)] [--warmup N (5)] [--runs N (3)] [--label TEXT]
//
// Rank 0 prints one JSON object: the setting, per run the step time and the all-reduce time
// (ranks' mean), and their medians. The all-reduce time is measured around GradientReducer::
// average() and so includes waiting for the slowest rank; with a barrier before it would be
// pure communication, but a barrier is not what training does.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/distributed.hpp>

#include "mnist/model.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int threads = 2, steps = 40, warmup = 5, runs = 3;
  long batch = 64;
  std::string label;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--threads") o.threads = std::stoi(value);
    else if (flag == "--steps") o.steps = std::stoi(value);
    else if (flag == "--warmup") o.warmup = std::stoi(value);
    else if (flag == "--runs") o.runs = std::stoi(value);
    else if (flag == "--batch") o.batch = std::stol(value);
    else if (flag == "--label") o.label = value;
    else throw std::invalid_argument("unknown option " + flag);
  }
  if (o.threads < 1 || o.steps < 1 || o.runs < 1 || o.batch < 1 || o.warmup < 0)
    throw std::invalid_argument("--threads, --steps, --runs and --batch must be >= 1");
  return o;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  std::optional<ember::distributed::Session> mpi;
  try {
    if (ember::distributed::launched_by_mpi()) mpi.emplace(&argc, &argv);
    const Options o = parse(argc, argv);
    std::optional<ember::distributed::Communicator> comm;
    if (mpi) comm = ember::distributed::Communicator::world();
    const int rank = comm ? comm->rank() : 0, size = comm ? comm->size() : 1;
    ember::set_num_threads(o.threads);

    ember::Generator gen(1 + static_cast<std::uint64_t>(rank));
    mnist::Net<float> net(gen);
    std::unique_ptr<ember::distributed::GradientReducer<float>> reducer;
    if (comm) {
      ember::distributed::broadcast_parameters(*comm, net);
      reducer = std::make_unique<ember::distributed::GradientReducer<float>>(*comm, net);
    }
    ember::optim::AdamW<float> opt(net.parameters(), ember::optim::AdamWOptions{1e-3, 0.9, 0.999, 1e-8, 0.01});
    auto images = ember::randn<float>({o.batch, 1, 28, 28}, gen);
    auto labels = ember::Tensor<std::int64_t>::zeros({o.batch});
    for (long i = 0; i < o.batch; ++i) labels.data()[i] = (i * 7 + rank) % 10;
    net.train();

    double reduce_seconds = 0;
    auto step = [&] {
      auto loss = ember::cross_entropy(net(images), labels);
      opt.zero_grad();
      loss.backward();
      if (reducer) {
        const auto start = Clock::now();
        reducer->average();
        reduce_seconds += seconds_since(start);
      }
      opt.step();
    };
    for (int i = 0; i < o.warmup; ++i) step();
    std::vector<double> step_ms, reduce_ms;
    for (int run = 0; run < o.runs; ++run) {
      if (comm) comm->barrier();
      reduce_seconds = 0;
      const auto start = Clock::now();
      for (int i = 0; i < o.steps; ++i) step();
      double totals[2] = {seconds_since(start), reduce_seconds};
      if (comm) {
        comm->allreduce_sum(totals, 2);
        totals[0] /= size;
        totals[1] /= size;
      }
      step_ms.push_back(1e3 * totals[0] / o.steps);
      reduce_ms.push_back(1e3 * totals[1] / o.steps);
    }
    if (rank == 0) {
      const double step = median(step_ms), reduce = median(reduce_ms);
      const long images_per_step = o.batch * size;
      std::printf("{\"label\": \"%s\", \"ranks\": %d, \"threads_per_rank\": %d, \"batch_per_rank\": %ld, "
                  "\"images_per_step\": %ld, \"gradient_bytes\": %lld, \"buckets\": %zu, \"steps\": %d, "
                  "\"runs\": %d, \"step_ms\": %.4f, \"allreduce_ms\": %.4f, \"allreduce_share\": %.4f, "
                  "\"images_per_s\": %.1f, \"step_ms_runs\": [",
                  o.label.c_str(), size, o.threads, o.batch, images_per_step,
                  static_cast<long long>(net.num_parameters()) * 4, reducer ? reducer->num_buckets() : 0, o.steps,
                  o.runs, step, reduce, reduce / step, 1e3 * static_cast<double>(images_per_step) / step);
      for (std::size_t i = 0; i < step_ms.size(); ++i) std::printf("%s%.4f", i ? ", " : "", step_ms[i]);
      std::printf("], \"allreduce_ms_runs\": [");
      for (std::size_t i = 0; i < reduce_ms.size(); ++i) std::printf("%s%.4f", i ? ", " : "", reduce_ms[i]);
      std::printf("]}\n");
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_distributed: " << e.what() << "\n";
    return 1;
  }
}
