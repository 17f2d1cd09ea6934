#pragma once
// Activation layers: ReLU, LeakyReLU(negative_slope = 0.01), GELU (exact), SiLU, Sigmoid, Tanh.

#include <sstream>
#include <string>

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

template <class T = float>
class LeakyReLU : public Module<T> {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : slope_(negative_slope) {}
  Tensor<T> forward(const Tensor<T>& x) override { return leaky_relu(x, slope_); }
  std::string type_name() const override { return "LeakyReLU"; }
  std::string describe() const override {
    std::ostringstream s;
    s << "LeakyReLU(negative_slope=" << slope_ << ")";
    return s.str();
  }

 private:
  double slope_;
};

template <class T = float>
class GELU : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return gelu(x); }
  std::string type_name() const override { return "GELU"; }
  std::string describe() const override { return "GELU()"; }
};

template <class T = float>
class SiLU : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return silu(x); }
  std::string type_name() const override { return "SiLU"; }
  std::string describe() const override { return "SiLU()"; }
};

template <class T = float>
class Sigmoid : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return sigmoid(x); }
  std::string type_name() const override { return "Sigmoid"; }
  std::string describe() const override { return "Sigmoid()"; }
};

template <class T = float>
class Tanh : public Module<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override { return tanh(x); }
  std::string type_name() const override { return "Tanh"; }
  std::string describe() const override { return "Tanh()"; }
};

}  // namespace ember::nn
