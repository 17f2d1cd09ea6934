// Convolution kernels at the reference CNN's shapes, with GFLOP/s counters, next to the
// yardstick: Eigen's GEMM on the same matrix sizes, split over samples the same way.
//
//   build/release/benchmarks/bench_kernels --benchmark_filter=conv2 --benchmark_repetitions=5
//
// FLOPs count the GEMM work only (2 * O * C*KH*KW * OH*OW per sample for the forward pass,
// twice that for the backward), so conv and yardstick are directly comparable.
//
// Users' shapes: --shapes=LIST (or the environment variable EMBER_CONV_SHAPES=LIST when the
// flag is absent) adds, for each shape and for float32 and bf16, conv forward, conv backward
// (with the input gradient) and the GEMM yardsticks of both passes. LIST is shapes separated
// by ';', each NxCxHxW:O k K [s stride] [p padding] (stride 1 and padding 0 when left out):
//
//   build/release/benchmarks/bench_kernels --shapes='64x32x26x26:64k3s1p0;1x3x224x224:64k7s2p3'
//   EMBER_CONV_SHAPES='8x64x56x56:64k3p1' build/release/benchmarks/bench_kernels --benchmark_filter=shape
//
// Their names: BM_conv_forward/shape:64x32x26x26:64k3s1p0/precision:bf16 (and BM_conv_backward,
// BM_gemm_yardstick, BM_gemm_yardstick_backward). The yardstick runs the GEMM of the benchmark's
// precision: Eigen's for float32, ember::kernels::gemm_bf16 for bf16 (in the shapes the bf16
// convolution uses), so bf16 conv vs its yardstick shows what im2col and col2im cost there.
// The reference-CNN benchmarks keep their names (BM_conv_forward/conv:2/batch:64), so older
// result files still compare. The JSON context records the CPU model and its AVX-512/AMX flags.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/kernels/conv.hpp>
#include <ember/kernels/pool.hpp>

#include "cpu_info.hpp"

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

// ---- users' shapes (--shapes / EMBER_CONV_SHAPES) ---------------------------------------

struct UserShape {
  std::string spec;  // as written, for the benchmark names
  ConvShape shape;
};

// "64x32x26x26:64k3s1p0" -> the ConvShape (N, C, H, W : O, K, stride, padding).
UserShape parse_shape(const std::string& text) {
  static const std::regex form(R"((\d+)x(\d+)x(\d+)x(\d+):(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?)");
  std::smatch m;
  if (!std::regex_match(text, m, form))
    throw ember::ValueError("bench_kernels",
                            "shape '" + text + "' is not NxCxHxW:OkK[sS][pP], e.g. 64x32x26x26:64k3s1p0");
  auto num = [&](int i, index_t fallback) { return m[i].matched ? std::stoll(m[i].str()) : fallback; };
  const index_t n = num(1, 0), c = num(2, 0), h = num(3, 0), w = num(4, 0), o = num(5, 0), k = num(6, 0);
  const index_t stride = num(7, 1), pad = num(8, 0);
  if (n < 1 || c < 1 || o < 1 || k < 1 || stride < 1 || h + 2 * pad < k || w + 2 * pad < k)
    throw ember::ValueError("bench_kernels", "shape '" + text + "' has no output pixels (or a zero size)");
  return {text, ConvShape{n, o, ConvGeometry(c, h, w, k, k, stride, pad, 1)}};
}

std::vector<UserShape> parse_shapes(const std::string& list) {
  std::vector<UserShape> shapes;
  std::size_t begin = 0;
  while (begin <= list.size()) {
    const std::size_t end = std::min(list.find(';', begin), list.size());
    std::string item = list.substr(begin, end - begin);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) shapes.push_back(parse_shape(item));
    begin = end + 1;
  }
  return shapes;
}


void run_conv_forward(benchmark::State& state, ConvShape s, ember::Precision p) {
  auto x = random_buffer(s.batch * s.geometry.input_size(), 1);
  auto w = random_buffer(s.out_channels * s.weight_cols(), 2);
  auto b = random_buffer(s.out_channels, 3);
  std::vector<float> y(static_cast<std::size_t>(s.batch * s.out_channels * s.out_plane()));
  for (auto _ : state) {
    ember::kernels::conv2d_forward(x.data(), w.data(), b.data(), y.data(), s, p);
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, s.gemm_flops() * static_cast<double>(s.batch));
}

// With the input gradient unless input_grad is false (a first layer, whose input is the
// image, skips it): the FLOPs count the backward GEMMs that run.
void run_conv_backward(benchmark::State& state, ConvShape s, ember::Precision p, bool input_grad = true) {
  auto x = random_buffer(s.batch * s.geometry.input_size(), 1);
  auto w = random_buffer(s.out_channels * s.weight_cols(), 2);
  auto dy = random_buffer(s.batch * s.out_channels * s.out_plane(), 3);
  std::vector<float> dx(x.size()), dw(w.size()), db(static_cast<std::size_t>(s.out_channels));
  for (auto _ : state) {
    ember::kernels::conv2d_backward(x.data(), w.data(), dy.data(), input_grad ? dx.data() : nullptr, dw.data(),
                                    db.data(), s, p);
    benchmark::DoNotOptimize(dw.data());
  }
  set_flops(state, s.gemm_flops() * static_cast<double>(s.batch) * (input_grad ? 2 : 1));
}

