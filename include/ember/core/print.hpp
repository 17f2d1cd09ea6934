#pragma once
// Printing a tensor, in PyTorch's layout:
//   tensor([[1.0000, 2.0000],
//           [3.0000, 4.0000]], shape=[2, 2], requires_grad=true)
// Large dimensions are summarised with "..." (first and last 3 entries).

#include <iomanip>
#include <ostream>
#include <sstream>
#include <type_traits>

#include "ember/core/tensor.hpp"

namespace ember {
namespace detail {

template <class T>
void print_value(std::ostream& os, T v) {
  if constexpr (std::is_floating_point_v<T>)
    os << std::fixed << std::setprecision(4) << v;
  else
    os << v;
}

template <class T>
void print_dims(std::ostream& os, const Tensor<T>& t, int d, index_t off, int indent) {
  constexpr index_t kEdge = 3;
  const index_t n = t.shape()[d];
  const bool summarise = n > 2 * kEdge + 1 && t.numel() > 1000;
  os << '[';
  for (index_t i = 0; i < n; ++i) {
    if (summarise && i == kEdge) {
      os << (d + 1 == t.dim() ? "..., " : "...,\n" + std::string(static_cast<std::size_t>(indent + 1), ' '));
      i = n - kEdge;
    }
    index_t here = off + i * t.strides()[d];
    if (d + 1 == t.dim())
      print_value(os, t.impl_ptr()->storage->data()[here]);
    else
      print_dims(os, t, d + 1, here, indent + 1);
    if (i + 1 < n) {
      if (d + 1 == t.dim())
        os << ", ";
      else
        os << ",\n" << std::string(static_cast<std::size_t>(indent + 1), ' ');
    }
  }
  os << ']';
}

}  // namespace detail

template <class T>
std::ostream& operator<<(std::ostream& os, const Tensor<T>& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  std::ostringstream body;
  body << "tensor(";
  if (t.dim() == 0)
    detail::print_value(body, t.item());
  else
    detail::print_dims(body, t, 0, t.offset(), 7);
  body << ", shape=" << t.shape();
  if (t.requires_grad()) body << ", requires_grad=true";
  body << ')';
  return os << body.str();
}

}  // namespace ember
