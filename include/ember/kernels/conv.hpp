#pragma once
// 2-D convolution (cross-correlation, as in PyTorch) on NCHW input and OIHW weights:
// per sample, im2col into a per-thread workspace, then one GEMM. Samples are split across
// threads; a single sample (batch-1 inference) splits its output pixels instead.

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "ember/core/parallel.hpp"
#include "ember/core/precision.hpp"
#include "ember/kernels/gemm.hpp"
#include "ember/kernels/im2col.hpp"
#include "ember/kernels/workspace.hpp"

namespace ember::kernels {

struct ConvShape {
  index_t batch, out_channels;
  ConvGeometry geometry;
  index_t weight_cols() const { return geometry.col_rows(); }  // C * KH * KW
  index_t out_plane() const { return geometry.col_cols(); }    // OH * OW
  double gemm_flops() const { return 2.0 * out_channels * weight_cols() * out_plane(); }
};

// Output pixels per block when a single sample is split over the threads. Fixed, so that
// the bits do not depend on the thread count.
inline constexpr index_t kPixelsPerBlock = 96;

// y[o, l] += bias[o] for each of `rows` rows of length `cols`; nothing when bias is null.
template <class T>
void add_bias_rows(T* y, const T* bias, index_t rows, index_t cols) {
  if (!bias) return;
  for (index_t o = 0; o < rows; ++o) {
    T* row = y + o * cols;
    for (index_t l = 0; l < cols; ++l) row[l] += bias[o];
  }
}

// op(W) as the left operand of the per-sample GEMMs. In bf16 (float only) it is converted once
// per call and shared read-only by the threads: converting it per sample cost more than the
// 64 x 288 GEMM tile it feeds is worth (W^T's strided conversion is scalar).
template <class T>
class LeftOperand {
 public:
  LeftOperand(const T* w, bool trans, index_t m, index_t k, bool bf16) : w_(w), trans_(trans), m_(m), k_(k) {
    if constexpr (std::is_same_v<T, float>) {
      if (bf16) {
        words_.resize(static_cast<std::size_t>(m * bf16_pairs(k)));
        rows_ = to_bf16_rows(w, trans, m, k, words_.data());
      }
    }
  }

  // C [m x n] = op(W) * op(B) (+ C when accumulate), B stored [k x n] (or [n x k] when trans_b).
  void times(const T* b, bool trans_b, T* c, index_t n, bool accumulate = false) const {
    if constexpr (std::is_same_v<T, float>) {
      if (!words_.empty()) return gemm_bf16(rows_, b, trans_b, c, n, accumulate);
    }
    gemm(w_, trans_, b, trans_b, c, m_, k_, n, accumulate);
  }

