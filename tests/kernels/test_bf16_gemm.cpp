// bf16 rounding and the bf16 GEMM (every path this CPU has, the portable one always) against a
// double-precision reference computed on the bf16-rounded operands. Only Eigen/Core (for the
// workspace's allocator), no GEMM of Eigen's: a cheap unit.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include <ember/core/parallel.hpp>
#include <ember/kernels/gemm_bf16.hpp>

using ember::index_t;
using namespace ember::kernels;

namespace {

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// The paths to test on this machine: portable and the emulated AMX blocking always, AVX512_BF16
// and AMX where the CPU has them.
std::vector<Bf16Path> paths_here() { return available_bf16_paths(); }

// Restores automatic path choice at the end of a test, also when it fails.
struct PathReset {
  ~PathReset() { force_bf16_path(Bf16Path::automatic); }
};

struct GemmCase {
  index_t m, k, n;
  bool trans_a, trans_b, accumulate;
};

std::vector<float> normal_values(std::size_t n, std::mt19937& gen) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(gen);
  return v;
}

// C = (C0 +) op(A) op(B) in double, on bf16-rounded A and B.
std::vector<double> reference(const GemmCase& t, const std::vector<float>& a, const std::vector<float>& b,
                              const std::vector<float>& c0) {
  std::vector<double> c(static_cast<std::size_t>(t.m * t.n));
  for (index_t i = 0; i < t.m; ++i)
    for (index_t j = 0; j < t.n; ++j) {
      double s = t.accumulate ? c0[static_cast<std::size_t>(i * t.n + j)] : 0.0;
      for (index_t p = 0; p < t.k; ++p) {
        const float av = t.trans_a ? a[static_cast<std::size_t>(p * t.m + i)] : a[static_cast<std::size_t>(i * t.k + p)];
        const float bv = t.trans_b ? b[static_cast<std::size_t>(j * t.k + p)] : b[static_cast<std::size_t>(p * t.n + j)];
        s += static_cast<double>(round_to_bf16(av)) * round_to_bf16(bv);
      }
      c[static_cast<std::size_t>(i * t.n + j)] = s;
    }
  return c;
}

std::vector<GemmCase> gemm_cases() {
  std::vector<GemmCase> cases;
  // Edges of the 12-row tiles (and of the 4- and 8-row kernels of a last tile) and 32-column
  // panels, odd k (a padded pair), k past one chunk of 192 pairs, and the reference CNN's shapes
  // scaled down.
  for (index_t m : {1, 4, 11, 12, 13, 17, 21, 30})
    for (index_t n : {1, 31, 32, 33, 70})
      for (index_t k : {1, 2, 9, 64, 401})
        cases.push_back({m, k, n, (m + n) % 2 == 1, (k + n) % 2 == 0, (m + k) % 3 == 0});
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (bool acc : {false, true}) cases.push_back({24, 97, 45, ta, tb, acc});
  cases.push_back({64, 288, 96, false, false, false});   // conv2 forward, 96 pixels
  cases.push_back({288, 64, 96, true, false, false});    // conv2 dcol = W^T dy
  cases.push_back({288, 96, 64, false, true, true});     // conv2 dW^T += col dy^T
  cases.push_back({8, 1000, 128, false, true, false});   // fc1 forward, 1000 of 9216 inputs
  // The AMX path's 32 x 32 blocks: whole blocks, a cut last block, k one pair past a tile.
  cases.push_back({32, 32, 32, false, false, true});
  cases.push_back({33, 34, 65, false, true, true});
  cases.push_back({70, 66, 64, true, false, false});
  return cases;
}

