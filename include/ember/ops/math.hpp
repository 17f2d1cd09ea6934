#pragma once
// Element-wise functions: exp, log, pow (and scalar / tensor, built on pow).

#include <cmath>

#include "ember/ops/arithmetic.hpp"

namespace ember {

template <class T>
Tensor<T> exp(const Tensor<T>& a) {
  Tensor<T> out = map(a, [](T x) { return std::exp(x); });
  Tensor<T> out0 = out.detach();
  return record<T>("exp", out, {a}, [out0](const Tensor<T>& g, const Node<T>&) {  // d exp(x) = exp(x)
    return std::vector<Tensor<T>>{detail::broadcast_binary("exp", g, out0, [](T x, T y) { return x * y; })};
  });
}

// Natural logarithm; log(0) = -inf and log(x < 0) = NaN, as in PyTorch.
template <class T>
Tensor<T> log(const Tensor<T>& a) {
  Tensor<T> out = map(a, [](T x) { return std::log(x); });
  Tensor<T> a0 = a.detach();
  return record<T>("log", out, {a}, [a0](const Tensor<T>& g, const Node<T>&) {  // d log(x) = 1/x
    return std::vector<Tensor<T>>{detail::broadcast_binary("log", g, a0, [](T x, T y) { return x / y; })};
  });
}

// a ** exponent, element-wise.
template <class T>
Tensor<T> pow(const Tensor<T>& a, double exponent) {
  const T p = static_cast<T>(exponent);
  Tensor<T> out = map(a, [p](T x) { return std::pow(x, p); });
  Tensor<T> a0 = a.detach();
  Tensor<T> y = record<T>("pow", out, {a}, [a0, p](const Tensor<T>& g, const Node<T>&) {
    // d x^p = p x^(p-1); p = 0 has zero gradient everywhere (avoids 0 * inf at x = 0).
    auto rule = [p](T gx, T x) { return p == T(0) ? T(0) : gx * p * std::pow(x, p - T(1)); };
    return std::vector<Tensor<T>>{detail::broadcast_binary("pow", g, a0, rule)};
  });
  trace::annotate(y, [&] { return trace::Annotation<T>{{{"exponent", {exponent}}}, {}}; });
  return y;
}

template <class T>
Tensor<T> operator/(double s, const Tensor<T>& a) {
  return mul_scalar(pow(a, -1.0), static_cast<T>(s));
}

}  // namespace ember
