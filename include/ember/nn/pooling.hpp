#pragma once
// MaxPool2d and AvgPool2d(kernel_size, stride = kernel_size, padding = 0), AdaptiveAvgPool2d(output size).

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

// Averages windows; padding zeros count in the mean (PyTorch's count_include_pad=True).
template <class T = float>
class AvgPool2d : public Module<T> {
 public:
  explicit AvgPool2d(index_t kernel_size, index_t stride = 0, index_t padding = 0)
      : kernel_(kernel_size), stride_(stride == 0 ? kernel_size : stride), padding_(padding) {
    EMBER_CHECK(kernel_size >= 1 && stride >= 0 && padding >= 0 && 2 * padding <= kernel_size, ValueError,
                "AvgPool2d", "expected kernel_size >= 1, stride >= 0, 0 <= padding <= kernel_size / 2, got ",
                kernel_size, ", ", stride, ", ", padding);
  }
  Tensor<T> forward(const Tensor<T>& x) override { return avg_pool2d(x, kernel_, stride_, padding_); }
  std::string type_name() const override { return "AvgPool2d"; }
  std::string describe() const override {
    return "AvgPool2d(kernel_size=" + std::to_string(kernel_) + ", stride=" + std::to_string(stride_) +
           ", padding=" + std::to_string(padding_) + ")";
  }

 private:
  index_t kernel_, stride_, padding_;
};

// Any input plane to out_h x out_w; AdaptiveAvgPool2d(1) is global average pooling.
template <class T = float>
class AdaptiveAvgPool2d : public Module<T> {
 public:
  explicit AdaptiveAvgPool2d(index_t output_size) : AdaptiveAvgPool2d(output_size, output_size) {}
  AdaptiveAvgPool2d(index_t out_h, index_t out_w) : out_h_(out_h), out_w_(out_w) {
    EMBER_CHECK(out_h >= 1 && out_w >= 1, ValueError, "AdaptiveAvgPool2d", "expected an output size of at least 1x1, got ",
                out_h, "x", out_w);
  }
  Tensor<T> forward(const Tensor<T>& x) override { return adaptive_avg_pool2d(x, out_h_, out_w_); }
  std::string type_name() const override { return "AdaptiveAvgPool2d"; }
  std::string describe() const override {
    return "AdaptiveAvgPool2d(output_size=" +
           (out_h_ == out_w_ ? std::to_string(out_h_) : "(" + std::to_string(out_h_) + ", " + std::to_string(out_w_) + ")") +
           ")";
  }

 private:
  index_t out_h_, out_w_;
};

}  // namespace ember::nn
