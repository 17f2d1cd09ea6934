#pragma once
// Matrix product of 2-D tensors through Eigen GEMM.

#include "ember/autograd/node.hpp"
#include "ember/kernels/elementwise.hpp"
#include "ember/kernels/gemm.hpp"

namespace ember {

// [m, k] x [k, n] -> [m, n]. Backward: dA = G B^T, dB = A^T G.
template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) {
  EMBER_CHECK(a.dim() == 2 && b.dim() == 2, ShapeError, "matmul", "expected two 2-D tensors, got shapes ",
              a.shape(), " and ", b.shape());
  EMBER_CHECK(a.size(1) == b.size(0), ShapeError, "matmul", "inner dimensions differ: expected a.shape[1] == ",
              "b.shape[0], got ", a.shape(), " and ", b.shape());
  const index_t m = a.size(0), k = a.size(1), n = b.size(1);
  Tensor<T> a0 = kernels::make_contiguous(a).detach(), b0 = kernels::make_contiguous(b).detach();
  Tensor<T> out = Tensor<T>::zeros(Shape{m, n});
  kernels::gemm(a0.data(), false, b0.data(), false, out.data(), m, k, n);
  return record<T>("matmul", out, {a, b}, [a0, b0, m, k, n](const Tensor<T>& g, const Node<T>& self) {
    Tensor<T> gc = kernels::make_contiguous(g), ga, gb;
    if (self.needs_grad(0)) {
      ga = Tensor<T>::zeros(Shape{m, k});
      kernels::gemm(gc.data(), false, b0.data(), true, ga.data(), m, n, k);
    }
    if (self.needs_grad(1)) {
      gb = Tensor<T>::zeros(Shape{k, n});
      kernels::gemm(a0.data(), true, gc.data(), false, gb.data(), k, m, n);
    }
    return std::vector<Tensor<T>>{ga, gb};
  });
}

}  // namespace ember
