// End to end: one training step (forward, backward, Adadelta update) and inference of the
// reference CNN, in images/s, on synthetic data (the numbers do not depend on the values).
//
//   build/release/benchmarks/bench_train --benchmark_repetitions=5
//
// threads:0 means the default (OMP_NUM_THREADS or all cores).

#include <benchmark/benchmark.h>

#include <ember/ember.hpp>

#include "mnist/model.hpp"

namespace {

void set_images_per_second(benchmark::State& state, ember::index_t batch) {
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

// Runs a benchmark body with `threads` threads (0: leave the default), restoring the default after.
struct ThreadCount {
  int saved = ember::get_num_threads();
  explicit ThreadCount(std::int64_t threads) {
    if (threads > 0) ember::set_num_threads(static_cast<int>(threads));
  }
  ~ThreadCount() { ember::set_num_threads(saved); }
};

void BM_train_step(benchmark::State& state) {
  const ember::index_t batch = state.range(0);
  ThreadCount threads(state.range(1));
  ember::Generator gen(1);
  mnist::Net<float> net(gen);
  auto images = ember::randn<float>({batch, 1, 28, 28}, gen);
  auto labels = ember::Tensor<std::int64_t>::zeros(ember::Shape{batch});
  for (ember::index_t i = 0; i < batch; ++i) labels.at(i) = static_cast<std::int64_t>(gen.randint(10));
  ember::optim::Adadelta<float> optimizer(net.parameters());  // the MNIST recipe's optimizer
  for (auto _ : state) {
    auto loss = ember::cross_entropy(net(images), labels);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    benchmark::DoNotOptimize(loss.item());
  }
  set_images_per_second(state, batch);
}

void BM_inference(benchmark::State& state) {
  const ember::index_t batch = state.range(0);
  ThreadCount threads(state.range(1));
  ember::Generator gen(1);
  mnist::Net<float> net(gen);
  net.eval();
  auto images = ember::randn<float>({batch, 1, 28, 28}, gen);
  ember::NoGradGuard no_grad;
  for (auto _ : state) {
    auto logits = net(images);
    benchmark::DoNotOptimize(logits.data());
  }
  set_images_per_second(state, batch);
}

}  // namespace

// threads:1 and threads:2 measure how a training step scales with the thread count.
BENCHMARK(BM_train_step)
    ->Args({64, 1})
    ->Args({64, 2})
    ->ArgNames({"batch", "threads"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_inference)
    ->Args({1, 0})
    ->Args({1000, 0})
    ->ArgNames({"batch", "threads"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
