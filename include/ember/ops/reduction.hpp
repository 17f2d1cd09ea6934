#pragma once
// Reductions: sum, mean, max over everything or over one dimension, and argmax.

#include "ember/core/factory.hpp"
#include "ember/ops/arithmetic.hpp"
#include "ember/ops/reshape.hpp"

namespace ember {
namespace detail {

// Shape after reducing `dim`: kept as 1 or removed.
inline Shape reduced_shape(const Shape& s, int dim, bool keepdim) {
  std::vector<index_t> dims;
  for (int d = 0; d < s.rank(); ++d) {
    if (d != dim)
      dims.push_back(s[d]);
    else if (keepdim)
      dims.push_back(1);
  }
  return Shape(dims);
}

// g (the gradient of a reduction over `dim`) spread back over `input_shape`.
template <class T>
Tensor<T> expand_reduced(const Tensor<T>& g, const Shape& input_shape, int dim, bool keepdim) {
  Tensor<T> kept = g;
  if (!keepdim && input_shape.rank() > 0) {  // view g with the reduced dimension put back as size 1
    auto impl = std::make_shared<TensorImpl<T>>();
    impl->storage = g.impl_ptr()->storage;
    impl->offset = g.offset();
    impl->shape = reduced_shape(input_shape, dim, true);
    for (int d = 0, src = 0; d < input_shape.rank(); ++d) impl->strides[d] = d == dim ? 0 : g.strides()[src++];
    kept = Tensor<T>(impl);
  }
  Tensor<T> out = Tensor<T>::zeros(input_shape);
  kernels::unary(kept, out, [](T x) { return x; });
  return out;
}

}  // namespace detail

template <class T>
Tensor<T> sum(const Tensor<T>& a) {
  Tensor<T> out = full<T>(Shape{}, kernels::sum_all(kernels::make_contiguous(a)));
  Shape in_shape = a.shape();
  return record<T>("sum", out, {a}, [in_shape](const Tensor<T>& g, const Node<T>&) {
    Tensor<T> spread = Tensor<T>::zeros(in_shape);
    kernels::unary(g, spread, [](T x) { return x; });
    return std::vector<Tensor<T>>{spread};
  });
}

template <class T>
Tensor<T> sum(const Tensor<T>& a, int dim, bool keepdim = false) {
  dim = a.shape().normalize_dim(dim, "sum");
  if (a.dim() == 0) return sum(a);
  Tensor<T> out = Tensor<T>::zeros(detail::reduced_shape(a.shape(), dim, keepdim));
  kernels::sum_dim(kernels::make_contiguous(a), dim, out);
  Shape in_shape = a.shape();
  return record<T>("sum", out, {a}, [in_shape, dim, keepdim](const Tensor<T>& g, const Node<T>&) {
    return std::vector<Tensor<T>>{detail::expand_reduced(g, in_shape, dim, keepdim)};
  });
}

template <class T>
Tensor<T> mean(const Tensor<T>& a) {
  EMBER_CHECK(a.numel() > 0, ValueError, "mean", "mean of an empty tensor (shape ", a.shape(), ")");
  return mul_scalar(sum(a), static_cast<T>(1.0 / static_cast<double>(a.numel())));
}

template <class T>
Tensor<T> mean(const Tensor<T>& a, int dim, bool keepdim = false) {
  int d = a.shape().normalize_dim(dim, "mean");
  index_t n = a.dim() == 0 ? 1 : a.shape()[d];
  EMBER_CHECK(n > 0, ValueError, "mean", "mean over the empty dimension ", dim, " of shape ", a.shape());
  return mul_scalar(sum(a, dim, keepdim), static_cast<T>(1.0 / static_cast<double>(n)));
}

// Index of the largest value along `dim` (the first one on ties).
template <class T>
Tensor<std::int64_t> argmax(const Tensor<T>& a, int dim, bool keepdim = false) {
  dim = a.shape().normalize_dim(dim, "argmax");
  if (a.dim() == 0) return Tensor<std::int64_t>::zeros(Shape{});
  EMBER_CHECK(a.shape()[dim] > 0, ValueError, "argmax", "empty dimension ", dim, " in shape ", a.shape());
  Shape out_shape = detail::reduced_shape(a.shape(), dim, keepdim);
  Tensor<T> values = Tensor<T>::zeros(out_shape);
  Tensor<std::int64_t> indices = Tensor<std::int64_t>::zeros(out_shape);
  kernels::max_dim(kernels::make_contiguous(a), dim, values, indices);
  return indices;
}

// Largest value along `dim`; the gradient goes to the element argmax picked.
template <class T>
Tensor<T> max(const Tensor<T>& a, int dim, bool keepdim = false) {
  dim = a.shape().normalize_dim(dim, "max");
  if (a.dim() == 0) return add_scalar(a, T(0));
  EMBER_CHECK(a.shape()[dim] > 0, ValueError, "max", "empty dimension ", dim, " in shape ", a.shape());
  Shape out_shape = detail::reduced_shape(a.shape(), dim, keepdim);
  Tensor<T> values = Tensor<T>::zeros(out_shape);
  Tensor<std::int64_t> indices = Tensor<std::int64_t>::zeros(out_shape);
  kernels::max_dim(kernels::make_contiguous(a), dim, values, indices);
  Shape in_shape = a.shape();
  return record<T>("max", values, {a}, [in_shape, dim, indices](const Tensor<T>& g, const Node<T>&) {
    Tensor<T> gc = kernels::make_contiguous(g);
    Tensor<T> grad = Tensor<T>::zeros(in_shape);
    kernels::DimSplit s(in_shape, dim);
    for (index_t o = 0; o < s.outer; ++o)
      for (index_t i = 0; i < s.inner; ++i) {
        index_t j = indices.data()[o * s.inner + i];
        grad.data()[(o * s.n + j) * s.inner + i] = gc.data()[o * s.inner + i];
      }
    return std::vector<Tensor<T>>{grad};
  });
}

// Largest element of the whole tensor; the gradient goes to its first occurrence.
template <class T>
Tensor<T> max(const Tensor<T>& a) {
  EMBER_CHECK(a.numel() > 0, ValueError, "max", "max of an empty tensor (shape ", a.shape(), ")");
  return reshape(max(reshape(a, {-1}), 0), {});
}

}  // namespace ember