// The yardstick: per sample, W [O, C*KH*KW] x col [C*KH*KW, OH*OW] on ready-made columns,
// samples split over threads as the conv kernel does. Conv can only lose im2col's time to it.
void run_gemm_yardstick(benchmark::State& state, ConvShape s, ember::Precision p) {
  const index_t K = s.weight_cols(), L = s.out_plane(), O = s.out_channels;
  auto w = random_buffer(O * K, 2);
  auto col = random_buffer(K * L, 4);
  std::vector<float> y(static_cast<std::size_t>(s.batch * O * L));
  for (auto _ : state) {
    ember::parallel_blocks(s.batch, s.gemm_flops(), [&](index_t begin, index_t end, int) {
      for (index_t n = begin; n < end; ++n)
        ember::kernels::gemm(p, w.data(), false, col.data(), false, y.data() + n * O * L, O, K, L);
    });
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, s.gemm_flops() * static_cast<double>(s.batch));
}

// Backward yardstick: per sample dcol = W^T dy and dW += dy col^T (bf16: dW^T += col dy^T, as
// the bf16 kernel computes it), into one buffer per thread as the kernel sums per block,
// without col2im/im2col: what conv backward can at best reach.
void run_gemm_yardstick_backward(benchmark::State& state, ConvShape s, ember::Precision p) {
  const index_t K = s.weight_cols(), L = s.out_plane(), O = s.out_channels;
  auto w = random_buffer(O * K, 2);
  auto col = random_buffer(K * L, 4);
  auto dy = random_buffer(s.batch * O * L, 3);
  const int threads = ember::get_num_threads();
  std::vector<float> dcol(static_cast<std::size_t>(threads * K * L)), dw(static_cast<std::size_t>(threads * O * K));
  for (auto _ : state) {
    ember::parallel_blocks(s.batch, 2 * s.gemm_flops(), [&](index_t begin, index_t end, int t) {
      for (index_t n = begin; n < end; ++n) {
        ember::kernels::gemm(p, w.data(), true, dy.data() + n * O * L, false, dcol.data() + t * K * L, K, O, L);
        if (p == ember::Precision::bf16)
          ember::kernels::gemm(p, col.data(), false, dy.data() + n * O * L, true, dw.data() + t * O * K, K, L, O, n > begin);
        else
          ember::kernels::gemm(p, dy.data() + n * O * L, false, col.data(), true, dw.data() + t * O * K, O, L, K, n > begin);
      }
    });
    benchmark::DoNotOptimize(dw.data());
  }
  set_flops(state, 2 * s.gemm_flops() * static_cast<double>(s.batch));
}

// The reference CNN's convolutions (args: which conv, batch), in float32.
void BM_conv_forward(benchmark::State& state) {
  run_conv_forward(state, reference_conv(static_cast<int>(state.range(0)), state.range(1)), ember::Precision::float32);
}

void BM_conv_backward(benchmark::State& state) {
  const ConvShape s = reference_conv(static_cast<int>(state.range(0)), state.range(1));
  const bool input_grad = s.geometry.channels > 1;  // conv1's input is the image: no gradient needed
  run_conv_backward(state, s, ember::Precision::float32, input_grad);
}

void BM_gemm_yardstick(benchmark::State& state) {
  run_gemm_yardstick(state, reference_conv(static_cast<int>(state.range(0)), state.range(1)), ember::Precision::float32);
}

void register_user_shapes(const std::vector<UserShape>& shapes) {
  using Body = void (*)(benchmark::State&, ConvShape, ember::Precision);
  const std::pair<const char*, Body> kinds[] = {{"BM_conv_forward", run_conv_forward},
                                                {"BM_gemm_yardstick", run_gemm_yardstick},
                                                {"BM_conv_backward", [](benchmark::State& st, ConvShape sh, ember::Precision pr) { run_conv_backward(st, sh, pr); }},
                                                {"BM_gemm_yardstick_backward", run_gemm_yardstick_backward}};
  for (const UserShape& u : shapes)
    for (ember::Precision p : {ember::Precision::float32, ember::Precision::bf16})
      for (const auto& [kind, body] : kinds) {
        const std::string name = std::string(kind) + "/shape:" + u.spec + "/precision:" + ember::to_string(p);
        benchmark::RegisterBenchmark(name.c_str(), body, u.shape, p)->UseRealTime()->Unit(benchmark::kMillisecond);
      }
}

// Takes --shapes=LIST / --shapes LIST out of argv (Google Benchmark rejects flags it does not
// know); falls back to EMBER_CONV_SHAPES. Empty: only the reference-CNN benchmarks.
std::string take_shapes_flag(int& argc, char** argv) {
  std::string list;
  bool given = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--shapes=", 9) == 0) {
      list = argv[i] + 9;
      given = true;
    } else if (std::strcmp(argv[i], "--shapes") == 0 && i + 1 < argc) {
      list = argv[++i];
      given = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  if (!given)
    if (const char* env = std::getenv("EMBER_CONV_SHAPES")) list = env;
  return list;
}

// The CPU in the JSON context: its figures only mean something next to the CPU they ran on.
void add_cpu_context() {
  const ember_bench::CpuInfo cpu = ember_bench::read_cpu_info();
  benchmark::AddCustomContext("cpu_model", cpu.model);
  for (const char* flag : {"avx512f", "avx512_bf16", "amx_bf16", "amx_tile"})
    benchmark::AddCustomContext(flag, cpu.has(flag) ? "true" : "false");
}

}  // namespace

BENCHMARK(BM_conv_forward)->Apply(conv_args);
BENCHMARK(BM_gemm_yardstick)->Apply(conv_args);
BENCHMARK(BM_conv_backward)->Apply(conv_args);
BENCHMARK(BM_im2col)->Arg(1)->Arg(2)->ArgName("conv")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_max_pool_forward)->Arg(64)->ArgName("batch")->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_max_pool_backward)->Arg(64)->ArgName("batch")->UseRealTime()->Unit(benchmark::kMicrosecond);


int main(int argc, char** argv) {
  try {
    register_user_shapes(parse_shapes(take_shapes_flag(argc, argv)));
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  add_cpu_context();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
