#pragma once
// relu (more activations join here as layers need them).

#include "ember/autograd/node.hpp"
#include "ember/kernels/activation.hpp"
#include "ember/kernels/elementwise.hpp"

namespace ember {

template <class T>
Tensor<T> relu(const Tensor<T>& input) {
  Tensor<T> x = kernels::make_contiguous(input), out = Tensor<T>::uninitialized(input.shape());
  kernels::relu_forward(x.data(), out.data(), out.numel());
  Tensor<T> y = out.detach();  // the output alone decides the gradient
  return record<T>("relu", out, {input}, [y](const Tensor<T>& g, const Node<T>&) {
    Tensor<T> dy = kernels::make_contiguous(g), dx = Tensor<T>::uninitialized(y.shape());
    kernels::relu_backward(y.data(), dy.data(), dx.data(), y.numel());
    return std::vector<Tensor<T>>{dx};
  });
}

}  // namespace ember
