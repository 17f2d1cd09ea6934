// End to end: one training step (forward, backward, SGD update) and inference of the
// reference CNN, in images/s, on synthetic data (the numbers do not depend on the values).
//
//   build/release/benchmarks/bench_train --benchmark_repetitions=5

#include <benchmark/benchmark.h>

#include <ember/ember.hpp>

#include "mnist/model.hpp"

namespace {

void set_images_per_second(benchmark::State& state, ember::index_t batch) {
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_train_step(benchmark::State& state) {
  const ember::index_t batch = state.range(0);
  ember::Generator gen(1);
  mnist::Net<float> net(gen);
  auto images = ember::randn<float>({batch, 1, 28, 28}, gen);
  auto labels = ember::Tensor<std::int64_t>::empty(ember::Shape{batch});
  for (ember::index_t i = 0; i < batch; ++i) labels.at(i) = static_cast<std::int64_t>(gen.randint(10));
  for (auto _ : state) {
    auto loss = ember::cross_entropy(net(images), labels);
    loss.backward();
    ember::NoGradGuard no_grad;
    for (auto& p : net.parameters()) p.eigen() -= 0.01f * p.grad().eigen();
    net.zero_grad();
    benchmark::DoNotOptimize(loss.item());
  }
  set_images_per_second(state, batch);
}

void BM_inference(benchmark::State& state) {
  const ember::index_t batch = state.range(0);
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

BENCHMARK(BM_train_step)->Arg(64)->ArgName("batch")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_inference)->Arg(1)->Arg(1000)->ArgName("batch")->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
