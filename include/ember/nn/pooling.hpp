#pragma once
// MaxPool2d(kernel_size, stride = kernel_size, padding = 0).

#include <string>

#include "ember/nn/module.hpp"
#include "ember/ops/pool.hpp"

namespace ember::nn {

template <class T = float>
class MaxPool2d : public Module<T> {
 public:
  explicit MaxPool2d(index_t kernel_size, index_t stride = 0, index_t padding = 0)
      : kernel_(kernel_size), stride_(stride == 0 ? kernel_size : stride), padding_(padding) {
    EMBER_CHECK(kernel_size >= 1 && stride >= 0 && padding >= 0 && 2 * padding <= kernel_size, ValueError,
                "MaxPool2d", "expected kernel_size >= 1, stride >= 0, 0 <= padding <= kernel_size / 2, got ",
                kernel_size, ", ", stride, ", ", padding);
  }
  Tensor<T> forward(const Tensor<T>& x) override { return max_pool2d(x, kernel_, stride_, padding_); }
  std::string type_name() const override { return "MaxPool2d"; }
  std::string describe() const override {
    return "MaxPool2d(kernel_size=" + std::to_string(kernel_) + ", stride=" + std::to_string(stride_) +
           ", padding=" + std::to_string(padding_) + ")";
  }

 private:
  index_t kernel_, stride_, padding_;
};

}  // namespace ember::nn
