#pragma once
// Shape ops: view, reshape, flatten, transpose, contiguous, clone.
// Views share storage with their input; their backward reshapes the gradient back.

#include <string>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/kernels/elementwise.hpp"

namespace ember {
namespace detail {

// The requested shape with its single -1 (if any) replaced so that numel matches.
inline Shape infer_shape(const char* op, const std::vector<index_t>& requested, const Shape& input) {
  auto describe = [&] {
    std::string s = "[";
    for (std::size_t i = 0; i < requested.size(); ++i) s += (i ? ", " : "") + std::to_string(requested[i]);
    return s + "]";
  };
  std::vector<index_t> dims = requested;
  int infer_at = -1;
  index_t known = 1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      EMBER_CHECK(infer_at < 0, ShapeError, op, "only one dimension can be -1, got ", describe());
      infer_at = static_cast<int>(i);
    } else {
      EMBER_CHECK(dims[i] >= 0, ShapeError, op, "invalid size ", dims[i], " in shape ", describe());
      known *= dims[i];
    }
  }
  if (infer_at >= 0) {
    EMBER_CHECK(known > 0 && input.numel() % known == 0, ShapeError, op, "shape ", describe(),
                " is invalid for input of shape ", input, " (", input.numel(), " elements)");
    dims[static_cast<std::size_t>(infer_at)] = input.numel() / known;
    known *= dims[static_cast<std::size_t>(infer_at)];
  }
  EMBER_CHECK(known == input.numel(), ShapeError, op, "shape ", describe(), " is invalid for input of shape ",
              input, " (", input.numel(), " elements)");
  return Shape(dims);
}

// A view of contiguous data under another shape (no graph).
template <class T>
Tensor<T> view_as_shape(const Tensor<T>& a, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl<T>>();
  impl->storage = a.impl_ptr()->storage;
  impl->offset = a.offset();
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  return Tensor<T>(impl);
}

}  // namespace detail

// Same data under a new shape; the tensor must be contiguous (see reshape otherwise).
template <class T>
Tensor<T> view(const Tensor<T>& a, const std::vector<index_t>& shape) {
  Shape target = detail::infer_shape("view", shape, a.shape());
  EMBER_CHECK(a.is_contiguous(), ShapeError, "view", "input of shape ", a.shape(), " with strides ", a.strides(),
              " is not contiguous; use reshape() (which copies)");
  Shape in_shape = a.shape();
  return record<T>("view", detail::view_as_shape(a, target), {a}, [in_shape](const Tensor<T>& g, const Node<T>&) {
    return std::vector<Tensor<T>>{detail::view_as_shape(kernels::make_contiguous(g), in_shape)};
  });
}

// A contiguous copy when a is a strided view, otherwise a itself.
template <class T>
Tensor<T> contiguous(const Tensor<T>& a) {
  if (a.is_contiguous()) return a;
  return record<T>("contiguous", kernels::copy(a), {a}, [](const Tensor<T>& g, const Node<T>&) {
    return std::vector<Tensor<T>>{g};
  });
}

// A copy with its own storage; gradients flow through.
template <class T>
Tensor<T> clone(const Tensor<T>& a) {
  return record<T>("clone", kernels::copy(a), {a}, [](const Tensor<T>& g, const Node<T>&) {
    return std::vector<Tensor<T>>{g};
  });
}

// view() when the data allows it, else a copy under the new shape.
template <class T>
Tensor<T> reshape(const Tensor<T>& a, const std::vector<index_t>& shape) {
  detail::infer_shape("reshape", shape, a.shape());  // report errors under this op's name
  return view(contiguous(a), shape);
}

// Merges dimensions start_dim..last into one (PyTorch's flatten with end_dim = -1).
template <class T>
Tensor<T> flatten(const Tensor<T>& a, int start_dim = 0) {
  if (a.dim() == 0) return reshape(a, {1});
  start_dim = a.shape().normalize_dim(start_dim, "flatten");
  std::vector<index_t> dims(a.shape().begin(), a.shape().begin() + start_dim);
  dims.push_back(-1);
  if (a.numel() == 0) dims.back() = 0;  // -1 cannot be inferred against zero elements
  return reshape(a, dims);
}

// Swaps two dimensions; the result is a strided view of the same data.
template <class T>
Tensor<T> transpose(const Tensor<T>& a, int dim0, int dim1) {
  dim0 = a.shape().normalize_dim(dim0, "transpose");
  dim1 = a.shape().normalize_dim(dim1, "transpose");
  if (a.dim() == 0) return a;
  auto impl = std::make_shared<detail::TensorImpl<T>>();
  impl->storage = a.impl_ptr()->storage;
  impl->offset = a.offset();
  impl->shape = a.shape();
  impl->strides = a.strides();
  std::swap(impl->shape[dim0], impl->shape[dim1]);
  std::swap(impl->strides[dim0], impl->strides[dim1]);
  Tensor<T> y = record<T>("transpose", Tensor<T>(impl), {a}, [dim0, dim1](const Tensor<T>& g, const Node<T>&) {
    return std::vector<Tensor<T>>{transpose(g, dim0, dim1)};
  });
  trace::annotate(y, [&] { return trace::Annotation<T>{{{"dims", {double(dim0), double(dim1)}}}, {}}; });
  return y;
}

// Transpose of a 2-D tensor (a 0-D or 1-D tensor is returned as is, as in PyTorch).
template <class T>
Tensor<T> t(const Tensor<T>& a) {
  EMBER_CHECK(a.dim() <= 2, ShapeError, "t", "expected a tensor with at most 2 dimensions, got shape ", a.shape());
  return a.dim() < 2 ? a : transpose(a, 0, 1);
}

}  // namespace ember
