#pragma once
// Linear(in_features, out_features): y = x W^T + b, parameters "weight" [out, in] and "bias" [out].

#include <string>

#include "ember/nn/init.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/linear.hpp"

namespace ember::nn {

template <class T = float>
class Linear : public Module<T> {
 public:
  Tensor<T> weight, bias;

  Linear(index_t in_features, index_t out_features, bool with_bias = true, Generator& gen = default_generator())
      : in_features_(in_features), out_features_(out_features) {
    EMBER_CHECK(in_features >= 1 && out_features >= 1, ValueError, "Linear",
                "expected positive sizes, got in_features=", in_features, " out_features=", out_features);
    weight = this->register_parameter("weight", init::kaiming_uniform<T>(Shape{out_features, in_features},
                                                                          std::sqrt(5.0), gen));
    if (with_bias) bias = this->register_parameter("bias", init::bias_uniform<T>(out_features, in_features, gen));
  }

  Tensor<T> forward(const Tensor<T>& x) override { return linear(x, weight, bias); }

  std::string type_name() const override { return "Linear"; }
  std::string describe() const override {
    return "Linear(in_features=" + std::to_string(in_features_) + ", out_features=" + std::to_string(out_features_) +
           ", bias=" + (bias.defined() ? "true" : "false") + ")";
  }

 private:
  index_t in_features_, out_features_;
};

}  // namespace ember::nn
