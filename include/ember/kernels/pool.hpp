#pragma once
// 2-D max pooling on NCHW planes, with the argmax of each window kept for the backward.
// Padding counts as -infinity (it is never chosen), as in PyTorch.

#include <cmath>
#include <cstdint>
#include <limits>

#include "ember/kernels/parallel.hpp"

namespace ember::kernels {

struct PoolShape {
  index_t planes;  // N * C
  index_t height, width, kernel, stride, padding;
  index_t out_h() const { return (height + 2 * padding - kernel) / stride + 1; }
  index_t out_w() const { return (width + 2 * padding - kernel) / stride + 1; }
};

// out[p, oh, ow] = max over the window; argmax holds the flat index (y * W + x) in the plane.
// NaN wins, so that it propagates.
template <class T>
void max_pool2d_forward(const T* x, T* out, std::int32_t* argmax, const PoolShape& s) {
  const index_t OH = s.out_h(), OW = s.out_w(), plane = s.height * s.width;
  parallel_blocks(s.planes, static_cast<double>(OH * OW * s.kernel * s.kernel), [&](index_t begin, index_t end, int) {
    for (index_t p = begin; p < end; ++p) {
      const T* in = x + p * plane;
      for (index_t oh = 0; oh < OH; ++oh)
        for (index_t ow = 0; ow < OW; ++ow) {
          const index_t y0 = oh * s.stride - s.padding, x0 = ow * s.stride - s.padding;
          T best = -std::numeric_limits<T>::infinity();
          index_t best_at = -1;
          for (index_t y = std::max<index_t>(y0, 0); y < std::min(y0 + s.kernel, s.height); ++y)
            for (index_t xx = std::max<index_t>(x0, 0); xx < std::min(x0 + s.kernel, s.width); ++xx) {
              const T v = in[y * s.width + xx];
              const bool nan_first = std::isnan(static_cast<double>(v)) && !std::isnan(static_cast<double>(best));
              if (best_at < 0 || v > best || nan_first) {
                best = v;
                best_at = y * s.width + xx;
              }
            }
          out[(p * OH + oh) * OW + ow] = best;
          argmax[(p * OH + oh) * OW + ow] = static_cast<std::int32_t>(best_at);
        }
    }
  });
}

// grad_x = scatter-add of grad_out to the argmax positions (grad_x is overwritten).
template <class T>
void max_pool2d_backward(const T* grad_out, const std::int32_t* argmax, T* grad_x, const PoolShape& s) {
  const index_t OHW = s.out_h() * s.out_w(), plane = s.height * s.width;
  parallel_blocks(s.planes, static_cast<double>(plane + OHW), [&](index_t begin, index_t end, int) {
    for (index_t p = begin; p < end; ++p) {
      T* dx = grad_x + p * plane;
      std::fill(dx, dx + plane, T(0));
      for (index_t o = 0; o < OHW; ++o) dx[argmax[p * OHW + o]] += grad_out[p * OHW + o];
    }
  });
}

}  // namespace ember::kernels
