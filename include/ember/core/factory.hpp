#pragma once
// Tensor constructors, named as in PyTorch: ember::zeros<float>({2, 3}).
// Random ones take an explicit Generator so that every run is reproducible.

#include <cmath>
#include <vector>

#include "ember/core/random.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

template <class T = float>
Tensor<T> zeros(const Shape& shape) {
  return Tensor<T>::zeros(shape);
}

template <class T = float>
Tensor<T> full(const Shape& shape, T value) {
  Tensor<T> t = Tensor<T>::zeros(shape);
  std::fill(t.data(), t.data() + t.numel(), value);
  return t;
}

template <class T = float>
Tensor<T> ones(const Shape& shape) {
  return full<T>(shape, T(1));
}

// A rank-0 tensor holding one value.
template <class T = float>
Tensor<T> scalar_tensor(T value) {
  return full<T>(Shape{}, value);
}

template <class T = float>
Tensor<T> from_vector(const std::vector<T>& values, const Shape& shape) {
  return Tensor<T>::from_vector(values, shape);
}

// A 1-D tensor holding the values.
template <class T = float>
Tensor<T> from_vector(const std::vector<T>& values) {
  return Tensor<T>::from_vector(values, Shape{static_cast<index_t>(values.size())});
}

template <class T>
Tensor<T> zeros_like(const Tensor<T>& other) {
  return zeros<T>(other.shape());
}

// 1-D tensor start, start + step, ... below end (as torch.arange).
template <class T = float>
Tensor<T> arange(double start, double end, double step = 1.0) {
  EMBER_CHECK(step != 0.0, ValueError, "arange", "step must be non-zero");
  EMBER_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step), ValueError, "arange",
              "expected finite bounds, got start=", start, " end=", end, " step=", step);
  double count = std::ceil((end - start) / step);
  index_t n = count > 0 ? static_cast<index_t>(count) : 0;
  Tensor<T> t = Tensor<T>::zeros(Shape{n});
  for (index_t i = 0; i < n; ++i) t.data()[i] = static_cast<T>(start + static_cast<double>(i) * step);
  return t;
}

template <class T = float>
Tensor<T> arange(double end) {
  return arange<T>(0.0, end, 1.0);
}

// Uniform in [low, high).
template <class T = float>
Tensor<T> uniform(const Shape& shape, double low, double high, Generator& gen) {
  EMBER_CHECK(low <= high, ValueError, "uniform", "expected low <= high, got low=", low, " high=", high);
  Tensor<T> t = Tensor<T>::zeros(shape);
  for (index_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<T>(gen.uniform(low, high));
  return t;
}

// Uniform in [0, 1).
template <class T = float>
Tensor<T> rand(const Shape& shape, Generator& gen) {
  return uniform<T>(shape, 0.0, 1.0, gen);
}

// Standard normal.
template <class T = float>
Tensor<T> randn(const Shape& shape, Generator& gen) {
  Tensor<T> t = Tensor<T>::zeros(shape);
  for (index_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<T>(gen.normal());
  return t;
}

}  // namespace ember