 private:
  const T* w_;
  bool trans_;
  index_t m_, k_;
  std::vector<std::uint32_t> words_;
  Bf16Rows rows_{};
};

// out[n] = W x im2col(x[n]) + bias. bias may be null. With Precision::bf16 (float only) the
// GEMM takes bf16 operands and sums in float32 (gemm_bf16); bias stays float32.
template <class T>
void conv2d_forward(const T* x, const T* weight, const T* bias, T* out, const ConvShape& s,
                    Precision precision = Precision::float32) {
  const ConvGeometry& g = s.geometry;
  const index_t K = s.weight_cols(), L = s.out_plane(), O = s.out_channels;
  const index_t pixel_blocks = (L + kPixelsPerBlock - 1) / kPixelsPerBlock;
  const double work_per_pixel_block = 2.0 * static_cast<double>(O * K * kPixelsPerBlock);
  const bool bf16 = std::is_same_v<T, float> && precision == Precision::bf16;
  const LeftOperand<T> W_times(weight, false, O, K, bf16);
  if (bf16 && s.batch == 1) {  // the bf16 GEMM splits its output columns over the threads itself
    T* col = thread_workspace<T>(static_cast<std::size_t>(K * L));
    im2col(x, g, col);
    W_times.times(col, false, out, L);
    add_bias_rows(out, bias, O, L);
    return;
  }
  if (s.batch == 1 && threads_for(pixel_blocks, work_per_pixel_block) > 1) {
    // One sample (batch-1 inference): the threads share its output pixels, each packing only
    // its own columns of im2col. Eigen's own GEMM threading was slower here (measured).
    T* col = thread_workspace<T>(static_cast<std::size_t>(K * L));
    im2col(x, g, col);
    using Strided = Eigen::Map<RowMajor<T>, 0, Eigen::OuterStride<>>;
    using ConstStrided = Eigen::Map<const RowMajor<T>, 0, Eigen::OuterStride<>>;
    const Eigen::Map<const RowMajor<T>> W(weight, O, K);
    parallel_blocks(pixel_blocks, work_per_pixel_block, [&](index_t first, index_t last, int) {
      for (index_t block = first; block < last; ++block) {
        const index_t l0 = block * kPixelsPerBlock, cols = std::min(L, l0 + kPixelsPerBlock) - l0;
        Strided Y(out + l0, O, cols, Eigen::OuterStride<>(L));
        Y.noalias() = W * ConstStrided(col + l0, K, cols, Eigen::OuterStride<>(L));
        if (bias) Y.colwise() += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(bias, O);
      }
    });
    return;
  }
  parallel_blocks(s.batch, s.gemm_flops(), [&](index_t begin, index_t end, int) {
    T* col = thread_workspace<T>(static_cast<std::size_t>(K * L));
    for (index_t n = begin; n < end; ++n) {
      im2col(x + n * g.input_size(), g, col);
      T* y = out + n * O * L;
      W_times.times(col, false, y, L);
      add_bias_rows(y, bias, O, L);
    }
  });
}

// Samples per block of the weight-gradient sum. Fixed, so that the order of every float
// addition, and so the result, does not depend on the number of threads.
inline constexpr index_t kSamplesPerGradBlock = 4;

// Gradients of conv2d_forward given grad_out [N, O, OH, OW], their GEMMs in `precision`. Any of grad_x, grad_w,
// grad_b may be null (not needed). Weight and bias gradients are summed per block of
// samples, then the blocks are added in order: the same bits for any thread count.
template <class T>
void conv2d_backward(const T* x, const T* weight, const T* grad_out, T* grad_x, T* grad_w, T* grad_b,
                     const ConvShape& s, Precision precision = Precision::float32) {
  const ConvGeometry& g = s.geometry;
  const index_t K = s.weight_cols(), L = s.out_plane(), O = s.out_channels;
  const index_t blocks = (s.batch + kSamplesPerGradBlock - 1) / kSamplesPerGradBlock;
  const bool bf16 = std::is_same_v<T, float> && precision == Precision::bf16;  // partial sums hold dW^T then
  std::vector<T, Eigen::aligned_allocator<T>> partial_w(grad_w ? static_cast<std::size_t>(blocks * O * K) : 0, T(0));
  std::vector<T> partial_b(grad_b ? static_cast<std::size_t>(blocks * O) : 0, T(0));
  const LeftOperand<T> Wt_times(weight, true, K, O, bf16 && grad_x);

  const double work_per_block = 2 * s.gemm_flops() * static_cast<double>(std::min(s.batch, kSamplesPerGradBlock));
  parallel_blocks(blocks, work_per_block, [&](index_t first_block, index_t end_block, int) {
    T* col = thread_workspace<T>(static_cast<std::size_t>(K * L), 0);
    for (index_t block = first_block; block < end_block; ++block) {
      T* dw = grad_w ? partial_w.data() + block * O * K : nullptr;
      T* db = grad_b ? partial_b.data() + block * O : nullptr;
      const index_t end = std::min(s.batch, (block + 1) * kSamplesPerGradBlock);
      for (index_t n = block * kSamplesPerGradBlock; n < end; ++n) {
        const T* dy = grad_out + n * O * L;
        if (grad_x) {  // dcol = W^T dy, then scatter back into the image
          T* dcol = thread_workspace<T>(static_cast<std::size_t>(K * L), 1);
          Wt_times.times(dy, false, dcol, L);
          T* dx = grad_x + n * g.input_size();
          std::fill(dx, dx + g.input_size(), T(0));
          col2im(dcol, g, dx);
        }
        if (dw) {  // dW += dy col^T; in bf16 dW^T += col dy^T, the faster shape for its packing
          im2col(x + n * g.input_size(), g, col);
          if (bf16)
            gemm(precision, col, false, dy, true, dw, K, L, O, /*accumulate=*/true);
          else
            gemm(dy, false, col, true, dw, O, L, K, /*accumulate=*/true);
        }
        // Each channel's sum through Eigen's vectorised reduction (an add chain was ~3% of the step).
        using Row = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
        if (db)
          for (index_t o = 0; o < O; ++o) db[o] += Row(dy + o * L, L).sum();
      }
    }
  });

  if (grad_w) {
    std::copy(partial_w.begin(), partial_w.begin() + O * K, grad_w);
    for (index_t block = 1; block < blocks; ++block)
      for (index_t i = 0; i < O * K; ++i) grad_w[i] += partial_w[static_cast<std::size_t>(block * O * K + i)];
    if (bf16) {  // grad_w holds dW^T [K x O]: transpose it in place through a copy
      std::vector<T> transposed(grad_w, grad_w + O * K);
      for (index_t kk = 0; kk < K; ++kk)
        for (index_t o = 0; o < O; ++o) grad_w[o * K + kk] = transposed[static_cast<std::size_t>(kk * O + o)];
    }
  }
  if (grad_b) {
    std::copy(partial_b.begin(), partial_b.begin() + O, grad_b);
    for (index_t block = 1; block < blocks; ++block)
      for (index_t o = 0; o < O; ++o) grad_b[o] += partial_b[static_cast<std::size_t>(block * O + o)];
  }
}

}  // namespace ember::kernels
