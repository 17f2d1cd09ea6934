#pragma once
// Inverted dropout: in training, zero each element with probability p and scale the rest
// by 1 / (1 - p), so that evaluation needs no rescaling; the identity when not training.

#include <memory>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/random.hpp"
#include "ember/kernels/elementwise.hpp"

namespace ember {

template <class T>
Tensor<T> dropout(const Tensor<T>& input, double p, bool training, Generator& gen) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, ValueError, "dropout", "expected a probability in [0, 1], got ", p);
  if (!training || p == 0.0) return input;
  Tensor<T> x = kernels::make_contiguous(input), out = Tensor<T>::uninitialized(input.shape());
  // mask holds 0 or 1 / (1 - p); p = 1 drops everything (PyTorch gives zeros, not NaN).
  const T keep_scale = p < 1.0 ? static_cast<T>(1.0 / (1.0 - p)) : T(0);
  auto mask = std::make_shared<std::vector<T>>(static_cast<std::size_t>(x.numel()));
  for (index_t i = 0; i < x.numel(); ++i) {
    (*mask)[static_cast<std::size_t>(i)] = gen.uniform() < p ? T(0) : keep_scale;
    out.data()[i] = x.data()[i] * (*mask)[static_cast<std::size_t>(i)];
  }
  return record<T>("dropout", out, {input}, [mask](const Tensor<T>& g, const Node<T>&) {
    Tensor<T> dy = kernels::make_contiguous(g), dx = Tensor<T>::uninitialized(g.shape());
    for (index_t i = 0; i < dx.numel(); ++i) dx.data()[i] = dy.data()[i] * (*mask)[static_cast<std::size_t>(i)];
    return std::vector<Tensor<T>>{dx};
  });
}

template <class T>
Tensor<T> dropout(const Tensor<T>& input, double p, bool training) {
  return dropout(input, p, training, default_generator());
}

}  // namespace ember
