#pragma once
// The member shortcuts declared in core/tensor.hpp (x.sum(), x.view({...}), ...):
// one-liners forwarding to the free functions of ops/.

#include "ember/ops/arithmetic.hpp"
#include "ember/ops/math.hpp"
#include "ember/ops/matmul.hpp"
#include "ember/ops/reduction.hpp"
#include "ember/ops/reshape.hpp"

namespace ember {

template <class T> Tensor<T> Tensor<T>::view(const std::vector<index_t>& s) const { return ember::view(*this, s); }
template <class T> Tensor<T> Tensor<T>::reshape(const std::vector<index_t>& s) const { return ember::reshape(*this, s); }
template <class T> Tensor<T> Tensor<T>::flatten(int start_dim) const { return ember::flatten(*this, start_dim); }
template <class T> Tensor<T> Tensor<T>::transpose(int d0, int d1) const { return ember::transpose(*this, d0, d1); }
template <class T> Tensor<T> Tensor<T>::t() const { return ember::t(*this); }
template <class T> Tensor<T> Tensor<T>::contiguous() const { return ember::contiguous(*this); }
template <class T> Tensor<T> Tensor<T>::clone() const { return ember::clone(*this); }
template <class T> Tensor<T> Tensor<T>::sum() const { return ember::sum(*this); }
template <class T> Tensor<T> Tensor<T>::sum(int dim, bool keepdim) const { return ember::sum(*this, dim, keepdim); }
template <class T> Tensor<T> Tensor<T>::mean() const { return ember::mean(*this); }
template <class T> Tensor<T> Tensor<T>::mean(int dim, bool keepdim) const { return ember::mean(*this, dim, keepdim); }
template <class T> Tensor<T> Tensor<T>::max() const { return ember::max(*this); }
template <class T> Tensor<T> Tensor<T>::max(int dim, bool keepdim) const { return ember::max(*this, dim, keepdim); }
template <class T>
Tensor<std::int64_t> Tensor<T>::argmax(int dim, bool keepdim) const {
  return ember::argmax(*this, dim, keepdim);
}
template <class T> Tensor<T> Tensor<T>::exp() const { return ember::exp(*this); }
template <class T> Tensor<T> Tensor<T>::log() const { return ember::log(*this); }
template <class T> Tensor<T> Tensor<T>::neg() const { return ember::neg(*this); }
template <class T> Tensor<T> Tensor<T>::pow(double p) const { return ember::pow(*this, p); }
template <class T> Tensor<T> Tensor<T>::matmul(const Tensor& other) const { return ember::matmul(*this, other); }

}  // namespace ember
