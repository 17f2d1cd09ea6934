// Where the time of a training step goes: the reference CNN's step (batch 64, Adadelta, as
// bench_train) under ember's profiler, per layer and phase, next to the yardstick time of the
// GEMMs each layer does (Eigen's GEMM on the same matrix shapes, ready-made operands, split
// over samples as the kernel splits them).
//
//   build/release/benchmarks/bench_profile [--threads N] [--steps N] [--runs N] [--batch N]
//                                          [--precision float32|bf16] [--out FILE.json]
//
// Each of --runs (3) runs times --steps steps unprofiled, each followed by one call of every
// yardstick (so both see the same load), then the same steps profiled; the figures written
// are the medians over the runs (each run's step, yardstick and efficiency are kept in "runs").
//
// With --precision bf16 the step runs under PrecisionGuard(bf16); the yardstick stays Eigen's
// float32 GEMM, so the efficiency then says how far bf16 gets past the float32 limit.
//
// Efficiency of the step = (GEMM FLOPs / step time) / (GEMM FLOPs / summed yardstick times)
//                        = summed yardstick times / step time.
// A layer's "other" time is what it spends beyond its GEMMs' yardstick (im2col, col2im, bias,
// copies, allocation); the step's "engine" time is backward() minus the nodes' own rules.

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/kernels/conv.hpp>

#include "mnist/model.hpp"
#include "cpu_info.hpp"

namespace {

using ember::index_t;
using Clock = ember::profiler::Clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<float> random_buffer(index_t n, std::uint64_t seed) {
  ember::Generator gen(seed);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = static_cast<float>(gen.normal());
  return v;
}

// One GEMM of a layer: C[m x n] = op(A) op(B), `per_sample` times split over the threads by
// samples (convolutions) or once with Eigen's own threading (linear layers).
struct Gemm {
  std::string what;
  index_t m, k, n;
  bool trans_a, trans_b;
  index_t per_sample;  // 0: one GEMM for the whole batch
  double flops(index_t batch) const { return 2.0 * m * k * n * (per_sample ? batch : 1); }
};

// A GEMM's yardstick with its operands made once: run() times one call (of all samples).
class Yardstick {
 public:
  Yardstick(const Gemm& g, index_t batch)
      : g_(g), batch_(batch), a_(random_buffer(g.m * g.k, 1)), b_(random_buffer(g.k * g.n, 2)),
        c_(static_cast<std::size_t>(g.m * g.n) * static_cast<std::size_t>(g.per_sample ? batch : 1)) {}

  // Seconds of one call, timed after an untimed one: the yardstick is the GEMM with its
  // operands already in cache (as it was when each was timed over many calls in a row).
  double run() {
    call();
    const auto start = Clock::now();
    call();
    return ember::profiler::seconds_since(start);
  }

 private:
  void call() {
    if (!g_.per_sample) {
      ember::kernels::gemm(a_.data(), g_.trans_a, b_.data(), g_.trans_b, c_.data(), g_.m, g_.k, g_.n);
    } else {
      ember::parallel_blocks(batch_, g_.flops(1), [&](index_t begin, index_t end, int) {
        for (index_t s = begin; s < end; ++s)
          ember::kernels::gemm(a_.data(), g_.trans_a, b_.data(), g_.trans_b, c_.data() + s * g_.m * g_.n, g_.m,
                               g_.k, g_.n);
      });
    }
  }

