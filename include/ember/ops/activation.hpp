#pragma once
// Activations, as PyTorch's F.relu, F.leaky_relu, F.gelu (exact, with erf), F.silu,
// torch.sigmoid and torch.tanh. Each returns a new tensor of the input's shape (any strides
// in); NaN passes through.

#include <cmath>

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

namespace detail {

// y = f(x), recorded with dx = dy * df(x, y). Saves x only when df reads it.
template <class T, class F, class DF>
Tensor<T> activation(const char* name, const Tensor<T>& input, F f, DF df) {
  const Tensor<T> x = kernels::make_contiguous(input).detach();
  Tensor<T> out = Tensor<T>::uninitialized(input.shape());
  kernels::map_forward(x.data(), out.data(), out.numel(), f);
  const Tensor<T> y = out.detach();  // never capture out itself (a cycle)
  return record<T>(name, out, {input}, [x, y, df](const Tensor<T>& g, const Node<T>&) {
    const Tensor<T> dy = kernels::make_contiguous(g);
    Tensor<T> dx = Tensor<T>::uninitialized(y.shape());
    kernels::map_backward(x.data(), y.data(), dy.data(), dx.data(), y.numel(), df);
    return std::vector<Tensor<T>>{dx};
  });
}

}  // namespace detail

// x for x > 0, negative_slope * x otherwise (the gradient at 0 is negative_slope, as PyTorch).
template <class T>
Tensor<T> leaky_relu(const Tensor<T>& input, double negative_slope = 0.01) {
  const T a = static_cast<T>(negative_slope);
  Tensor<T> y = detail::activation(
      "leaky_relu", input, [a](T v) { return v > T(0) ? v : v * a; },
      [a](T v, T) { return v > T(0) ? T(1) : a; });
  trace::annotate(y, [&] { return trace::Annotation<T>{{{"negative_slope", {negative_slope}}}, {}}; });
  return y;
}

// 1 / (1 + exp(-x)), computed without overflow for large |x|.
template <class T>
Tensor<T> sigmoid(const Tensor<T>& input) {
  return detail::activation(
      "sigmoid", input,
      [](T v) {
        if (v >= T(0)) return T(1) / (T(1) + std::exp(-v));
        const T e = std::exp(v);
        return e / (T(1) + e);
      },
      [](T, T s) { return s * (T(1) - s); });
}

template <class T>
Tensor<T> tanh(const Tensor<T>& input) {
  return detail::activation(
      "tanh", input, [](T v) { return std::tanh(v); }, [](T, T y) { return T(1) - y * y; });
}

// x * sigmoid(x); derivative s (1 + x (1 - s)).
template <class T>
Tensor<T> silu(const Tensor<T>& input) {
  auto logistic = [](T v) { return v >= T(0) ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v)); };
  return detail::activation(
      "silu", input, [logistic](T v) { return v * logistic(v); },
      [logistic](T v, T) {
        const T s = logistic(v);
        return s * (T(1) + v * (T(1) - s));
      });
}

// x * Phi(x) with the exact normal CDF Phi(x) = (1 + erf(x / sqrt 2)) / 2 (PyTorch's default,
// approximate='none'); derivative Phi(x) + x phi(x).
template <class T>
Tensor<T> gelu(const Tensor<T>& input) {
  constexpr double kInvSqrt2 = 0.70710678118654752440, kInvSqrt2Pi = 0.39894228040143267794;
  return detail::activation(
      "gelu", input, [](T v) { return v * T(0.5) * (T(1) + std::erf(v * T(kInvSqrt2))); },
      [](T v, T) {
        const T cdf = T(0.5) * (T(1) + std::erf(v * T(kInvSqrt2)));
        return cdf + v * T(kInvSqrt2Pi) * std::exp(T(-0.5) * v * v);
      });
}

}  // namespace ember
