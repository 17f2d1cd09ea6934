#pragma once
// Sequential: layers applied in order, named "0", "1", ... as in PyTorch.
//
//   ember::nn::Sequential<float> net;
//   net.add(std::make_shared<ember::nn::Linear<float>>(4, 8));
//   net.add(std::make_shared<ember::nn::ReLU<float>>());

#include <memory>
#include <string>
#include <vector>

#include "ember/nn/module.hpp"

namespace ember::nn {

template <class T = float>
class Sequential : public Module<T> {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module<T>>> layers) {
    for (auto& layer : layers) add(layer);
  }

  // Appends a layer (owned by the Sequential) and returns it.
  template <class M>
  std::shared_ptr<M> add(std::shared_ptr<M> layer) {
    auto registered = this->register_module(std::to_string(layers_.size()), std::move(layer));
    layers_.push_back(registered.get());
    return registered;
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    Tensor<T> out = x;
    for (Module<T>* layer : layers_) out = (*layer)(out);
    return out;
  }

  std::size_t size() const { return layers_.size(); }
  Module<T>& operator[](std::size_t i) {
    EMBER_CHECK(i < layers_.size(), IndexError, "Sequential", "index ", i, " out of range for ", layers_.size(),
                " layers");
    return *layers_[i];
  }
  std::string type_name() const override { return "Sequential"; }

 private:
  std::vector<Module<T>*> layers_;
};

}  // namespace ember::nn
