#pragma once
// linear: y = x W^T + b with W stored [out_features, in_features], as PyTorch's F.linear,
// with a fused backward (one GEMM per gradient, no transposed copies).

#include "ember/autograd/node.hpp"
#include "ember/core/precision.hpp"
#include "ember/kernels/elementwise.hpp"
#include "ember/kernels/gemm.hpp"

namespace ember {

// input [N, in], weight [out, in], bias [out] or undefined -> [N, out]. Under
// PrecisionGuard(Precision::bf16) a float linear runs its three GEMMs on bf16 operands with
// float32 sums; the bias and its gradient stay float32. Throws ShapeError for shapes that do not fit.
template <class T>
Tensor<T> linear(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>()) {
  const char* op = "linear";
  EMBER_CHECK(weight.dim() == 2, ShapeError, op, "expected weight of shape [out_features, in_features], got ",
              weight.shape());
  EMBER_CHECK(input.dim() == 2 && input.size(1) == weight.size(1), ShapeError, op, "expected input of shape [N, ",
              weight.size(1), "], got ", input.shape());
  EMBER_CHECK(!bias.defined() || bias.shape() == Shape{weight.size(0)}, ShapeError, op, "expected bias of shape [",
              weight.size(0), "], got ", bias.defined() ? bias.shape().to_string() : "");
  const index_t n = input.size(0), in = weight.size(1), out_features = weight.size(0);
  Tensor<T> x = kernels::make_contiguous(input).detach(), w = kernels::make_contiguous(weight).detach();
  Tensor<T> out = Tensor<T>::uninitialized(Shape{n, out_features});
  const Precision precision = matmul_precision();  // the backward pass keeps it
  kernels::gemm_abt(x.data(), w.data(), out.data(), n, in, out_features, precision);
  if (bias.defined()) {
    Tensor<T> b = kernels::make_contiguous(bias);
    out.matrix().rowwise() += Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(b.data(), out_features);
  }

  std::vector<Tensor<T>> inputs{input, weight};
  if (bias.defined()) inputs.push_back(bias);
  return record<T>("linear", out, inputs, [x, w, n, in, out_features, precision](const Tensor<T>& g,
                                                                                      const Node<T>& self) {
    Tensor<T> dy = kernels::make_contiguous(g), dx, dw, db;
    if (self.needs_grad(0)) {  // dx = dy W
      dx = Tensor<T>::uninitialized(Shape{n, in});
      kernels::gemm(precision, dy.data(), false, w.data(), false, dx.data(), n, out_features, in);
    }
    if (self.needs_grad(1)) {  // dW = dy^T x
      dw = Tensor<T>::uninitialized(Shape{out_features, in});
      kernels::gemm(precision, dy.data(), true, x.data(), false, dw.data(), out_features, n, in);
    }
    if (self.inputs.size() > 2 && self.needs_grad(2)) {  // db = column sums of dy
      db = Tensor<T>::uninitialized(Shape{out_features});
      db.eigen() = dy.matrix().colwise().sum().transpose().array();
    }
    return std::vector<Tensor<T>>{dx, dw, db};
  });
}

}  // namespace ember
