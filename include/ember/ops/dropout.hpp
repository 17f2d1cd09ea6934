#pragma once
// Inverted dropout: in training, zero each element with probability p and scale the rest
// by 1 / (1 - p), so that evaluation needs no rescaling; the identity when not training.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/parallel.hpp"
#include "ember/core/random.hpp"
#include "ember/kernels/elementwise.hpp"

namespace ember {

// Elements per mask block. Each block draws from its own Generator, seeded from `gen` in block
// order: the mask is the same for any thread count, and the blocks are drawn in parallel.
inline constexpr index_t kDropoutBlock = index_t(1) << 14;

template <class T>
Tensor<T> dropout(const Tensor<T>& input, double p, bool training, Generator& gen) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, ValueError, "dropout", "expected a probability in [0, 1], got ", p);
  if (!training || p == 0.0) return input;
  Tensor<T> x = kernels::make_contiguous(input), out = Tensor<T>::uninitialized(input.shape());
  // mask holds 0 or 1 / (1 - p); p = 1 drops everything (PyTorch gives zeros, not NaN).
  const T keep_scale = p < 1.0 ? static_cast<T>(1.0 / (1.0 - p)) : T(0);
  const index_t n = x.numel(), blocks = (n + kDropoutBlock - 1) / kDropoutBlock;
  std::vector<std::uint64_t> seeds(static_cast<std::size_t>(blocks));
  for (auto& seed : seeds) seed = gen.next_u64();
  Tensor<T> mask = Tensor<T>::uninitialized(x.shape());
  // uniform() < p without the conversion: uniform() is (bits >> 11) * 2^-53, so it is below p
  // exactly when bits >> 11 is below ceil(p * 2^53) (p * 2^53 is exact). The same masks as
  // the comparison in double, in fewer instructions per element.
  const std::uint64_t drop_below = static_cast<std::uint64_t>(std::ceil(p * 0x1.0p53));
  const T* px = x.data();
  T *pm = mask.data(), *po = out.data();
  parallel_blocks(blocks, 8.0 * kDropoutBlock, [&](index_t first, index_t last, int) {
    for (index_t b = first; b < last; ++b) {
      Generator block_gen(seeds[static_cast<std::size_t>(b)]);
      for (index_t i = b * kDropoutBlock; i < std::min(n, (b + 1) * kDropoutBlock); ++i) {
        pm[i] = (block_gen.next_u64() >> 11) < drop_below ? T(0) : keep_scale;
        po[i] = px[i] * pm[i];
      }
    }
  });
  return record<T>("dropout", out, {input}, [mask](const Tensor<T>& g, const Node<T>&) {
    Tensor<T> dy = kernels::make_contiguous(g), dx = Tensor<T>::uninitialized(g.shape());
    const T *pg = dy.data(), *pm = mask.data();
    T* pdx = dx.data();
    parallel_blocks(dx.numel(), 1.0, [&](index_t begin, index_t end, int) {
      for (index_t i = begin; i < end; ++i) pdx[i] = pg[i] * pm[i];
    });
    return std::vector<Tensor<T>>{dx};
  });
}

template <class T>
Tensor<T> dropout(const Tensor<T>& input, double p, bool training) {
  return dropout(input, p, training, default_generator());
}

}  // namespace ember
