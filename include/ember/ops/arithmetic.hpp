#pragma once
// +, -, *, / between tensors (NumPy broadcasting) and with scalars, and negation.
// Each backward sums the gradient back over broadcast dimensions (kernels::sum_to).

#include "ember/autograd/node.hpp"
#include "ember/kernels/elementwise.hpp"
#include "ember/ops/map.hpp"

namespace ember {
namespace detail {

// out = f(a, b) with broadcasting; op names the operation in shape errors.
template <class T, class F>
Tensor<T> broadcast_binary(const char* op, const Tensor<T>& a, const Tensor<T>& b, F f) {
  Tensor<T> out = Tensor<T>::uninitialized(broadcast_shapes(a.shape(), b.shape(), op));
  kernels::binary(a, b, out, f);
  return out;
}

}  // namespace detail

template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> out = detail::broadcast_binary("add", a, b, [](T x, T y) { return x + y; });
  Shape sa = a.shape(), sb = b.shape();
  return record<T>("add", out, {a, b}, [sa, sb](const Tensor<T>& g, const Node<T>&) {
    return std::vector<Tensor<T>>{kernels::sum_to(g, sa), kernels::sum_to(g, sb)};
  });
}

template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> out = detail::broadcast_binary("sub", a, b, [](T x, T y) { return x - y; });
  Shape sa = a.shape(), sb = b.shape();
  return record<T>("sub", out, {a, b}, [sa, sb](const Tensor<T>& g, const Node<T>& self) {
    Tensor<T> gb;
    if (self.needs_grad(1)) gb = kernels::sum_to(map(g, [](T x) { return -x; }), sb);
    return std::vector<Tensor<T>>{kernels::sum_to(g, sa), gb};
  });
}

template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> out = detail::broadcast_binary("mul", a, b, [](T x, T y) { return x * y; });
  Tensor<T> a0 = a.detach(), b0 = b.detach();
  return record<T>("mul", out, {a, b}, [a0, b0](const Tensor<T>& g, const Node<T>& self) {
    auto times = [](T x, T y) { return x * y; };
    Tensor<T> ga, gb;
    if (self.needs_grad(0)) ga = kernels::sum_to(detail::broadcast_binary("mul", g, b0, times), a0.shape());
    if (self.needs_grad(1)) gb = kernels::sum_to(detail::broadcast_binary("mul", g, a0, times), b0.shape());
    return std::vector<Tensor<T>>{ga, gb};
  });
}

template <class T>
Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b) {
  Tensor<T> out = detail::broadcast_binary("div", a, b, [](T x, T y) { return x / y; });
  Tensor<T> b0 = b.detach(), out0 = out.detach();
  Shape sa = a.shape();
  return record<T>("div", out, {a, b}, [b0, out0, sa](const Tensor<T>& g, const Node<T>& self) {
    Tensor<T> ga, gb;
    if (self.needs_grad(0))  // d(a/b)/da = 1/b
      ga = kernels::sum_to(detail::broadcast_binary("div", g, b0, [](T x, T y) { return x / y; }), sa);
    if (self.needs_grad(1)) {  // d(a/b)/db = -(a/b)/b
      Tensor<T> q = detail::broadcast_binary("div", g, b0, [](T x, T y) { return -x / y; });
      gb = kernels::sum_to(detail::broadcast_binary("div", q, out0, [](T x, T y) { return x * y; }), b0.shape());
    }
    return std::vector<Tensor<T>>{ga, gb};
  });
}

template <class T>
Tensor<T> add_scalar(const Tensor<T>& a, T s) {
  Tensor<T> out = map(a, [s](T x) { return x + s; });
  Tensor<T> y = record<T>("add_scalar", out, {a}, [](const Tensor<T>& g, const Node<T>&) {
    return std::vector<Tensor<T>>{g};
  });
  trace::annotate(y, [&] { return trace::Annotation<T>{{{"scalar", {double(s)}}}, {}}; });
  return y;
}

template <class T>
Tensor<T> mul_scalar(const Tensor<T>& a, T s) {
  Tensor<T> out = map(a, [s](T x) { return x * s; });
  Tensor<T> y = record<T>("mul_scalar", out, {a}, [s](const Tensor<T>& g, const Node<T>&) {
    return std::vector<Tensor<T>>{map(g, [s](T x) { return x * s; })};
  });
  trace::annotate(y, [&] { return trace::Annotation<T>{{{"scalar", {double(s)}}}, {}}; });
  return y;
}

template <class T>
Tensor<T> neg(const Tensor<T>& a) {
  Tensor<T> out = map(a, [](T x) { return -x; });
  return record<T>("neg", out, {a}, [](const Tensor<T>& g, const Node<T>&) {
    return std::vector<Tensor<T>>{map(g, [](T x) { return -x; })};
  });
}

// Operators. Scalars of any arithmetic type convert to the tensor's element type.
template <class T> Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) { return add(a, b); }
template <class T> Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) { return sub(a, b); }
template <class T> Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) { return mul(a, b); }
template <class T> Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b) { return div(a, b); }
template <class T> Tensor<T> operator-(const Tensor<T>& a) { return neg(a); }

template <class T> Tensor<T> operator+(const Tensor<T>& a, double s) { return add_scalar(a, static_cast<T>(s)); }
template <class T> Tensor<T> operator+(double s, const Tensor<T>& a) { return add_scalar(a, static_cast<T>(s)); }
template <class T> Tensor<T> operator-(const Tensor<T>& a, double s) { return add_scalar(a, static_cast<T>(-s)); }
template <class T> Tensor<T> operator-(double s, const Tensor<T>& a) { return add_scalar(neg(a), static_cast<T>(s)); }
template <class T> Tensor<T> operator*(const Tensor<T>& a, double s) { return mul_scalar(a, static_cast<T>(s)); }
template <class T> Tensor<T> operator*(double s, const Tensor<T>& a) { return mul_scalar(a, static_cast<T>(s)); }
// Division by the scalar 0 gives inf/NaN, as in PyTorch.
template <class T> Tensor<T> operator/(const Tensor<T>& a, double s) { return mul_scalar(a, static_cast<T>(1.0 / s)); }

}  // namespace ember
