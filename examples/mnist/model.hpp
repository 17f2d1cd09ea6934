#pragma once
// The reference CNN: the network of PyTorch's own MNIST example, with its parameter names.
//
//   conv1 Conv2d(1, 32, 3) -> ReLU -> conv2 Conv2d(32, 64, 3) -> ReLU -> MaxPool2d(2)
//   -> Dropout(0.25) -> Flatten -> fc1 Linear(9216, 128) -> ReLU -> Dropout(0.5) -> fc2 Linear(128, 10)
//
// forward() returns logits (apply cross_entropy, which includes the log-softmax).
// Input: [N, 1, 28, 28]. 1,199,882 parameters.

#include <ember/ember.hpp>

namespace mnist {

template <class T = float>
struct Net : ember::nn::Module<T> {
  ember::nn::Conv2d<T> conv1, conv2;
  ember::nn::Dropout<T> dropout1, dropout2;
  ember::nn::Linear<T> fc1, fc2;
  ember::nn::ReLU<T> relu1, relu2, relu3;
  ember::nn::MaxPool2d<T> pool{2};
  ember::nn::Flatten<T> flatten{1};

  explicit Net(ember::Generator& gen = ember::default_generator())
      : conv1(1, 32, 3, {}, gen),
        conv2(32, 64, 3, {}, gen),
        dropout1(0.25, gen),
        dropout2(0.5, gen),
        fc1(9216, 128, true, gen),
        fc2(128, 10, true, gen) {
    // Registration order gives PyTorch's state-dict order: conv1, conv2, fc1, fc2.
    this->register_module("conv1", conv1);
    this->register_module("conv2", conv2);
    this->register_module("dropout1", dropout1);
    this->register_module("dropout2", dropout2);
    this->register_module("fc1", fc1);
    this->register_module("fc2", fc2);
    // Parameter-free layers are registered too, so that summary() lists them.
    this->register_module("relu1", relu1);
    this->register_module("relu2", relu2);
    this->register_module("pool", pool);
    this->register_module("flatten", flatten);
    this->register_module("relu3", relu3);
  }

  ember::Tensor<T> forward(const ember::Tensor<T>& x) override {
    auto h = relu1(conv1(x));
    h = pool(relu2(conv2(h)));
    h = flatten(dropout1(h));
    h = dropout2(relu3(fc1(h)));
    return fc2(h);
  }

  std::string type_name() const override { return "mnist::Net"; }
};

}  // namespace mnist
