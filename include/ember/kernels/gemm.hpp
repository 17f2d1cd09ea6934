#pragma once
// Matrix products on raw row-major buffers through Eigen maps.

#include <algorithm>
#include <type_traits>

#include <Eigen/Core>

#include "ember/core/parallel.hpp"
#include "ember/core/precision.hpp"
#include "ember/core/shape.hpp"
#include "ember/kernels/gemm_bf16.hpp"

namespace ember::kernels {

template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// C[m x n] = op(A) * op(B) (+ C when accumulate), where op transposes when asked.
// A is stored as [m x k] (or [k x m] when trans_a), B as [k x n] (or [n x k] when trans_b).
template <class T>
void gemm(const T* a, bool trans_a, const T* b, bool trans_b, T* c, index_t m, index_t k, index_t n,
          bool accumulate = false) {
  using Map = Eigen::Map<const RowMajor<T>>;
  Eigen::Map<RowMajor<T>> C(c, m, n);
  Map A(a, trans_a ? k : m, trans_a ? m : k);
  Map B(b, trans_b ? n : k, trans_b ? k : n);
  if (!accumulate) C.setZero();
  if (!trans_a && !trans_b)
    C.noalias() += A * B;
  else if (trans_a && !trans_b)
    C.noalias() += A.transpose() * B;
  else if (!trans_a && trans_b)
    C.noalias() += A * B.transpose();
  else
    C.noalias() += A.transpose() * B.transpose();
}

// gemm() in the given precision: bf16 operands with float32 sums for float matrices when asked
// (gemm_bf16), else in T. Double matrices always compute in double.
template <class T>
void gemm(Precision precision, const T* a, bool trans_a, const T* b, bool trans_b, T* c, index_t m, index_t k,
          index_t n, bool accumulate = false) {
  if constexpr (std::is_same_v<T, float>)
    if (precision == Precision::bf16) return gemm_bf16(a, trans_a, b, trans_b, c, m, k, n, accumulate);
  gemm(a, trans_a, b, trans_b, c, m, k, n, accumulate);
}

// Output columns per block of gemm_abt's few-row path.
inline constexpr index_t kColumnsPerBlock = 32;
// Up to this many rows, gemm_abt computes dot products itself, in column blocks over the threads.
inline constexpr index_t kSmallM = 4;

// C[m x n] = A[m x k] * B^T with B stored [n x k]: the linear layer's x W^T. For the few rows
// of small-batch inference each output is one dot product, and blocks of output columns (rows
// of B) go to the threads: Eigen's own GEMM threading was slower than one thread there
// (measured on fc1 of the MNIST CNN), and dot products give the same bits for any thread
// count. More rows: one Eigen GEMM, as gemm() does.
// With Precision::bf16 (float only) it is gemm_bf16's x W^T, whatever m.
template <class T>
void gemm_abt(const T* a, const T* b, T* c, index_t m, index_t k, index_t n, Precision precision = Precision::float32) {
  if constexpr (std::is_same_v<T, float>)
    if (precision == Precision::bf16) return gemm_bf16(a, false, b, true, c, m, k, n);
  if (m > kSmallM) {
    gemm(a, false, b, true, c, m, k, n);
    return;
  }
  using Vector = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;
  const index_t blocks = (n + kColumnsPerBlock - 1) / kColumnsPerBlock;
  parallel_blocks(blocks, 2.0 * static_cast<double>(m * k * kColumnsPerBlock), [&](index_t first, index_t last, int) {
    for (index_t j = first * kColumnsPerBlock; j < std::min(n, last * kColumnsPerBlock); ++j) {
      const Vector row_of_b(b + j * k, k);
      for (index_t i = 0; i < m; ++i) c[i * n + j] = Vector(a + i * k, k).dot(row_of_b);
    }
  });
}

}  // namespace ember::kernels
