#pragma once
// The residual network of docs/api.md ("A ResNet-style block and global pooling"), verbatim:
// compiled and run by tests/nn/test_layers.cpp so that the guide's code keeps working.

#include <ember/ember.hpp>

namespace guide {

// He et al.'s basic block at a fixed width: conv-BN-ReLU, conv-BN, add the input, ReLU.
// The convolutions have no bias: the BatchNorm after each one has its own.
template <class T = float>
struct ResidualBlock : ember::nn::Module<T> {
  ember::nn::Conv2d<T> conv1, conv2;
  ember::nn::BatchNorm2d<T> bn1, bn2;

  ResidualBlock(ember::index_t channels, ember::Generator& gen)
      : conv1(channels, channels, 3, {/*stride*/ 1, /*padding*/ 1, /*dilation*/ 1, /*bias*/ false}, gen),
        conv2(channels, channels, 3, {1, 1, 1, false}, gen),
        bn1(channels),
        bn2(channels) {
    this->register_module("conv1", conv1);
    this->register_module("bn1", bn1);
    this->register_module("conv2", conv2);
    this->register_module("bn2", bn2);
  }

  ember::Tensor<T> forward(const ember::Tensor<T>& x) override {
    auto h = ember::relu(bn1(conv1(x)));
    return ember::relu(bn2(conv2(h)) + x);  // the residual connection
  }
};

// A stem, two residual blocks, global average pooling and a classifier: any input size works,
// since AdaptiveAvgPool2d(1) averages whatever plane reaches it.
template <class T = float>
struct SmallResNet : ember::nn::Module<T> {
  ember::nn::Conv2d<T> stem;
  ember::nn::BatchNorm2d<T> bn;
  ResidualBlock<T> block1, block2;
  ember::nn::AdaptiveAvgPool2d<T> pool{1};
  ember::nn::Linear<T> fc;

  explicit SmallResNet(ember::index_t width = 16, ember::index_t classes = 10,
                       ember::Generator& gen = ember::default_generator())
      : stem(1, width, 3, {1, 1, 1, false}, gen), bn(width), block1(width, gen), block2(width, gen),
        fc(width, classes, true, gen) {
    this->register_module("stem", stem);
    this->register_module("bn", bn);
    this->register_module("block1", block1);
    this->register_module("block2", block2);
    this->register_module("pool", pool);
    this->register_module("fc", fc);
  }

  ember::Tensor<T> forward(const ember::Tensor<T>& x) override {  // [N, 1, H, W] -> [N, classes]
    auto h = ember::relu(bn(stem(x)));
    h = block2(block1(h));
    return fc(pool(h).flatten(1));
  }
};

}  // namespace guide