  Gemm g_;
  index_t batch_;
  std::vector<float> a_, b_, c_;
};

// The GEMMs of each layer of the reference CNN, forward and backward, at batch `batch`.
std::map<std::string, std::vector<Gemm>> reference_gemms(index_t batch) {
  const index_t L1 = 26 * 26, L2 = 24 * 24, K1 = 9, K2 = 32 * 9;
  return {
      {"conv1/forward", {{"W x col", 32, K1, L1, false, false, 1}}},
      {"conv1/backward", {{"dW += dy col^T", 32, L1, K1, false, true, 1}}},  // no input gradient: conv1 reads the image
      {"conv2/forward", {{"W x col", 64, K2, L2, false, false, 1}}},
      {"conv2/backward", {{"dcol = W^T dy", K2, 64, L2, true, false, 1}, {"dW += dy col^T", 64, L2, K2, false, true, 1}}},
      {"fc1/forward", {{"x W^T", batch, 9216, 128, false, true, 0}}},
      {"fc1/backward", {{"dx = dy W", batch, 128, 9216, false, false, 0}, {"dW = dy^T x", 128, batch, 9216, true, false, 0}}},
      {"fc2/forward", {{"x W^T", batch, 128, 10, false, true, 0}}},
      {"fc2/backward", {{"dx = dy W", batch, 10, 128, false, false, 0}, {"dW = dy^T x", 10, batch, 128, true, false, 0}}},
  };
}

struct Options {
  int threads = 0, steps = 30, runs = 3;
  index_t batch = 64;
  ember::Precision precision = ember::Precision::float32;
  std::string out;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw ember::ValueError("bench_profile", arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--threads") o.threads = std::stoi(value());
    else if (arg == "--steps") o.steps = std::stoi(value());
    else if (arg == "--runs") o.runs = std::stoi(value());
    else if (arg == "--batch") o.batch = std::stoll(value());
    else if (arg == "--out") o.out = value();
    else if (arg == "--precision") o.precision = ember::parse_precision(value(), "bench_profile");
    else throw ember::ValueError("bench_profile", "unknown argument '" + arg + "'");
  }
  if (o.steps < 3 || o.runs < 1 || o.batch < 1 || o.threads < 0) throw ember::ValueError("bench_profile", "bad --steps/--runs/--batch/--threads");
  return o;
}

struct Step {
  mnist::Net<float> net;
  ember::Tensor<float> images;
  ember::Tensor<std::int64_t> labels;
  ember::optim::Adadelta<float> optimizer;

  Step(ember::Generator& gen, index_t batch)
      : net(gen),
        images(ember::randn<float>({batch, 1, 28, 28}, gen)),
        labels(ember::Tensor<std::int64_t>::zeros(ember::Shape{batch})),
        optimizer(net.parameters()) {
    for (index_t i = 0; i < batch; ++i) labels.at(i) = static_cast<std::int64_t>(gen.randint(10));
  }

