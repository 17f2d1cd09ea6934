#pragma once
// Generator: the one source of randomness (init, shuffling, dropout, augmentation).
// xoshiro256** seeded through splitmix64: fast, small state that checkpoints can save,
// and the same numbers on every platform (std::normal_distribution is not portable).

#include <array>
#include <cmath>
#include <cstdint>

#include "ember/core/error.hpp"

namespace ember {

class Generator {
 public:
  using State = std::array<std::uint64_t, 4>;

  explicit Generator(std::uint64_t seed = 0) { manual_seed(seed); }

  void manual_seed(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& word : state_) word = splitmix64(x);
  }

  // Uniformly distributed 64 random bits.
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  // Standard normal (Box-Muller). The second value of the pair is not kept: then state()
  // is the whole state, and a restored generator continues exactly.
  double normal() {
    double u1 = 1.0 - uniform();  // (0, 1]: log(u1) is finite
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }

  double normal(double mean, double stddev) { return mean + stddev * normal(); }

  // Uniform integer in [0, n), without modulo bias.
  std::uint64_t randint(std::uint64_t n) {
    EMBER_CHECK(n > 0, ValueError, "Generator::randint", "expected n > 0, got ", n);
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x;
    do x = next_u64();
    while (x >= limit);
    return x % n;
  }

  // Full state, so that checkpoints can resume the exact random sequence.
  State state() const { return state_; }
  void set_state(const State& s) {
    EMBER_CHECK(s[0] | s[1] | s[2] | s[3], ValueError, "Generator::set_state", "the all-zero state is invalid");
    state_ = s;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  State state_{};
};

}  // namespace ember

namespace ember {

// The generator used when none is passed explicitly (layer initialisation, dropout),
// as torch's default generator. Seed it with manual_seed() for reproducible runs.
inline Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

inline void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace ember
