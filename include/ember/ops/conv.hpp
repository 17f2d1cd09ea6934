#pragma once
// conv2d: 2-D cross-correlation of NCHW input with OIHW weights (PyTorch's F.conv2d),
// with a fused backward computing the input, weight and bias gradients in one pass.

#include "ember/autograd/node.hpp"
#include "ember/kernels/conv.hpp"
#include "ember/kernels/elementwise.hpp"

namespace ember {

struct Conv2dParams {
  index_t stride = 1, padding = 0, dilation = 1;
};

namespace detail {

template <class T>
kernels::ConvShape conv_shape(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias,
                              const Conv2dParams& p) {
  const char* op = "conv2d";
  EMBER_CHECK(input.dim() == 4, ShapeError, op, "expected input of shape [N, C, H, W], got ", input.shape());
  EMBER_CHECK(weight.dim() == 4, ShapeError, op, "expected weight of shape [O, C, KH, KW], got ", weight.shape());
  EMBER_CHECK(weight.size(1) == input.size(1), ShapeError, op, "weight of shape ", weight.shape(), " expects ",
              weight.size(1), " input channels, got input of shape ", input.shape());
  EMBER_CHECK(!bias.defined() || bias.shape() == Shape{weight.size(0)}, ShapeError, op, "expected bias of shape [",
              weight.size(0), "], got ", bias.defined() ? bias.shape().to_string() : "");
  EMBER_CHECK(p.stride >= 1 && p.padding >= 0 && p.dilation >= 1, ValueError, op,
              "expected stride >= 1, padding >= 0, dilation >= 1, got stride ", p.stride, ", padding ", p.padding,
              ", dilation ", p.dilation);
  kernels::ConvGeometry g(input.size(1), input.size(2), input.size(3), weight.size(2), weight.size(3), p.stride,
                          p.padding, p.dilation);
  EMBER_CHECK(g.out_h >= 1 && g.out_w >= 1 && g.height + 2 * p.padding >= p.dilation * (g.kernel_h - 1) + 1 &&
                  g.width + 2 * p.padding >= p.dilation * (g.kernel_w - 1) + 1,
              ShapeError, op, "input of shape ", input.shape(), " is smaller than the kernel ", g.kernel_h, "x",
              g.kernel_w, " (padding ", p.padding, ", dilation ", p.dilation, ")");
  return kernels::ConvShape{input.size(0), weight.size(0), g};
}

}  // namespace detail

// input [N, C, H, W], weight [O, C, KH, KW], bias [O] or undefined -> [N, O, OH, OW].
// Under PrecisionGuard(Precision::bf16) a float conv2d runs its GEMMs (forward and backward)
// on bf16 operands with float32 sums. Throws ShapeError/ValueError for shapes or settings
// that do not fit.
template <class T>
Tensor<T> conv2d(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>(),
                 Conv2dParams params = {}) {
  const kernels::ConvShape s = detail::conv_shape(input, weight, bias, params);
  Tensor<T> x = kernels::make_contiguous(input).detach(), w = kernels::make_contiguous(weight).detach();
  Tensor<T> b = bias.defined() ? kernels::make_contiguous(bias).detach() : Tensor<T>();
  Tensor<T> out = Tensor<T>::uninitialized(Shape{s.batch, s.out_channels, s.geometry.out_h, s.geometry.out_w});
  const Precision precision = matmul_precision();  // the backward pass keeps it
  kernels::conv2d_forward(x.data(), w.data(), b.defined() ? b.data() : nullptr, out.data(), s, precision);

  std::vector<Tensor<T>> inputs{input, weight};
  if (bias.defined()) inputs.push_back(bias);
  Tensor<T> y = record<T>("conv2d", out, inputs, [x, w, s, precision](const Tensor<T>& g, const Node<T>& self) {
    Tensor<T> dy = kernels::make_contiguous(g), dx, dw, db;
    if (self.needs_grad(0)) dx = Tensor<T>::uninitialized(x.shape());
    if (self.needs_grad(1)) dw = Tensor<T>::uninitialized(w.shape());
    if (self.inputs.size() > 2 && self.needs_grad(2)) db = Tensor<T>::uninitialized(Shape{s.out_channels});
    kernels::conv2d_backward(x.data(), w.data(), dy.data(), dx.defined() ? dx.data() : nullptr,
                             dw.defined() ? dw.data() : nullptr, db.defined() ? db.data() : nullptr, s, precision);
    return std::vector<Tensor<T>>{dx, dw, db};
  });
  trace::annotate(y, [&] {
    return trace::Annotation<T>{{{"stride", {double(params.stride)}},
                                 {"padding", {double(params.padding)}},
                                 {"dilation", {double(params.dilation)}}}, {}};
  });
  return y;
}

}  // namespace ember
