#pragma once
// Matrix products on raw row-major buffers through Eigen maps.

#include <Eigen/Core>

#include "ember/core/shape.hpp"

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

}  // namespace ember::kernels