  // One training step as bench_train runs it; the phases in scopes when a profile is active.
  void run() {
    const ember::Tensor<float> logits = net(images);  // each layer in its own scope
    ember::Tensor<float> loss;
    {
      ember::profiler::Scope s("loss");
      loss = ember::cross_entropy(logits, labels);
    }
    {
      ember::profiler::Scope s("zero_grad");
      optimizer.zero_grad();
    }
    {
      ember::profiler::Scope s("backward (all)");
      loss.backward();
    }
    {
      ember::profiler::Scope s("optimizer");
      optimizer.step();
    }
  }
};

// One measurement of the step: its unprofiled time, the profiled per-layer times and the
// yardstick of each layer's GEMMs (all in ms).
struct Measurement {
  double step_ms = 0, profiled_step_ms = 0, yardstick_ms = 0;
  std::map<std::pair<std::string, std::string>, double> layer_ms, layer_yardstick_ms;
  double efficiency() const { return yardstick_ms / step_ms; }
};

Measurement measure(Step& step, const Options& o) {
  Measurement m;
  // The unprofiled step and the yardsticks alternate, a step then each yardstick per round,
  // so that both are timed under the same load: this machine's speed drifts over seconds (a
  // shared host), and timing them seconds apart gave runs of 56% and 132%. Each is timed on
  // its second call in a row, with its data in cache as in a training loop (a step timed
  // right after the yardsticks ran ~10 ms slower).
  std::vector<std::pair<std::pair<std::string, std::string>, std::vector<Yardstick>>> yardsticks;
  for (const auto& [name, list] : reference_gemms(o.batch)) {
    const auto slash = name.find('/');
    std::vector<Yardstick> gemms;
    for (const Gemm& gemm : list) gemms.emplace_back(gemm, o.batch);
    yardsticks.push_back({{name.substr(0, slash), name.substr(slash + 1)}, std::move(gemms)});
  }
  std::vector<double> step_seconds, yardstick_seconds;
  std::map<std::pair<std::string, std::string>, std::vector<double>> layer_yardstick_seconds;
  for (int r = 0; r < o.steps + 2; ++r) {
    step.run();
    const auto start = Clock::now();
    step.run();
    const double step_time = ember::profiler::seconds_since(start);
    double round_yardstick = 0;
    for (auto& [key, gemms] : yardsticks) {
      double layer = 0;
      for (Yardstick& y : gemms) layer += y.run();
      if (r >= 2) layer_yardstick_seconds[key].push_back(layer);
      round_yardstick += layer;
    }
    if (r < 2) continue;  // warm-up
    step_seconds.push_back(step_time);
    yardstick_seconds.push_back(round_yardstick);
  }
  m.step_ms = 1e3 * median(step_seconds);
  m.yardstick_ms = 1e3 * median(yardstick_seconds);
  for (auto& [key, seconds] : layer_yardstick_seconds) m.layer_yardstick_ms[key] = 1e3 * median(seconds);

  // The same step profiled: per (layer, phase), the median over steps of the seconds summed in a step.
  std::map<std::pair<std::string, std::string>, std::vector<double>> per_step;
  double profiled_total = 0;
  for (int r = 0; r < o.steps + 2; ++r) {
    ember::profiler::Profile profile;
    ember::nn::label_modules(profile, step.net);
    const auto start = Clock::now();
    step.run();
    const double total = ember::profiler::seconds_since(start);
    if (r < 2) continue;  // warm-up
    profiled_total += total;
    std::map<std::pair<std::string, std::string>, double> sums;
    double node_seconds = 0;
    for (const auto& e : profile.events()) {
      const bool backward = e.phase == ember::profiler::Phase::backward;
      const std::string layer = e.scope.empty() ? "(unlabelled)" : e.scope;
      sums[{layer, backward ? "backward" : "forward"}] += e.seconds;
      if (backward) node_seconds += e.seconds;
    }
    // "backward (all)" contains the nodes' rules: what is left is the engine's own work.
    sums[{"engine", "backward"}] = sums[{"backward (all)", "forward"}] - node_seconds;
    sums.erase({"backward (all)", "forward"});
    for (auto& [key, seconds] : sums) per_step[key].push_back(seconds);
  }
  m.profiled_step_ms = 1e3 * profiled_total / o.steps;
  for (auto& [key, seconds] : per_step) m.layer_ms[key] = 1e3 * median(seconds);

  return m;
}

// The median over the runs of one figure of each measurement.
template <class Figure>
double median_of(const std::vector<Measurement>& runs, Figure figure) {
  std::vector<double> v;
  for (const Measurement& m : runs) v.push_back(figure(m));
  return median(v);
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  if (o.threads > 0) ember::set_num_threads(o.threads);
  ember::PrecisionGuard precision(o.precision);
  ember::Generator gen(1);
  Step step(gen, o.batch);

  std::vector<Measurement> runs;
  for (int r = 0; r < o.runs; ++r) runs.push_back(measure(step, o));
  const double step_ms = median_of(runs, [](const Measurement& m) { return m.step_ms; });
  const double profiled_step_ms = median_of(runs, [](const Measurement& m) { return m.profiled_step_ms; });
  const double yardstick_ms = median_of(runs, [](const Measurement& m) { return m.yardstick_ms; });
  const double efficiency = median_of(runs, [](const Measurement& m) { return m.efficiency(); });

  const auto gemms = reference_gemms(o.batch);
  std::ostringstream rows;
  double gemm_flops = 0, accounted = 0;
  bool first = true;
  const char* order[] = {"conv1", "relu1", "conv2", "relu2", "pool", "dropout1", "flatten", "fc1", "relu3",
                         "dropout2", "fc2", "loss", "engine", "zero_grad", "optimizer"};
  std::printf("%-10s %-9s %9s %7s %10s %9s\n", "layer", "phase", "ms", "share", "yardstick", "GFLOP");
  for (const char* layer : order)
    for (const char* phase : {"forward", "backward"}) {
      const std::pair<std::string, std::string> key{layer, phase};
      if (!runs.front().layer_ms.count(key)) continue;
      const double ms = median_of(runs, [&](const Measurement& m) { return m.layer_ms.at(key); });
      const double yard_ms = median_of(runs, [&](const Measurement& m) {
        auto it = m.layer_yardstick_ms.find(key);
        return it == m.layer_yardstick_ms.end() ? 0.0 : it->second;
      });
      accounted += ms;
      double flops = 0;
      std::ostringstream gemm_list;
      if (auto g = gemms.find(std::string(layer) + "/" + phase); g != gemms.end())
        for (const Gemm& gemm : g->second) {
          flops += gemm.flops(o.batch);
          gemm_list << (gemm_list.tellp() > 0 ? ", " : "") << "\"" << gemm.what << " " << gemm.m << "x" << gemm.k << "x"
                    << gemm.n << (gemm.per_sample ? " per sample" : "") << "\"";
        }
      gemm_flops += flops;
      std::printf("%-10s %-9s %9.3f %6.1f%% %10.3f %9.3f\n", layer, phase, ms, 100 * ms / profiled_step_ms, yard_ms,
                  flops / 1e9);
      rows << (first ? "" : ",\n") << "    {\"layer\": \"" << layer << "\", \"phase\": \"" << phase << "\", \"ms\": " << ms
           << ", \"share\": " << ms / profiled_step_ms << ", \"yardstick_ms\": " << yard_ms
           << ", \"gemm_flops\": " << flops << ", \"gemms\": [" << gemm_list.str() << "]}";
      first = false;
    }
  std::ostringstream run_list;
  for (const Measurement& m : runs) {
    std::printf("run: step %.3f ms, yardstick sum %.3f ms, efficiency %.1f%%\n", m.step_ms, m.yardstick_ms,
                100 * m.efficiency());
    run_list << (run_list.tellp() > 0 ? ", " : "") << "{\"step_ms\": " << m.step_ms << ", \"yardstick_ms\": "
             << m.yardstick_ms << ", \"efficiency\": " << m.efficiency() << "}";
  }
  std::printf("median of %d runs: step %.3f ms (profiled %.3f ms, accounted %.3f ms), yardstick sum %.3f ms, "
              "GEMM %.3f GFLOP\n",
              o.runs, step_ms, profiled_step_ms, accounted, yardstick_ms, gemm_flops / 1e9);
  std::printf("step %.1f GFLOP/s, yardstick %.1f GFLOP/s: efficiency %.1f%% (median of the runs' efficiencies)\n",
              gemm_flops / step_ms / 1e6, gemm_flops / yardstick_ms / 1e6, 100 * efficiency);

  if (!o.out.empty()) {
    std::ostringstream json;
    json << "{\n  \"command\": \"build/release/benchmarks/bench_profile";
    for (int i = 1; i < argc; ++i) json << " " << argv[i];
    json << "\",\n  \"cpu\": " << ember_bench::cpu_json() << ",\n  \"threads\": " << ember::get_num_threads()
         << ",\n  \"precision\": \"" << ember::to_string(o.precision) << "\",\n  \"bf16_path\": \""
         << ember::kernels::to_string(ember::kernels::active_bf16_path()) << "\",\n  \"batch\": " << o.batch
         << ",\n  \"steps\": " << o.steps << ",\n  \"timing\": \"alternating\",\n  \"step_ms\": " << step_ms
         << ",\n  \"profiled_step_ms\": " << profiled_step_ms << ",\n  \"yardstick_ms\": " << yardstick_ms
         << ",\n  \"gemm_flops\": " << gemm_flops << ",\n  \"efficiency\": " << efficiency
         << ",\n  \"runs\": [" << run_list.str() << "],\n  \"rows\": [\n"
         << rows.str() << "\n  ]\n}\n";
    ember::io::write_file_atomic(o.out, json.str());
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_profile: " << e.what() << "\n";
  return 1;
}
