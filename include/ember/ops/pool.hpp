#pragma once
// Pooling of NCHW input: max_pool2d, avg_pool2d and adaptive_avg_pool2d (PyTorch's F.max_pool2d,
// F.avg_pool2d with count_include_pad=True, F.adaptive_avg_pool2d; square windows, floor mode).

#include <cstdint>
#include <memory>

#include "ember/autograd/node.hpp"
#include "ember/kernels/avg_pool.hpp"
#include "ember/kernels/elementwise.hpp"
#include "ember/kernels/pool.hpp"

namespace ember {

namespace detail {

// The checks every fixed-window pooling op makes: NCHW input, positive sizes, padding at most
// half the window, a window that fits in the padded input.
template <class T>
void check_pool_window(const char* op, const Tensor<T>& input, index_t kernel_size, index_t stride, index_t padding) {
  EMBER_CHECK(input.dim() == 4, ShapeError, op, "expected input of shape [N, C, H, W], got ", input.shape());
  EMBER_CHECK(kernel_size >= 1 && stride >= 1, ValueError, op, "expected kernel_size >= 1 and stride >= 1, got ",
              kernel_size, " and ", stride);
  EMBER_CHECK(padding >= 0 && 2 * padding <= kernel_size, ValueError, op,
              "padding should be at most half the kernel size, got padding ", padding, " for kernel ", kernel_size);
  EMBER_CHECK(input.size(2) + 2 * padding >= kernel_size && input.size(3) + 2 * padding >= kernel_size, ShapeError,
              op, "input of shape ", input.shape(), " is smaller than the window ", kernel_size, "x", kernel_size,
              " (padding ", padding, ")");
}

// The settings a traced pooling op names.
template <class T>
trace::Annotation<T> window_annotation(index_t kernel_size, index_t stride, index_t padding) {
  return {{{"kernel_size", {double(kernel_size)}}, {"stride", {double(stride)}}, {"padding", {double(padding)}}}, {}};
}

}  // namespace detail

// stride 0 means stride = kernel_size, PyTorch's default.
template <class T>
Tensor<T> max_pool2d(const Tensor<T>& input, index_t kernel_size, index_t stride = 0, index_t padding = 0) {
  if (stride == 0) stride = kernel_size;
  detail::check_pool_window("max_pool2d", input, kernel_size, stride, padding);
  kernels::PoolShape s{input.size(0) * input.size(1), input.size(2), input.size(3), kernel_size, stride, padding};
  Tensor<T> x = kernels::make_contiguous(input);
  Tensor<T> out = Tensor<T>::uninitialized(Shape{input.size(0), input.size(1), s.out_h(), s.out_w()});
  // The window indices only when a backward will read them. Written in full by the kernel:
  // no zero-filling (new[] leaves ints uninitialised).
  const bool backward_follows = GradMode::is_enabled() && input.requires_grad();
  std::shared_ptr<std::int32_t[]> argmax(backward_follows ? new std::int32_t[static_cast<std::size_t>(out.numel())]
                                                          : nullptr);
  kernels::max_pool2d_forward(x.data(), out.data(), argmax.get(), s);
  Shape in_shape = input.shape();
  Tensor<T> y = record<T>("max_pool2d", out, {input}, [argmax, s, in_shape](const Tensor<T>& g, const Node<T>&) {
    Tensor<T> dy = kernels::make_contiguous(g), dx = Tensor<T>::uninitialized(in_shape);  // the kernel zeroes it
    kernels::max_pool2d_backward(dy.data(), argmax.get(), dx.data(), s);
    return std::vector<Tensor<T>>{dx};
  });
  trace::annotate(y, [&] { return detail::window_annotation<T>(kernel_size, stride, padding); });
  return y;
}

namespace detail {

template <class T>
Tensor<T> avg_pool_op(const char* op, const Tensor<T>& input, const kernels::AvgPoolPlan& plan) {
  Tensor<T> x = kernels::make_contiguous(input);
  Tensor<T> out = Tensor<T>::uninitialized(Shape{input.size(0), input.size(1), plan.out_h(), plan.out_w()});
  kernels::avg_pool2d_forward(x.data(), out.data(), plan);
  Shape in_shape = input.shape();
  return record<T>(op, out, {input}, [plan, in_shape](const Tensor<T>& g, const Node<T>&) {
    Tensor<T> dy = kernels::make_contiguous(g), dx = Tensor<T>::uninitialized(in_shape);  // written in full
    kernels::avg_pool2d_backward(dy.data(), dx.data(), plan);
    return std::vector<Tensor<T>>{dx};
  });
}

}  // namespace detail

// Mean of each kernel_size x kernel_size window, every `stride` (0: = kernel_size), over the
// input padded with `padding` zeros that count in the mean. Input [N, C, H, W] ->
// [N, C, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1]. Throws ShapeError for other ranks or an
// input smaller than the window, ValueError for bad settings (padding above half the kernel).
template <class T>
Tensor<T> avg_pool2d(const Tensor<T>& input, index_t kernel_size, index_t stride = 0, index_t padding = 0) {
  const char* op = "avg_pool2d";
  if (stride == 0) stride = kernel_size;
  detail::check_pool_window(op, input, kernel_size, stride, padding);
  Tensor<T> y = detail::avg_pool_op(op, input, kernels::fixed_windows(input.size(0) * input.size(1), input.size(2),
                                                                      input.size(3), kernel_size, stride, padding));
  trace::annotate(y, [&] { return detail::window_annotation<T>(kernel_size, stride, padding); });
  return y;
}

// Averages [N, C, H, W] down to [N, C, out_h, out_w] with PyTorch's adaptive windows (output i
// covers rows floor(i H / out_h) to ceil((i + 1) H / out_h)); (1, 1) is global average pooling.
// Throws ShapeError for other ranks or an empty input plane, ValueError for output sizes < 1.
template <class T>
Tensor<T> adaptive_avg_pool2d(const Tensor<T>& input, index_t out_h, index_t out_w) {
  const char* op = "adaptive_avg_pool2d";
  EMBER_CHECK(input.dim() == 4, ShapeError, op, "expected input of shape [N, C, H, W], got ", input.shape());
  EMBER_CHECK(out_h >= 1 && out_w >= 1, ValueError, op, "expected an output size of at least 1x1, got ", out_h, "x",
              out_w);
  EMBER_CHECK(input.size(2) >= 1 && input.size(3) >= 1, ShapeError, op, "expected a non-empty plane, got input of shape ",
              input.shape());
  Tensor<T> y = detail::avg_pool_op(
      op, input, kernels::adaptive_windows(input.size(0) * input.size(1), input.size(2), input.size(3), out_h, out_w));
  trace::annotate(y, [&] { return trace::Annotation<T>{{{"output_size", {double(out_h), double(out_w)}}}, {}}; });
  return y;
}

}  // namespace ember