// C = (C0 +) op(A) op(B) for one random case on two paths: {first path's C, second path's C}.
std::pair<std::vector<float>, std::vector<float>> on_two_paths(const GemmCase& t, Bf16Path first, Bf16Path second,
                                                              std::mt19937& gen) {
  const auto a = normal_values(static_cast<std::size_t>(t.m * t.k), gen);
  const auto b = normal_values(static_cast<std::size_t>(t.k * t.n), gen);
  const auto c0 = normal_values(static_cast<std::size_t>(t.m * t.n), gen);
  std::vector<float> one = c0, two = c0;
  force_bf16_path(first);
  gemm_bf16(a.data(), t.trans_a, b.data(), t.trans_b, one.data(), t.m, t.k, t.n, t.accumulate);
  force_bf16_path(second);
  gemm_bf16(a.data(), t.trans_a, b.data(), t.trans_b, two.data(), t.m, t.k, t.n, t.accumulate);
  return {one, two};
}

}  // namespace

TEST_CASE("to_bf16 rounds to nearest even, flushes denormals, keeps NaN and infinity", "[kernels][bf16]") {
  CHECK(to_bf16(1.0f) == 0x3F80);
  CHECK(to_bf16(-2.0f) == 0xC000);
  // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even one (1).
  CHECK(to_bf16(float_of(0x3F808000u)) == 0x3F80);
  // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: even is 1 + 2^-6.
  CHECK(to_bf16(float_of(0x3F818000u)) == 0x3F82);
  CHECK(to_bf16(float_of(0x3F808001u)) == 0x3F81);  // just above halfway rounds up
  CHECK(to_bf16(float_of(0x3F807FFFu)) == 0x3F80);  // just below rounds down
  CHECK(to_bf16(std::numeric_limits<float>::max()) == 0x7F80);  // rounds up to infinity
  CHECK(to_bf16(std::numeric_limits<float>::infinity()) == 0x7F80);
  CHECK(to_bf16(-std::numeric_limits<float>::infinity()) == 0xFF80);
  CHECK(to_bf16(std::numeric_limits<float>::denorm_min()) == 0x0000);
  CHECK(to_bf16(-std::numeric_limits<float>::denorm_min()) == 0x8000);
  CHECK(to_bf16(float_of(0x807FFFFFu)) == 0x8000);
  CHECK(to_bf16(std::numeric_limits<float>::min()) == 0x0080);  // the smallest normal stays
  const bf16_bits nan = to_bf16(std::numeric_limits<float>::quiet_NaN());
  CHECK(std::isnan(from_bf16(nan)));
  CHECK(std::isnan(from_bf16(to_bf16(float_of(0x7F800001u)))));  // a NaN whose payload is all in the low bits
  CHECK(from_bf16(0x4049) == 3.140625f);
  // round_to_bf16 keeps 8 significant bits: within half a unit of the last place.
  std::mt19937 gen(1);
  for (float x : normal_values(1000, gen)) {
    const float r = round_to_bf16(x);
    CHECK((bits_of(r) & 0xFFFFu) == 0);
    CHECK(std::abs(r - x) <= std::ldexp(std::abs(x), -8));
  }
}

TEST_CASE("gemm_bf16 matches a double reference on bf16-rounded operands, on every path", "[kernels][bf16][gemm]") {
  PathReset reset;
  std::mt19937 gen(7);
  for (Bf16Path path : paths_here()) {
    force_bf16_path(path);
    REQUIRE(active_bf16_path() == path);
    for (const GemmCase& t : gemm_cases()) {
      INFO("path " << to_string(path) << " m=" << t.m << " k=" << t.k << " n=" << t.n << " trans_a=" << t.trans_a
                   << " trans_b=" << t.trans_b << " accumulate=" << t.accumulate);
      const auto a = normal_values(static_cast<std::size_t>(t.m * t.k), gen);
      const auto b = normal_values(static_cast<std::size_t>(t.k * t.n), gen);
      const auto c0 = normal_values(static_cast<std::size_t>(t.m * t.n), gen);
      const auto want = reference(t, a, b, c0);
      std::vector<float> c = c0;
      gemm_bf16(a.data(), t.trans_a, b.data(), t.trans_b, c.data(), t.m, t.k, t.n, t.accumulate);
      // float32 sums of k exact products: error grows like sqrt(k) float32 roundings.
      const double tolerance = 2e-7 * (4.0 + std::sqrt(static_cast<double>(t.k))) * 4.0;
      double worst = 0;
      for (std::size_t i = 0; i < c.size(); ++i)
        worst = std::max(worst, std::abs(c[i] - want[i]) / (1.0 + std::abs(want[i])));
      CHECK(worst < tolerance);
    }
  }
}

