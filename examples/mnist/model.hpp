#pragma once
// The example's networks, chosen by `--model`:
//
// reference: the network of PyTorch's own MNIST example, with its parameter names.
//
//   conv1 Conv2d(1, 32, 3) -> ReLU -> conv2 Conv2d(32, 64, 3) -> ReLU -> MaxPool2d(2)
//   -> Dropout(0.25) -> Flatten -> fc1 Linear(9216, 128) -> ReLU -> Dropout(0.5) -> fc2 Linear(128, 10)
//
// forward() returns logits (apply cross_entropy, which includes the log-softmax).
// Input: [N, 1, 28, 28]. 1,199,882 parameters.

#include <memory>
#include <string>
#include <vector>

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

// bn: five conv-BatchNorm-ReLU blocks (convolutions without bias: the BatchNorm after each
// has one), two max pools, global average pooling and one linear layer; 12% of the reference
// CNN's parameters at about the same FLOPs.
//
//   conv1 Conv2d(1, 32, 3) bn1 -> conv2 Conv2d(32, 32, 3) bn2 -> MaxPool2d(2)      28 -> 26 -> 24 -> 12
//   -> conv3 Conv2d(32, 64, 3) bn3 -> conv4 Conv2d(64, 64, 3) bn4 -> MaxPool2d(2)   12 -> 10 -> 8 -> 4
//   -> conv5 Conv2d(64, 128, 3, padding=1) bn5 -> AdaptiveAvgPool2d(1) -> Flatten -> Dropout(0.25) -> fc Linear(128, 10)
//
// (each convN followed by its bnN and a ReLU). Input: [N, 1, 28, 28]. 140,458 parameters.
template <class T = float>
struct BnNet : ember::nn::Module<T> {
  ember::nn::Conv2d<T> conv1, conv2, conv3, conv4, conv5;
  ember::nn::BatchNorm2d<T> bn1{32}, bn2{32}, bn3{64}, bn4{64}, bn5{128};
  ember::nn::MaxPool2d<T> pool1{2}, pool2{2};
  ember::nn::AdaptiveAvgPool2d<T> global_pool{1};
  ember::nn::Flatten<T> flatten{1};
  ember::nn::Dropout<T> dropout;
  ember::nn::Linear<T> fc;

  explicit BnNet(ember::Generator& gen = ember::default_generator())
      : conv1(1, 32, 3, no_bias(0), gen),
        conv2(32, 32, 3, no_bias(0), gen),
        conv3(32, 64, 3, no_bias(0), gen),
        conv4(64, 64, 3, no_bias(0), gen),
        conv5(64, 128, 3, no_bias(1), gen),
        dropout(0.25, gen),
        fc(128, 10, true, gen) {
    ember::nn::Conv2d<T>* convs[] = {&conv1, &conv2, &conv3, &conv4, &conv5};
    ember::nn::BatchNorm2d<T>* norms[] = {&bn1, &bn2, &bn3, &bn4, &bn5};
    for (int i = 0; i < 5; ++i) {  // PyTorch's state-dict order: conv1, bn1, conv2, bn2, ...
      this->register_module("conv" + std::to_string(i + 1), *convs[i]);
      this->register_module("bn" + std::to_string(i + 1), *norms[i]);
    }
    this->register_module("pool1", pool1);
    this->register_module("pool2", pool2);
    this->register_module("global_pool", global_pool);
    this->register_module("flatten", flatten);
    this->register_module("dropout", dropout);
    this->register_module("fc", fc);
  }

  ember::Tensor<T> forward(const ember::Tensor<T>& x) override {
    auto h = block(conv2, bn2, block(conv1, bn1, x));
    h = block(conv4, bn4, block(conv3, bn3, pool1(h)));
    h = block(conv5, bn5, pool2(h));
    return fc(dropout(flatten(global_pool(h))));
  }

  std::string type_name() const override { return "mnist::BnNet"; }

 private:
  static ember::nn::Conv2dOptions no_bias(ember::index_t padding) { return {1, padding, 1, false}; }
  static ember::Tensor<T> block(ember::nn::Conv2d<T>& conv, ember::nn::BatchNorm2d<T>& bn, const ember::Tensor<T>& x) {
    return ember::relu(bn(conv(x)));
  }
};

// A new network of the named variant ("reference" or "bn": settings.hpp's kModelVariants),
// initialised from gen. Throws ValueError for another name.
template <class T = float>
std::unique_ptr<ember::nn::Module<T>> make_model(const std::string& name,
                                                 ember::Generator& gen = ember::default_generator()) {
  if (name == "bn") return std::make_unique<BnNet<T>>(gen);
  EMBER_CHECK(name == "reference", ember::ValueError, "mnist", "unknown model variant '", name, "'");
  return std::make_unique<Net<T>>(gen);
}

// The variant a model file written by `mnist train` holds (its architecture "mnist-bn" gives
// "bn"); `fallback` when the file does not say (a file written by PyTorch). Throws what
// read_safetensors throws for a file that cannot be read.
inline std::string model_variant_of(const std::string& path, const std::string& fallback = "reference") {
  const ember::io::SafetensorsFile file = ember::io::read_safetensors(path);
  const auto it = file.metadata.find("architecture");
  const std::string prefix = "mnist-";
  if (it == file.metadata.end() || it->second.rfind(prefix, 0) != 0) return fallback;
  return it->second.substr(prefix.size());
}

}  // namespace mnist
