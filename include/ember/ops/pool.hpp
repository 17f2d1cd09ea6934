#pragma once
// max_pool2d on NCHW input (PyTorch's F.max_pool2d with square windows).

#include <cstdint>
#include <memory>

#include "ember/autograd/node.hpp"
#include "ember/kernels/elementwise.hpp"
#include "ember/kernels/pool.hpp"

namespace ember {

// stride 0 means stride = kernel_size, PyTorch's default.
template <class T>
Tensor<T> max_pool2d(const Tensor<T>& input, index_t kernel_size, index_t stride = 0, index_t padding = 0) {
  const char* op = "max_pool2d";
  if (stride == 0) stride = kernel_size;
  EMBER_CHECK(input.dim() == 4, ShapeError, op, "expected input of shape [N, C, H, W], got ", input.shape());
  EMBER_CHECK(kernel_size >= 1 && stride >= 1, ValueError, op, "expected kernel_size >= 1 and stride >= 1, got ",
              kernel_size, " and ", stride);
  EMBER_CHECK(padding >= 0 && 2 * padding <= kernel_size, ValueError, op,
              "padding should be at most half the kernel size, got padding ", padding, " for kernel ", kernel_size);
  kernels::PoolShape s{input.size(0) * input.size(1), input.size(2), input.size(3), kernel_size, stride, padding};
  EMBER_CHECK(s.height + 2 * padding >= kernel_size && s.width + 2 * padding >= kernel_size, ShapeError, op,
              "input of shape ", input.shape(), " is smaller than the window ", kernel_size, "x", kernel_size,
              " (padding ", padding, ")");
  Tensor<T> x = kernels::make_contiguous(input);
  Tensor<T> out = Tensor<T>::uninitialized(Shape{input.size(0), input.size(1), s.out_h(), s.out_w()});
  // The window indices only when a backward will read them. Written in full by the kernel:
  // no zero-filling (new[] leaves ints uninitialised).
  const bool backward_follows = GradMode::is_enabled() && input.requires_grad();
  std::shared_ptr<std::int32_t[]> argmax(backward_follows ? new std::int32_t[static_cast<std::size_t>(out.numel())]
                                                          : nullptr);
  kernels::max_pool2d_forward(x.data(), out.data(), argmax.get(), s);
  Shape in_shape = input.shape();
  return record<T>("max_pool2d", out, {input}, [argmax, s, in_shape](const Tensor<T>& g, const Node<T>&) {
    Tensor<T> dy = kernels::make_contiguous(g), dx = Tensor<T>::uninitialized(in_shape);  // the kernel zeroes it
    kernels::max_pool2d_backward(dy.data(), argmax.get(), dx.data(), s);
    return std::vector<Tensor<T>>{dx};
  });
}

}  // namespace ember
