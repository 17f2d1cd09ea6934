#pragma once
// Element-wise and reduction kernels on strided data, with NumPy broadcasting.
// Raw math: no autograd. Outputs are always new contiguous tensors (or given ones).

#include <cmath>
#include <limits>

#include "ember/core/shape.hpp"
#include "ember/core/tensor.hpp"

namespace ember::kernels {

namespace detail {

// Dimensions and strides of `t` as seen from a rank-4 output of shape `out` (right-aligned);
// broadcast dimensions get stride 0.
template <class T>
void broadcast_strides(const Tensor<T>& t, const Shape& out, index_t strides[4]) {
  for (int d = 0; d < 4; ++d) strides[d] = 0;
  for (int d = 0; d < t.dim(); ++d) {
    int od = 4 - t.dim() + d;
    strides[od] = t.shape()[d] == 1 && out[out.rank() - t.dim() + d] != 1 ? 0 : t.strides()[d];
  }
}

inline void padded_dims(const Shape& s, index_t dims[4]) {
  for (int d = 0; d < 4; ++d) dims[d] = 1;
  for (int d = 0; d < s.rank(); ++d) dims[4 - s.rank() + d] = s[d];
}

}  // namespace detail

// out = f(a, b) element-wise, with a and b broadcast to out.shape(). out must be contiguous.
template <class T, class F>
void binary(const Tensor<T>& a, const Tensor<T>& b, Tensor<T>& out, F f) {
  const T* pa = a.impl_ptr()->storage->data();
  const T* pb = b.impl_ptr()->storage->data();
  T* po = out.data();
  if (a.shape() == out.shape() && b.shape() == out.shape() && a.is_contiguous() && b.is_contiguous()) {
    pa += a.offset();
    pb += b.offset();
    for (index_t i = 0, n = out.numel(); i < n; ++i) po[i] = f(pa[i], pb[i]);
    return;
  }
  index_t dims[4], sa[4], sb[4];
  detail::padded_dims(out.shape(), dims);
  detail::broadcast_strides(a, out.shape(), sa);
  detail::broadcast_strides(b, out.shape(), sb);
  for (index_t i0 = 0; i0 < dims[0]; ++i0)
    for (index_t i1 = 0; i1 < dims[1]; ++i1)
      for (index_t i2 = 0; i2 < dims[2]; ++i2) {
        const T* ra = pa + a.offset() + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
        const T* rb = pb + b.offset() + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
        for (index_t i3 = 0; i3 < dims[3]; ++i3) *po++ = f(ra[i3 * sa[3]], rb[i3 * sb[3]]);
      }
}

// out = f(a) element-wise with a broadcast to out.shape() (covers copies and expands).
template <class T, class F>
void unary(const Tensor<T>& a, Tensor<T>& out, F f) {
  binary(a, a, out, [&f](T x, T) { return f(x); });
}

// A contiguous copy of any strided tensor.
template <class T>
Tensor<T> copy(const Tensor<T>& a) {
  Tensor<T> out = Tensor<T>::uninitialized(a.shape());
  unary(a, out, [](T x) { return x; });
  return out;
}

// a itself when contiguous, else a contiguous copy.
template <class T>
Tensor<T> make_contiguous(const Tensor<T>& a) {
  return a.is_contiguous() ? a : copy(a);
}

// dst += src element-wise; dst contiguous, src any strides, same shape.
template <class T>
void add_into(Tensor<T>& dst, const Tensor<T>& src) {
  binary(dst, src, dst, [](T x, T y) { return x + y; });
}

// Sum of all elements of a contiguous tensor; float sums accumulate in double.
template <class T>
T sum_all(const Tensor<T>& a) {
  using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;
  return static_cast<T>(a.eigen().template cast<Acc>().sum());
}

// A contiguous tensor seen as [outer, n, inner] around dimension `dim`.
struct DimSplit {
  index_t outer = 1, n = 1, inner = 1;
  DimSplit(const Shape& s, int dim) {
    for (int d = 0; d < s.rank(); ++d) (d < dim ? outer : d == dim ? n : inner) *= s[d];
  }
};

// out[o, i] = sum_j a[o, j, i] for contiguous a; out has outer*inner elements.
template <class T>
void sum_dim(const Tensor<T>& a, int dim, Tensor<T>& out) {
  DimSplit s(a.shape(), dim);
  const T* pa = a.data();
  T* po = out.data();
  std::fill(po, po + s.outer * s.inner, T(0));
  for (index_t o = 0; o < s.outer; ++o)
    for (index_t j = 0; j < s.n; ++j) {
      const T* row = pa + (o * s.n + j) * s.inner;
      T* acc = po + o * s.inner;
      for (index_t i = 0; i < s.inner; ++i) acc[i] += row[i];
    }
}

// Max over `dim` of contiguous a: values and the index of the first maximum.
// NaN counts as the largest value so that it propagates, as in PyTorch.
template <class T>
void max_dim(const Tensor<T>& a, int dim, Tensor<T>& values, Tensor<std::int64_t>& indices) {
  DimSplit s(a.shape(), dim);
  const T* pa = a.data();
  for (index_t o = 0; o < s.outer; ++o)
    for (index_t i = 0; i < s.inner; ++i) {
      const T* first = pa + o * s.n * s.inner + i;
      T best = first[0];
      index_t best_j = 0;
      for (index_t j = 1; j < s.n && !std::isnan(static_cast<double>(best)); ++j) {
        T v = first[j * s.inner];
        if (v > best || std::isnan(static_cast<double>(v))) {
          best = v;
          best_j = j;
        }
      }
      values.data()[o * s.inner + i] = best;
      indices.data()[o * s.inner + i] = best_j;
    }
}

}  // namespace ember::kernels

namespace ember::kernels {

// Sums g over the dimensions that broadcasting expanded, giving a tensor of `shape`
// (the backward of broadcasting). Returns g itself when nothing was broadcast.
template <class T>
Tensor<T> sum_to(const Tensor<T>& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  Tensor<T> acc = make_contiguous(g);
  const int extra = g.dim() - shape.rank();
  for (int d = 0; d < g.dim(); ++d) {
    const bool broadcast = d < extra || (shape[d - extra] == 1 && g.shape()[d] != 1);
    if (!broadcast) continue;
    Shape kept = acc.shape();
    kept[d] = 1;
    Tensor<T> reduced = Tensor<T>::zeros(kept);
    sum_dim(acc, d, reduced);
    acc = reduced;
  }
  // Same elements in the same order; only the leading 1s differ.
  auto impl = std::make_shared<ember::detail::TensorImpl<T>>(*acc.impl_ptr());
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  return Tensor<T>(impl);
}

}  // namespace ember::kernels
