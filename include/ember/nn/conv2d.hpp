#pragma once
// Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation):
// parameters "weight" [out, in, k, k] (OIHW) and "bias" [out], PyTorch's defaults and init.

#include <string>

#include "ember/nn/init.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/conv.hpp"

namespace ember::nn {

struct Conv2dOptions {
  index_t stride = 1, padding = 0, dilation = 1;
  bool bias = true;
};

template <class T = float>
class Conv2d : public Module<T> {
 public:
  Tensor<T> weight, bias;

  Conv2d(index_t in_channels, index_t out_channels, index_t kernel_size, Conv2dOptions options = {},
         Generator& gen = default_generator())
      : in_(in_channels), out_(out_channels), kernel_(kernel_size), options_(options) {
    EMBER_CHECK(in_channels >= 1 && out_channels >= 1 && kernel_size >= 1, ValueError, "Conv2d",
                "expected positive sizes, got in_channels=", in_channels, " out_channels=", out_channels,
                " kernel_size=", kernel_size);
    Shape shape{out_channels, in_channels, kernel_size, kernel_size};
    weight = this->register_parameter("weight", init::kaiming_uniform<T>(shape, std::sqrt(5.0), gen));
    if (options.bias) bias = this->register_parameter("bias", init::bias_uniform<T>(out_channels, init::fan_in(shape), gen));
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    return conv2d(x, weight, bias, Conv2dParams{options_.stride, options_.padding, options_.dilation});
  }

  std::string type_name() const override { return "Conv2d"; }
  std::string describe() const override {
    std::string s = "Conv2d(" + std::to_string(in_) + ", " + std::to_string(out_) +
                    ", kernel_size=" + std::to_string(kernel_);
    if (options_.stride != 1) s += ", stride=" + std::to_string(options_.stride);
    if (options_.padding != 0) s += ", padding=" + std::to_string(options_.padding);
    if (options_.dilation != 1) s += ", dilation=" + std::to_string(options_.dilation);
    if (!options_.bias) s += ", bias=false";
    return s + ")";
  }

 private:
  index_t in_, out_, kernel_;
  Conv2dOptions options_;
};

}  // namespace ember::nn
