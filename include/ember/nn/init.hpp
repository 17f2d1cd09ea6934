#pragma once
// Parameter initialisation, as PyTorch's defaults for Conv2d and Linear:
// weights Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
// and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Weights are drawn before biases.

#include <cmath>

#include "ember/core/factory.hpp"
#include "ember/core/random.hpp"

namespace ember::nn::init {

// fan_in of a weight [out, in, (kh, kw)]: in * kh * kw.
inline index_t fan_in(const Shape& weight_shape) {
  EMBER_CHECK(weight_shape.rank() >= 2, ShapeError, "init::fan_in", "expected a weight with at least 2 dimensions, got ",
              weight_shape);
  return weight_shape.numel() / weight_shape[0];
}

// torch.nn.init.kaiming_uniform_(w, a): U(-b, b), b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)).
template <class T>
Tensor<T> kaiming_uniform(const Shape& shape, double a, Generator& gen) {
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  const double bound = gain * std::sqrt(3.0 / static_cast<double>(fan_in(shape)));
  return uniform<T>(shape, -bound, bound, gen);
}

// The bias rule of Conv2d and Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
template <class T>
Tensor<T> bias_uniform(index_t size, index_t weight_fan_in, Generator& gen) {
  const double bound = weight_fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(weight_fan_in)) : 0.0;
  return uniform<T>(Shape{size}, -bound, bound, gen);
}

}  // namespace ember::nn::init
