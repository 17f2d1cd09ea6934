#pragma once
// 2-D average pooling on NCHW planes, fixed windows (AvgPool2d) or adaptive ones
// (AdaptiveAvgPool2d), both described by the input rows and columns each output averages.

#include <algorithm>
#include <vector>

#include "ember/core/parallel.hpp"

namespace ember::kernels {

// Output row i averages input rows [row_begin[i], row_end[i]), likewise for columns. The
// divisor is `divisor` when it is positive (a fixed window that counts its padding, PyTorch's
// count_include_pad=True), else the size of the clipped window.
struct AvgPoolPlan {
  index_t planes = 0, height = 0, width = 0;
  std::vector<index_t> row_begin, row_end, col_begin, col_end;
  index_t divisor = 0;
  index_t out_h() const { return static_cast<index_t>(row_begin.size()); }
  index_t out_w() const { return static_cast<index_t>(col_begin.size()); }
  index_t window_size(std::size_t i, std::size_t j) const {
    return divisor > 0 ? divisor : (row_end[i] - row_begin[i]) * (col_end[j] - col_begin[j]);
  }
};

// Windows of `kernel` every `stride`, `padding` zeros on each side (counted in the divisor).
inline AvgPoolPlan fixed_windows(index_t planes, index_t height, index_t width, index_t kernel, index_t stride,
                                 index_t padding) {
  AvgPoolPlan p{planes, height, width, {}, {}, {}, {}, kernel * kernel};
  auto axis = [&](index_t size, std::vector<index_t>& begin, std::vector<index_t>& end) {
    for (index_t o = 0; o < (size + 2 * padding - kernel) / stride + 1; ++o) {
      const index_t start = o * stride - padding;
      begin.push_back(std::max<index_t>(start, 0));
      end.push_back(std::min(start + kernel, size));
    }
  };
  axis(height, p.row_begin, p.row_end);
  axis(width, p.col_begin, p.col_end);
  return p;
}

// PyTorch's adaptive windows: output i of n over a size s covers [floor(i s / n), ceil((i + 1) s / n)).
inline AvgPoolPlan adaptive_windows(index_t planes, index_t height, index_t width, index_t out_h, index_t out_w) {
  AvgPoolPlan p{planes, height, width, {}, {}, {}, {}, 0};
  auto axis = [](index_t size, index_t n, std::vector<index_t>& begin, std::vector<index_t>& end) {
    for (index_t o = 0; o < n; ++o) {
      begin.push_back(o * size / n);
      end.push_back(((o + 1) * size + n - 1) / n);
    }
  };
  axis(height, out_h, p.row_begin, p.row_end);
  axis(width, out_w, p.col_begin, p.col_end);
  return p;
}

template <class T>
void avg_pool2d_forward(const T* x, T* y, const AvgPoolPlan& p) {
  const index_t oh_n = p.out_h(), ow_n = p.out_w();
  parallel_blocks(p.planes, static_cast<double>(p.height * p.width), [&](index_t begin, index_t end, int) {
    for (index_t plane = begin; plane < end; ++plane) {
      const T* in = x + plane * p.height * p.width;
      T* out = y + plane * oh_n * ow_n;
      for (std::size_t i = 0; i < static_cast<std::size_t>(oh_n); ++i)
        for (std::size_t j = 0; j < static_cast<std::size_t>(ow_n); ++j) {
          T sum = 0;
          for (index_t r = p.row_begin[i]; r < p.row_end[i]; ++r)
            for (index_t c = p.col_begin[j]; c < p.col_end[j]; ++c) sum += in[r * p.width + c];
          out[static_cast<index_t>(i) * ow_n + static_cast<index_t>(j)] = sum / static_cast<T>(p.window_size(i, j));
        }
    }
  });
}

// dx (written in full) = each output's gradient spread evenly over its window.
template <class T>
void avg_pool2d_backward(const T* dy, T* dx, const AvgPoolPlan& p) {
  const index_t oh_n = p.out_h(), ow_n = p.out_w();
  parallel_blocks(p.planes, static_cast<double>(p.height * p.width), [&](index_t begin, index_t end, int) {
    for (index_t plane = begin; plane < end; ++plane) {
      T* in = dx + plane * p.height * p.width;
      const T* g = dy + plane * oh_n * ow_n;
      std::fill(in, in + p.height * p.width, T(0));
      for (std::size_t i = 0; i < static_cast<std::size_t>(oh_n); ++i)
        for (std::size_t j = 0; j < static_cast<std::size_t>(ow_n); ++j) {
          const T share = g[static_cast<index_t>(i) * ow_n + static_cast<index_t>(j)] /
                          static_cast<T>(p.window_size(i, j));
          for (index_t r = p.row_begin[i]; r < p.row_end[i]; ++r)
            for (index_t c = p.col_begin[j]; c < p.col_end[j]; ++c) in[r * p.width + c] += share;
        }
    }
  });
}

}  // namespace ember::kernels
