#pragma once
// softmax and log_softmax along one dimension, each with a fused backward.
//
// Both walk the input as contiguous [outer, n, inner] (kernels::DimSplit): every (outer, inner)
// pair is one "line" of n values spaced `inner` apart, normalised on its own. Lines are shifted
// by their maximum before exp(), so logits of any magnitude give finite results.

#include <cmath>
#include <type_traits>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/kernels/elementwise.hpp"

namespace ember {
namespace detail {

// float lines accumulate their sums in double: a long line of small terms stays accurate.
template <class T>
using SoftmaxAcc = std::conditional_t<std::is_same_v<T, float>, double, T>;

// The statistics of one line: softmax_j = exp(x_j - shift) / sum.
template <class T>
struct ExpSum {
  T shift;  // the line's maximum
  T sum;    // sum of exp(x_j - shift), in [1, n] for finite x
};

// shift and sum for the n values x[0], x[step], ..., x[(n - 1) * step]; n must be > 0.
template <class T>
ExpSum<T> exp_sum(const T* x, index_t n, index_t step) {
  T shift = x[0];
  for (index_t j = 1; j < n; ++j)
    if (x[j * step] > shift) shift = x[j * step];
  // An infinite maximum cannot be subtracted (inf - inf = NaN for every element); shifting by 0
  // instead gives PyTorch's results: NaN where x = +inf, 0 elsewhere, NaN for all -inf.
  if (std::isinf(shift)) shift = T(0);
  SoftmaxAcc<T> sum = 0;
  for (index_t j = 0; j < n; ++j) sum += std::exp(x[j * step] - shift);
  return {shift, static_cast<T>(sum)};
}

// Calls fn(offset of the line's first element) for every line of a contiguous tensor split by s.
template <class Fn>
void for_each_line(const kernels::DimSplit& s, Fn fn) {
  if (s.n == 0) return;  // lines without elements: nothing to read or write
  for (index_t o = 0; o < s.outer; ++o)
    for (index_t i = 0; i < s.inner; ++i) fn(o * s.n * s.inner + i);
}

// Sum of a[j] * b[j] over one line (the reduction both backward rules need).
template <class T>
T line_dot(const T* a, const T* b, index_t n, index_t step) {
  SoftmaxAcc<T> acc = 0;
  for (index_t j = 0; j < n; ++j) acc += SoftmaxAcc<T>(a[j * step]) * SoftmaxAcc<T>(b[j * step]);
  return static_cast<T>(acc);
}

template <class T>
T line_sum(const T* a, index_t n, index_t step) {
  SoftmaxAcc<T> acc = 0;
  for (index_t j = 0; j < n; ++j) acc += a[j * step];
  return static_cast<T>(acc);
}

}  // namespace detail

// exp(x) / sum(exp(x)) along `dim` (negative counts from the end). Backward: g*y - y*sum(g*y).
template <class T>
Tensor<T> softmax(const Tensor<T>& x, int dim) {
  static_assert(std::is_floating_point_v<T>, "softmax: T must be float or double");
  dim = x.shape().normalize_dim(dim, "softmax");
  const kernels::DimSplit s(x.shape(), dim);
  const Tensor<T> xc = kernels::make_contiguous(x);
  Tensor<T> out = Tensor<T>::uninitialized(x.shape());
  const T* px = xc.data();
  T* py = out.data();
  detail::for_each_line(s, [&](index_t start) {
    const detail::ExpSum<T> e = detail::exp_sum(px + start, s.n, s.inner);
    const T inv = T(1) / e.sum;
    for (index_t j = 0, k = start; j < s.n; ++j, k += s.inner) py[k] = std::exp(px[k] - e.shift) * inv;
  });
  Tensor<T> y0 = out.detach();
  Tensor<T> y = record<T>("softmax", out, {x}, [y0, s](const Tensor<T>& g, const Node<T>&) {
    const Tensor<T> gc = kernels::make_contiguous(g);
    Tensor<T> gx = Tensor<T>::uninitialized(y0.shape());
    const T *pg = gc.data(), *py = y0.data();
    T* pgx = gx.data();
    detail::for_each_line(s, [&](index_t start) {
      const T dot = detail::line_dot(pg + start, py + start, s.n, s.inner);
      for (index_t j = 0, k = start; j < s.n; ++j, k += s.inner) pgx[k] = py[k] * (pg[k] - dot);
    });
    return std::vector<Tensor<T>>{gx};
  });
  trace::annotate(y, [&] { return trace::Annotation<T>{{{"dim", {double(dim)}}}, {}}; });
  return y;
}

// x - log(sum(exp(x))) along `dim`, computed as (x - max) - log(sum(exp(x - max))) so that no
// exp() overflows and no precision is lost to a large logsumexp. Backward: g - softmax*sum(g).
template <class T>
Tensor<T> log_softmax(const Tensor<T>& x, int dim) {
  static_assert(std::is_floating_point_v<T>, "log_softmax: T must be float or double");
  dim = x.shape().normalize_dim(dim, "log_softmax");
  const kernels::DimSplit s(x.shape(), dim);
  const Tensor<T> xc = kernels::make_contiguous(x);
  Tensor<T> out = Tensor<T>::uninitialized(x.shape());
  const T* px = xc.data();
  T* py = out.data();
  detail::for_each_line(s, [&](index_t start) {
    const detail::ExpSum<T> e = detail::exp_sum(px + start, s.n, s.inner);
    const T log_sum = std::log(e.sum);
    for (index_t j = 0, k = start; j < s.n; ++j, k += s.inner) py[k] = (px[k] - e.shift) - log_sum;
  });
  Tensor<T> y0 = out.detach();
  Tensor<T> y = record<T>("log_softmax", out, {x}, [y0, s](const Tensor<T>& g, const Node<T>&) {
    const Tensor<T> gc = kernels::make_contiguous(g);
    Tensor<T> gx = Tensor<T>::uninitialized(y0.shape());
    const T *pg = gc.data(), *py = y0.data();
    T* pgx = gx.data();
    detail::for_each_line(s, [&](index_t start) {
      const T total = detail::line_sum(pg + start, s.n, s.inner);
      for (index_t j = 0, k = start; j < s.n; ++j, k += s.inner) pgx[k] = pg[k] - std::exp(py[k]) * total;
    });
    return std::vector<Tensor<T>>{gx};
  });
  trace::annotate(y, [&] { return trace::Annotation<T>{{{"dim", {double(dim)}}}, {}}; });
  return y;
}

}  // namespace ember
