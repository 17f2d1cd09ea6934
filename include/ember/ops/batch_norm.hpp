#pragma once
// batch_norm: PyTorch's F.batch_norm over dimension 1 of [N, C, ...] input, one graph node with
// a fused backward (input, weight and bias gradients from two passes over the data).

#include <cmath>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/kernels/batch_norm.hpp"
#include "ember/kernels/elementwise.hpp"

namespace ember {

struct BatchNormOptions {
  double momentum = 0.1, eps = 1e-5;
};

namespace detail {

template <class T>
void check_channel_vector(const char* op, const char* name, const Tensor<T>& t, const Tensor<T>& input) {
  EMBER_CHECK(!t.defined() || t.shape() == Shape{input.size(1)}, ShapeError, op, "expected ", name, " of shape [",
              input.size(1), "] for input of shape ", input.shape(), ", got ",
              t.defined() ? t.shape().to_string() : std::string());
}

template <class T>
kernels::BatchNormShape batch_norm_shape(const Tensor<T>& input) {
  index_t plane = 1;
  for (int d = 2; d < input.dim(); ++d) plane *= input.size(d);
  return {input.size(0), input.size(1), plane};
}

}  // namespace detail

// Normalises each channel c of input [N, C, ...]:
//   y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c.
// training: mean and (biased) variance of the batch; running_mean and running_var, when given,
// are updated in place: r = (1 - momentum) r + momentum s, with the unbiased variance for
// running_var (as PyTorch). Otherwise the running statistics are used (they must be given).
// weight and bias ([C]) may be undefined (no affine transform). Returns a new tensor of the
// input's shape. Throws ShapeError for input of rank < 2 or vectors not of shape [C], ValueError
// for a batch with one value per channel in training, or eval without running statistics.
template <class T>
Tensor<T> batch_norm(const Tensor<T>& input, Tensor<T> running_mean, Tensor<T> running_var,
                     const Tensor<T>& weight, const Tensor<T>& bias, bool training, BatchNormOptions options = {}) {
  const char* op = "batch_norm";
  EMBER_CHECK(input.dim() >= 2, ShapeError, op, "expected input of shape [N, C, ...], got ", input.shape());
  for (auto [name, t] : {std::pair<const char*, const Tensor<T>*>{"weight", &weight}, {"bias", &bias},
                         {"running_mean", &running_mean}, {"running_var", &running_var}})
    detail::check_channel_vector(op, name, *t, input);
  EMBER_CHECK(options.eps > 0 && options.momentum >= 0 && options.momentum <= 1, ValueError, op,
              "expected eps > 0 and momentum in [0, 1], got eps ", options.eps, " and momentum ", options.momentum);
  const kernels::BatchNormShape s = detail::batch_norm_shape(input);
  const auto channels = static_cast<std::size_t>(s.channels);
  const index_t count = s.per_channel();
  EMBER_CHECK(!training || count > 1, ValueError, op,
              "expected more than 1 value per channel when training, got input of shape ", input.shape());
  EMBER_CHECK(training || (running_mean.defined() && running_var.defined()), ValueError, op,
              "running_mean and running_var are needed in eval mode");

  const Tensor<T> x = kernels::make_contiguous(input).detach();
  Tensor<T> mean = Tensor<T>::uninitialized(Shape{s.channels}), invstd = Tensor<T>::uninitialized(Shape{s.channels});
  if (training) {
    Tensor<T> variance = Tensor<T>::uninitialized(Shape{s.channels});
    kernels::batch_norm_statistics(x.data(), s, mean.data(), variance.data());
    for (std::size_t c = 0; c < channels; ++c)
      invstd.data()[c] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(variance.data()[c]) + options.eps));
    if (running_mean.defined()) {
      const T m = static_cast<T>(options.momentum), unbias = static_cast<T>(static_cast<double>(count) / (count - 1));
      const Tensor<T> rm = kernels::make_contiguous(running_mean), rv = kernels::make_contiguous(running_var);
      NoGradGuard no_grad;  // buffers: written in place, never part of a graph
      for (index_t c = 0; c < s.channels; ++c) {
        running_mean.data()[c * running_mean.strides()[0]] =
            (T(1) - m) * rm.data()[c] + m * mean.data()[c];
        running_var.data()[c * running_var.strides()[0]] = (T(1) - m) * rv.data()[c] + m * variance.data()[c] * unbias;
      }
    }
  } else {
    const Tensor<T> rm = kernels::make_contiguous(running_mean), rv = kernels::make_contiguous(running_var);
    for (std::size_t c = 0; c < channels; ++c) {
      mean.data()[c] = rm.data()[c];
      invstd.data()[c] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(rv.data()[c]) + options.eps));
    }
  }
  const Tensor<T> w = weight.defined() ? kernels::make_contiguous(weight).detach() : Tensor<T>();
  const Tensor<T> b = bias.defined() ? kernels::make_contiguous(bias).detach() : Tensor<T>();
  std::vector<T> scale(channels), shift(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    scale[c] = (w.defined() ? w.data()[c] : T(1)) * invstd.data()[c];
    shift[c] = (b.defined() ? b.data()[c] : T(0)) - mean.data()[c] * scale[c];
  }
  Tensor<T> out = Tensor<T>::uninitialized(input.shape());
  kernels::batch_norm_apply(x.data(), s, scale.data(), shift.data(), out.data());

  std::vector<Tensor<T>> inputs{input};
  if (weight.defined()) inputs.push_back(weight);
  if (bias.defined()) inputs.push_back(bias);
  const bool has_weight = weight.defined(), has_bias = bias.defined();
  Tensor<T> y = record<T>(op, out, inputs,
                   [x, w, mean, invstd, s, training, has_weight, has_bias](const Tensor<T>& g, const Node<T>& self) {
                     const Tensor<T> dy = kernels::make_contiguous(g);
                     Tensor<T> dx, dw, db;
                     if (self.needs_grad(0)) dx = Tensor<T>::uninitialized(x.shape());
                     if (has_weight && self.needs_grad(1)) dw = Tensor<T>::uninitialized(Shape{s.channels});
                     const std::size_t bias_index = has_weight ? 2 : 1;
                     if (has_bias && self.needs_grad(bias_index)) db = Tensor<T>::uninitialized(Shape{s.channels});
                     kernels::batch_norm_backward(x.data(), dy.data(), s, mean.data(), invstd.data(),
                                                  has_weight ? w.data() : nullptr, training,
                                                  dx.defined() ? dx.data() : nullptr, dw.defined() ? dw.data() : nullptr,
                                                  db.defined() ? db.data() : nullptr);
                     std::vector<Tensor<T>> grads{dx};
                     if (has_weight) grads.push_back(dw);
                     if (has_bias) grads.push_back(db);
                     return grads;
                   });
  trace::annotate(y, [&] {
    return trace::Annotation<T>{{{"training", {training ? 1.0 : 0.0}},
                                 {"eps", {options.eps}},
                                 {"momentum", {options.momentum}},
                                 {"has_weight", {has_weight ? 1.0 : 0.0}},
                                 {"has_bias", {has_bias ? 1.0 : 0.0}}},
                                {running_mean, running_var}};
  });
  return y;
}

}  // namespace ember
