#pragma once
// Flatten(start_dim = 1): [N, C, H, W] -> [N, C * H * W], as torch.nn.Flatten.

#include <string>

#include "ember/nn/module.hpp"
#include "ember/ops/reshape.hpp"

namespace ember::nn {

template <class T = float>
class Flatten : public Module<T> {
 public:
  explicit Flatten(int start_dim = 1) : start_dim_(start_dim) {}
  Tensor<T> forward(const Tensor<T>& x) override { return flatten(x, start_dim_); }
  std::string type_name() const override { return "Flatten"; }
  std::string describe() const override { return "Flatten(start_dim=" + std::to_string(start_dim_) + ")"; }

 private:
  int start_dim_;
};

}  // namespace ember::nn
