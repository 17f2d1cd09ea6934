#pragma once
// Activation layers.

#include "ember/nn/module.hpp"
#include "ember/ops/activation.hpp"

namespace ember::nn {

template <class T = float>
class ReLU : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return relu(x); }
  std::string type_name() const override { return "ReLU"; }
  std::string describe() const override { return "ReLU()"; }
};

}  // namespace ember::nn
