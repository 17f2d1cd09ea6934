#pragma once
// im2col / col2im for 2-D convolution on one NCHW sample.
//
// col has shape [C * KH * KW, OH * OW], row r = (c * KH + i) * KW + j, column l = oh * OW + ow,
// col[r, l] = x[c, oh * stride - pad + i * dilation, ow * stride - pad + j * dilation] (0 outside).
// Then conv = W[O, C*KH*KW] x col, a single GEMM per sample with the output already in NCHW.

#include <algorithm>

#include "ember/core/shape.hpp"

namespace ember::kernels {

struct ConvGeometry {
  index_t channels, height, width;        // input plane
  index_t kernel_h, kernel_w;
  index_t stride, padding, dilation;
  index_t out_h, out_w;

  ConvGeometry(index_t c, index_t h, index_t w, index_t kh, index_t kw, index_t s, index_t p, index_t d)
      : channels(c), height(h), width(w), kernel_h(kh), kernel_w(kw), stride(s), padding(p), dilation(d),
        out_h((h + 2 * p - d * (kh - 1) - 1) / s + 1), out_w((w + 2 * p - d * (kw - 1) - 1) / s + 1) {}

  index_t col_rows() const { return channels * kernel_h * kernel_w; }
  index_t col_cols() const { return out_h * out_w; }
  index_t input_size() const { return channels * height * width; }
};

// Output columns [first, last) of row offset i (kernel offset along one axis) that read inside
// the input: first valid o has o * stride - pad + i * dilation >= 0, last < size.
inline void valid_range(index_t out, index_t size, index_t offset, index_t stride, index_t& first, index_t& last) {
  // o * stride + offset in [0, size)
  first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  last = offset >= size ? 0 : (size - offset + stride - 1) / stride;
  first = std::min(first, out);
  last = std::clamp(last, first, out);
}

template <class T>
void im2col(const T* x, const ConvGeometry& g, T* col) {
  for (index_t c = 0; c < g.channels; ++c)
    for (index_t i = 0; i < g.kernel_h; ++i)
      for (index_t j = 0; j < g.kernel_w; ++j) {
        T* row = col + ((c * g.kernel_h + i) * g.kernel_w + j) * g.col_cols();
        const index_t dy = i * g.dilation - g.padding, dx = j * g.dilation - g.padding;
        index_t ow_first, ow_last;
        valid_range(g.out_w, g.width, dx, g.stride, ow_first, ow_last);
        for (index_t oh = 0; oh < g.out_h; ++oh) {
          T* out = row + oh * g.out_w;
          const index_t y = oh * g.stride + dy;
          if (y < 0 || y >= g.height) {
            std::fill(out, out + g.out_w, T(0));
            continue;
          }
          const T* in = x + (c * g.height + y) * g.width;  // input row; column of ow is ow * stride + dx
          std::fill(out, out + ow_first, T(0));
          if (g.stride == 1)
            std::copy(in + ow_first + dx, in + ow_last + dx, out + ow_first);
          else
            for (index_t ow = ow_first; ow < ow_last; ++ow) out[ow] = in[ow * g.stride + dx];
          std::fill(out + ow_last, out + g.out_w, T(0));
        }
      }
}

// The adjoint of im2col: x += scatter of col (x must be zeroed by the caller).
template <class T>
void col2im(const T* col, const ConvGeometry& g, T* x) {
  for (index_t c = 0; c < g.channels; ++c)
    for (index_t i = 0; i < g.kernel_h; ++i)
      for (index_t j = 0; j < g.kernel_w; ++j) {
        const T* row = col + ((c * g.kernel_h + i) * g.kernel_w + j) * g.col_cols();
        const index_t dy = i * g.dilation - g.padding, dx = j * g.dilation - g.padding;
        index_t ow_first, ow_last;
        valid_range(g.out_w, g.width, dx, g.stride, ow_first, ow_last);
        for (index_t oh = 0; oh < g.out_h; ++oh) {
          const index_t y = oh * g.stride + dy;
          if (y < 0 || y >= g.height) continue;
          const T* in = row + oh * g.out_w;
          T* out = x + (c * g.height + y) * g.width;
          for (index_t ow = ow_first; ow < ow_last; ++ow) out[ow * g.stride + dx] += in[ow];
        }
      }
}

}  // namespace ember::kernels
