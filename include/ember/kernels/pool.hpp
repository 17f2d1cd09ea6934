#pragma once
// 2-D max pooling on NCHW planes, with the argmax of each window kept for the backward.
// Padding counts as -infinity (it is never chosen), as in PyTorch.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ember/core/parallel.hpp"

namespace ember::kernels {

struct PoolShape {
  index_t planes;  // N * C
  index_t height, width, kernel, stride, padding;
  index_t out_h() const { return (height + 2 * padding - kernel) / stride + 1; }
  index_t out_w() const { return (width + 2 * padding - kernel) / stride + 1; }
};

namespace detail {

// Max of one window clipped to the input (border windows, where padding cuts them).
// NaN wins, so that it propagates (v != v is the NaN test without leaving T).
template <class T>
void pool_window(const T* in, const PoolShape& s, index_t oh, index_t ow, T& best, std::int32_t& best_at) {
  const index_t y0 = oh * s.stride - s.padding, x0 = ow * s.stride - s.padding;
  const index_t y_begin = std::max<index_t>(y0, 0), y_end = std::min(y0 + s.kernel, s.height);
  const index_t x_begin = std::max<index_t>(x0, 0), x_end = std::min(x0 + s.kernel, s.width);
  index_t at = y_begin * s.width + x_begin;  // padding <= kernel / 2: windows always overlap the input
  T b = in[at];
  for (index_t y = y_begin; y < y_end; ++y)
    for (index_t x = x_begin; x < x_end; ++x) {
      const T v = in[y * s.width + x];
      const bool take = (v > b) | ((v != v) & (b == b));
      b = take ? v : b;
      at = take ? y * s.width + x : at;
    }
  best = b;
  best_at = static_cast<std::int32_t>(at);
}

// Interior windows of one output row, [ow_begin, ow_end): the window offsets are the outer
// loops, so the inner loop runs across independent outputs (no dependency chain, no branch).
template <class T>
void pool_row_interior(const T* in, const PoolShape& s, index_t oh, index_t ow_begin, index_t ow_end, T* best,
                       std::int32_t* best_at) {
  const index_t y0 = oh * s.stride - s.padding;
  for (index_t ow = ow_begin; ow < ow_end; ++ow) {
    const index_t at = y0 * s.width + ow * s.stride - s.padding;
    best[ow] = in[at];
    best_at[ow] = static_cast<std::int32_t>(at);
  }
  for (index_t i = 0; i < s.kernel; ++i)
    for (index_t j = 0; j < s.kernel; ++j) {
      if (i == 0 && j == 0) continue;
      const index_t shift = (y0 + i) * s.width + j - s.padding;
      for (index_t ow = ow_begin; ow < ow_end; ++ow) {
        const index_t at = shift + ow * s.stride;
        const T v = in[at], b = best[ow];
        const bool take = (v > b) | ((v != v) & (b == b));
        best[ow] = take ? v : b;
        best_at[ow] = take ? static_cast<std::int32_t>(at) : best_at[ow];
      }
    }
}

// The reference CNN's window: 2x2, stride 2, no padding. Four loads per output and no window
// bookkeeping; the same choices as pool_window (the first maximum in row-major order, NaN
// wins). The best of each row pair, then of the two rows, in max and compare-to-int
// arithmetic that the compiler vectorises (blends of an index kept the loop scalar, 2.4x
// slower); a row holding a NaN (or an infinity, whose sum may be NaN) is redone the careful way.
// kArgmax false: inference, no indices kept.
template <class T, bool kArgmax>
void pool2x2_plane(const T* in, const PoolShape& s, T* out, std::int32_t* argmax) {
  const index_t W = s.width, OH = s.out_h(), OW = s.out_w();
  for (index_t oh = 0; oh < OH; ++oh) {
    const T* top = in + 2 * oh * W;
    const T* bottom = top + W;
    T* o = out + oh * OW;
    std::int32_t* a = kArgmax ? argmax + oh * OW : nullptr;
    const auto top_row = static_cast<std::int32_t>(2 * oh * W), width = static_cast<std::int32_t>(W);
    int nan_seen = 0;
    for (index_t ow = 0; ow < OW; ++ow) {
      const T v0 = top[2 * ow], v1 = top[2 * ow + 1], v2 = bottom[2 * ow], v3 = bottom[2 * ow + 1];
      const T sum = (v0 + v1) + (v2 + v3);
      nan_seen |= static_cast<int>(sum != sum);
      // std::max(a, b) keeps a unless b > a: the first maximum, as the window scan.
      const T top_best = std::max(v0, v1), bottom_best = std::max(v2, v3);
      o[ow] = std::max(top_best, bottom_best);
      if constexpr (kArgmax) {
        const std::int32_t right_top = v1 > v0, right_bottom = v3 > v2, take_bottom = bottom_best > top_best;
        a[ow] = top_row + static_cast<std::int32_t>(2 * ow) + right_top +
                take_bottom * (width + right_bottom - right_top);
      }
    }
    if (!nan_seen) continue;
    for (index_t ow = 0; ow < OW; ++ow) {
      std::int32_t at = 0;
      pool_window(in, s, oh, ow, o[ow], at);
      if constexpr (kArgmax) a[ow] = at;
    }
  }
}

}  // namespace detail

// out[p, oh, ow] = max over the window; argmax holds the flat index (y * W + x) in the plane.
// argmax may be null when no backward will follow (inference).
template <class T>
void max_pool2d_forward(const T* x, T* out, std::int32_t* argmax, const PoolShape& s) {
  const index_t OH = s.out_h(), OW = s.out_w(), plane = s.height * s.width;
  if (s.kernel == 2 && s.stride == 2 && s.padding == 0) {
    parallel_blocks(s.planes, static_cast<double>(4 * OH * OW), [&](index_t begin, index_t end, int) {
      for (index_t p = begin; p < end; ++p) {
        if (argmax)
          detail::pool2x2_plane<T, true>(x + p * plane, s, out + p * OH * OW, argmax + p * OH * OW);
        else
          detail::pool2x2_plane<T, false>(x + p * plane, s, out + p * OH * OW, nullptr);
      }
    });
    return;
  }
  // Outputs whose window lies wholly inside the input: o * stride - pad >= 0 and + kernel <= size.
  auto interior = [&](index_t size, index_t out, index_t& first, index_t& last) {
    first = std::min(out, (s.padding + s.stride - 1) / s.stride);
    last = size + s.padding >= s.kernel ? std::min(out, (size + s.padding - s.kernel) / s.stride + 1) : 0;
    last = std::max(last, first);
  };
  index_t oh_first, oh_last, ow_first, ow_last;
  interior(s.height, OH, oh_first, oh_last);
  interior(s.width, OW, ow_first, ow_last);
  parallel_blocks(s.planes, static_cast<double>(OH * OW * s.kernel * s.kernel), [&](index_t begin, index_t end, int) {
    std::vector<std::int32_t> scratch(argmax ? 0 : static_cast<std::size_t>(OH * OW));  // indices nobody reads
    for (index_t p = begin; p < end; ++p) {
      const T* in = x + p * plane;
      T* o = out + p * OH * OW;
      std::int32_t* a = argmax ? argmax + p * OH * OW : scratch.data();
      for (index_t oh = 0; oh < OH; ++oh) {
        const bool row_inside = oh >= oh_first && oh < oh_last;
        const index_t fast_begin = row_inside ? ow_first : OW, fast_end = row_inside ? ow_last : OW;
        for (index_t ow = 0; ow < OW; ++ow) {
          if (ow == fast_begin && fast_begin < fast_end) {
            detail::pool_row_interior(in, s, oh, fast_begin, fast_end, o + oh * OW, a + oh * OW);
            ow = fast_end - 1;
            continue;
          }
          detail::pool_window(in, s, oh, ow, o[oh * OW + ow], a[oh * OW + ow]);
        }
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
