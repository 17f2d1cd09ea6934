// Convolution kernels at the reference CNN's shapes, with GFLOP/s counters, next to the
// yardstick: Eigen's GEMM on the same matrix sizes, split over samples the same way.
//
//   build/release/benchmarks/bench_kernels --benchmark_filter=conv2 --benchmark_repetitions=5
//
// FLOPs count the GEMM work only (2 * O * C*KH*KW * OH*OW per sample for the forward pass,
// twice that for the backward), so conv and yardstick are directly comparable.

#include <benchmark/benchmark.h>

#include <vector>

#include <ember/ember.hpp>
#include <ember/kernels/conv.hpp>
#include <ember/kernels/pool.hpp>

namespace {

using ember::index_t;
using ember::kernels::ConvGeometry;
using ember::kernels::ConvShape;

// The two convolutions of the reference CNN on 28x28 MNIST digits.
ConvShape reference_conv(int which, index_t batch) {
  if (which == 1) return ConvShape{batch, 32, ConvGeometry(1, 28, 28, 3, 3, 1, 0, 1)};
  return ConvShape{batch, 64, ConvGeometry(32, 26, 26, 3, 3, 1, 0, 1)};
}

std::vector<float> random_buffer(index_t n, std::uint64_t seed) {
  ember::Generator gen(seed);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = static_cast<float>(gen.normal());
  return v;
}

void set_flops(benchmark::State& state, double flops) {
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_conv_forward(benchmark::State& state) {
  const ConvShape s = reference_conv(static_cast<int>(state.range(0)), state.range(1));
  auto x = random_buffer(s.batch * s.geometry.input_size(), 1);
  auto w = random_buffer(s.out_channels * s.weight_cols(), 2);
  auto b = random_buffer(s.out_channels, 3);
  std::vector<float> y(static_cast<std::size_t>(s.batch * s.out_channels * s.out_plane()));
  for (auto _ : state) {
    ember::kernels::conv2d_forward(x.data(), w.data(), b.data(), y.data(), s);
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, s.gemm_flops() * static_cast<double>(s.batch));
}

void BM_conv_backward(benchmark::State& state) {
  const ConvShape s = reference_conv(static_cast<int>(state.range(0)), state.range(1));
  auto x = random_buffer(s.batch * s.geometry.input_size(), 1);
  auto w = random_buffer(s.out_channels * s.weight_cols(), 2);
  auto dy = random_buffer(s.batch * s.out_channels * s.out_plane(), 3);
  std::vector<float> dx(x.size()), dw(w.size()), db(static_cast<std::size_t>(s.out_channels));
  const bool input_grad = s.geometry.channels > 1;  // conv1's input is the image: no gradient needed
  for (auto _ : state) {
    ember::kernels::conv2d_backward(x.data(), w.data(), dy.data(), input_grad ? dx.data() : nullptr, dw.data(),
                                    db.data(), s);
    benchmark::DoNotOptimize(dw.data());
  }
  set_flops(state, s.gemm_flops() * static_cast<double>(s.batch) * (input_grad ? 2 : 1));
}

// The yardstick: per sample, W [O, C*KH*KW] x col [C*KH*KW, OH*OW] on ready-made columns,
// samples split over threads as the conv kernel does. Conv can only lose im2col's time to it.
void BM_gemm_yardstick(benchmark::State& state) {
  const ConvShape s = reference_conv(static_cast<int>(state.range(0)), state.range(1));
  const index_t K = s.weight_cols(), L = s.out_plane(), O = s.out_channels;
  auto w = random_buffer(O * K, 2);
  auto col = random_buffer(K * L, 4);
  std::vector<float> y(static_cast<std::size_t>(s.batch * O * L));
  for (auto _ : state) {
    ember::kernels::parallel_blocks(s.batch, s.gemm_flops(), [&](index_t begin, index_t end, int) {
      for (index_t n = begin; n < end; ++n) ember::kernels::gemm(w.data(), false, col.data(), false, y.data() + n * O * L, O, K, L);
    });
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, s.gemm_flops() * static_cast<double>(s.batch));
}

void BM_im2col(benchmark::State& state) {
  const ConvShape s = reference_conv(static_cast<int>(state.range(0)), 1);
  auto x = random_buffer(s.geometry.input_size(), 1);
  std::vector<float> col(static_cast<std::size_t>(s.weight_cols() * s.out_plane()));
  for (auto _ : state) {
    ember::kernels::im2col(x.data(), s.geometry, col.data());
    benchmark::DoNotOptimize(col.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * col.size() * sizeof(float)));
}

void BM_max_pool_forward(benchmark::State& state) {
  const index_t batch = state.range(0);
  ember::kernels::PoolShape s{batch * 64, 24, 24, 2, 2, 0};
  auto x = random_buffer(s.planes * 24 * 24, 1);
  std::vector<float> y(static_cast<std::size_t>(s.planes * 12 * 12));
  std::vector<std::int32_t> arg(y.size());
  for (auto _ : state) {
    ember::kernels::max_pool2d_forward(x.data(), y.data(), arg.data(), s);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * x.size() * sizeof(float)));
}

void BM_max_pool_backward(benchmark::State& state) {
  const index_t batch = state.range(0);
  ember::kernels::PoolShape s{batch * 64, 24, 24, 2, 2, 0};
  auto x = random_buffer(s.planes * 24 * 24, 1);
  std::vector<float> y(static_cast<std::size_t>(s.planes * 12 * 12)), dx(x.size());
  std::vector<std::int32_t> arg(y.size());
  ember::kernels::max_pool2d_forward(x.data(), y.data(), arg.data(), s);
  auto dy = random_buffer(static_cast<index_t>(y.size()), 2);
  for (auto _ : state) {
    ember::kernels::max_pool2d_backward(dy.data(), arg.data(), dx.data(), s);
    benchmark::DoNotOptimize(dx.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * dx.size() * sizeof(float)));
}

// Arguments: {which conv (1 or 2), batch}.
void conv_args(benchmark::internal::Benchmark* b) {
  for (int which : {1, 2})
    for (int batch : {1, 64}) b->Args({which, batch});
  b->ArgNames({"conv", "batch"})->UseRealTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

BENCHMARK(BM_conv_forward)->Apply(conv_args);
BENCHMARK(BM_gemm_yardstick)->Apply(conv_args);
BENCHMARK(BM_conv_backward)->Apply(conv_args);
BENCHMARK(BM_im2col)->Arg(1)->Arg(2)->ArgName("conv")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_max_pool_forward)->Arg(64)->ArgName("batch")->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_max_pool_backward)->Arg(64)->ArgName("batch")->UseRealTime()->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
