#pragma once
// Batch normalisation kernels on contiguous [N, C, L] data (L = the product of the dimensions
// after the channel one: H*W for BatchNorm2d, 1 or L for BatchNorm1d).
//
// Determinism: every per-channel sum is taken by one thread in a fixed order (sample by sample,
// each plane summed in T, the planes added in double), so statistics and gradients do not
// depend on the thread count. The element-wise passes split the [N*C] planes over threads.

#include <cmath>
#include <vector>

#include "ember/core/parallel.hpp"

namespace ember::kernels {

struct BatchNormShape {
  index_t batch, channels, plane;  // N, C, L
  index_t per_channel() const { return batch * plane; }
};

namespace detail {

// Sum over one channel of f(value, channel), in the fixed order described above.
template <class T, class F>
double channel_sum(const T* x, const BatchNormShape& s, index_t c, F f) {
  double total = 0;
  for (index_t n = 0; n < s.batch; ++n) {
    const T* p = x + (n * s.channels + c) * s.plane;
    T plane_sum = 0;
    for (index_t l = 0; l < s.plane; ++l) plane_sum += f(p[l]);
    total += static_cast<double>(plane_sum);
  }
  return total;
}

// Two per-channel sums over x and dy at once: sum(dy) and sum(dy * (x - mean)).
template <class T>
void channel_gradient_sums(const T* x, const T* dy, const BatchNormShape& s, index_t c, T mean, double& sum_dy,
                           double& sum_dy_centered) {
  sum_dy = 0, sum_dy_centered = 0;
  for (index_t n = 0; n < s.batch; ++n) {
    const index_t base = (n * s.channels + c) * s.plane;
    T a = 0, b = 0;
    for (index_t l = 0; l < s.plane; ++l) {
      a += dy[base + l];
      b += dy[base + l] * (x[base + l] - mean);
    }
    sum_dy += static_cast<double>(a), sum_dy_centered += static_cast<double>(b);
  }
}

}  // namespace detail

// Per-channel mean and biased variance (two passes: the mean, then the squared deviations,
// which keeps the variance accurate when |mean| >> std). Requires per_channel() >= 1.
template <class T>
void batch_norm_statistics(const T* x, const BatchNormShape& s, T* mean, T* variance) {
  const double count = static_cast<double>(s.per_channel());
  parallel_blocks(s.channels, 2.0 * static_cast<double>(s.per_channel()), [&](index_t begin, index_t end, int) {
    for (index_t c = begin; c < end; ++c) {
      const T m = static_cast<T>(detail::channel_sum(x, s, c, [](T v) { return v; }) / count);
      mean[c] = m;
      variance[c] = static_cast<T>(detail::channel_sum(x, s, c, [m](T v) { return (v - m) * (v - m); }) / count);
    }
  });
}

// y = x * scale[c] + shift[c] on every element.
template <class T>
void batch_norm_apply(const T* x, const BatchNormShape& s, const T* scale, const T* shift, T* y) {
  parallel_blocks(s.batch * s.channels, static_cast<double>(s.plane), [&](index_t begin, index_t end, int) {
    for (index_t plane = begin; plane < end; ++plane) {
      const index_t c = plane % s.channels;
      const T a = scale[c], b = shift[c];
      const T* in = x + plane * s.plane;
      T* out = y + plane * s.plane;
      for (index_t l = 0; l < s.plane; ++l) out[l] = in[l] * a + b;
    }
  });
}

// The backward pass of y = (x - mean) * invstd * weight + bias, given dy:
//   dbias[c] = sum dy, dweight[c] = sum dy * xhat, and
//   batch statistics (training): dx = weight * invstd * (dy - sum dy / M - xhat * sum(dy xhat) / M)
//   fixed statistics (eval):     dx = weight * invstd * dy
// weight may be null (no affine: weight 1); dx, dweight, dbias may each be null (not needed).
template <class T>
void batch_norm_backward(const T* x, const T* dy, const BatchNormShape& s, const T* mean, const T* invstd,
                         const T* weight, bool batch_statistics, T* dx, T* dweight, T* dbias) {
  const double count = static_cast<double>(s.per_channel());
  std::vector<T> dx_scale(static_cast<std::size_t>(s.channels)), dy_mean(static_cast<std::size_t>(s.channels)),
      xhat_coefficient(static_cast<std::size_t>(s.channels));
  parallel_blocks(s.channels, 2.0 * static_cast<double>(s.per_channel()), [&](index_t begin, index_t end, int) {
    for (index_t c = begin; c < end; ++c) {
      double sum_dy = 0, sum_dy_centered = 0;
      detail::channel_gradient_sums(x, dy, s, c, mean[c], sum_dy, sum_dy_centered);
      const double sum_dy_xhat = sum_dy_centered * static_cast<double>(invstd[c]);
      if (dbias) dbias[c] = static_cast<T>(sum_dy);
      if (dweight) dweight[c] = static_cast<T>(sum_dy_xhat);
      const auto i = static_cast<std::size_t>(c);
      dx_scale[i] = (weight ? weight[c] : T(1)) * invstd[c];
      dy_mean[i] = batch_statistics ? static_cast<T>(sum_dy / count) : T(0);
      xhat_coefficient[i] = batch_statistics ? static_cast<T>(sum_dy_xhat / count) : T(0);
    }
  });
  if (!dx) return;
  parallel_blocks(s.batch * s.channels, static_cast<double>(s.plane), [&](index_t begin, index_t end, int) {
    for (index_t plane = begin; plane < end; ++plane) {
      const auto c = static_cast<std::size_t>(plane % s.channels);
      const T m = mean[c], is = invstd[c], k = xhat_coefficient[c], d = dy_mean[c], scale = dx_scale[c];
      const index_t base = plane * s.plane;
      for (index_t l = 0; l < s.plane; ++l)
        dx[base + l] = scale * (dy[base + l] - d - (x[base + l] - m) * is * k);
    }
  });
}

}  // namespace ember::kernels