TEST_CASE("gemm_bf16: the vector path gives the portable path's bits", "[kernels][bf16][gemm]") {
  PathReset reset;
  if (!cpu_has_avx512_bf16()) {
    WARN("this CPU has no AVX512_BF16: only the portable path runs here (tested above)");
    CHECK_THROWS_AS(force_bf16_path(Bf16Path::avx512_bf16), ember::ValueError);
    return;
  }
  std::mt19937 gen(11);
  for (const GemmCase& t : gemm_cases()) {
    INFO("m=" << t.m << " k=" << t.k << " n=" << t.n << " trans_a=" << t.trans_a << " trans_b=" << t.trans_b);
    const auto [portable, vector] = on_two_paths(t, Bf16Path::portable, Bf16Path::avx512_bf16, gen);
    CHECK(portable == vector);
  }
}

TEST_CASE("gemm_bf16 gives the same bits on 1 and 2 threads, on every path", "[kernels][bf16][gemm][threads]") {
  PathReset reset;
  const int before = ember::get_num_threads();
  std::mt19937 gen(5);
  const index_t m = 40, k = 300, n = 200;  // seven panels: split over the threads
  const auto a = normal_values(static_cast<std::size_t>(m * k), gen), b = normal_values(static_cast<std::size_t>(k * n), gen);
  for (Bf16Path path : paths_here()) {
    INFO("path " << to_string(path));
    force_bf16_path(path);
    std::vector<std::vector<float>> results;
    for (int threads : {1, 2}) {
      ember::set_num_threads(threads);
      std::vector<float> c(static_cast<std::size_t>(m * n), 7.0f);
      gemm_bf16(a.data(), false, b.data(), false, c.data(), m, k, n);
      results.push_back(c);
    }
    ember::set_num_threads(before);
    CHECK(results[0] == results[1]);
  }
}

TEST_CASE("gemm_bf16: the AMX tiles compute what their emulation computes", "[kernels][bf16][gemm]") {
  PathReset reset;
  if (!cpu_has_amx_bf16()) {
    WARN("no AMX bf16 tiles here (CPU or Linux): the AMX blocking runs emulated only (tested above)");
    CHECK_THROWS_AS(force_bf16_path(Bf16Path::amx), ember::ValueError);
    return;
  }
  std::mt19937 gen(13);
  for (const GemmCase& t : gemm_cases()) {
    INFO("m=" << t.m << " k=" << t.k << " n=" << t.n << " trans_a=" << t.trans_a << " trans_b=" << t.trans_b);
    const auto [emulated, tiles] = on_two_paths(t, Bf16Path::amx_emulated, Bf16Path::amx, gen);
    // The hardware's rounding inside a tile step need not be the pseudo-code's sequence.
    const double tolerance = 2e-7 * (4.0 + std::sqrt(static_cast<double>(t.k))) * 4.0;
    double worst = 0;
    for (std::size_t i = 0; i < tiles.size(); ++i)
      worst = std::max(worst, std::abs(static_cast<double>(tiles[i]) - emulated[i]) / (1.0 + std::abs(emulated[i])));
    CHECK(worst < tolerance);
  }
}

TEST_CASE("gemm_bf16 with k = 0 gives zeros (or leaves C when accumulating)", "[kernels][bf16][gemm]") {
  std::vector<float> c(6, 3.0f);
  gemm_bf16(nullptr, false, nullptr, false, c.data(), 2, 0, 3, /*accumulate=*/true);
  CHECK(c == std::vector<float>(6, 3.0f));
  gemm_bf16(nullptr, false, nullptr, false, c.data(), 2, 0, 3);
  CHECK(c == std::vector<float>(6, 0.0f));
}
