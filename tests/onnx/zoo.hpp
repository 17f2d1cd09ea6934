#pragma once
// A network that uses every op the ONNX exporter writes (and the layers behind them), for the
// export tests: two convolution branches (padding, stride, dilation; BatchNorm with and without
// affine parameters, non-trivial running statistics), Concat, every pooling, every activation,
// Transpose, Reshape and Flatten, Linear and MatMul, the arithmetic ops with tensors and
// scalars, Softmax and LogSoftmax. Input [N, 3, 12, 12] -> [N, 6].

#include <ember/ember.hpp>

namespace onnx_test {

template <class T = float>
struct Zoo : ember::nn::Module<T> {
  ember::nn::Conv2d<T> left, right, down;
  ember::nn::BatchNorm2d<T> norm{4}, plain_norm{4, {1e-3, 0.1, false, true}};
  ember::nn::LeakyReLU<T> leaky{0.2};
  ember::nn::MaxPool2d<T> max_pool{2, 1, 1};
  ember::nn::AvgPool2d<T> avg_pool{3, 1, 1};
  ember::nn::AdaptiveAvgPool2d<T> adaptive{3}, global{1};
  ember::nn::Dropout<T> dropout;
  ember::nn::Linear<T> fc, head;
  ember::Tensor<T> mix;  // a parameter used by matmul

  explicit Zoo(ember::Generator& gen)
      : left(3, 4, 3, {1, 1, 1, true}, gen),
        right(3, 4, 3, {1, 2, 2, false}, gen),
        down(8, 8, 3, {2, 0, 1, true}, gen),
        dropout(0.5, gen),
        fc(8 * 3 * 3, 7, true, gen),
        head(7 + 8, 6, false, gen) {
    this->register_module("left", left);
    this->register_module("right", right);
    this->register_module("down", down);
    this->register_module("norm", norm);
    this->register_module("plain_norm", plain_norm);
    this->register_module("leaky", leaky);
    this->register_module("max_pool", max_pool);
    this->register_module("avg_pool", avg_pool);
    this->register_module("adaptive", adaptive);
    this->register_module("global", global);
    this->register_module("dropout", dropout);
    this->register_module("fc", fc);
    this->register_module("head", head);
    mix = this->register_parameter("mix", ember::uniform<T>(ember::Shape{7, 7}, -0.5, 0.5, gen));
    // Statistics as after training (new layers hold zeros and ones, which would test little).
    ember::NoGradGuard no_grad;
    for (ember::nn::BatchNorm2d<T>* bn : {&norm, &plain_norm}) {
      for (ember::index_t c = 0; c < 4; ++c) {
        bn->running_mean.data()[c] = static_cast<T>(0.3 * gen.normal());
        bn->running_var.data()[c] = static_cast<T>(0.5 + gen.uniform());
        if (bn->weight.defined()) {
          bn->weight.data()[c] = static_cast<T>(1 + 0.2 * gen.normal());
          bn->bias.data()[c] = static_cast<T>(0.1 * gen.normal());
        }
      }
    }
  }

  ember::Tensor<T> forward(const ember::Tensor<T>& x) override {
    using namespace ember;
    Tensor<T> a = leaky(norm(left(x)));                     // [N, 4, 12, 12]
    Tensor<T> b = tanh(plain_norm(right(x))) * sigmoid(a);  // dilation 2, padding 2: 12 -> 12
    Tensor<T> h = cat(std::vector<Tensor<T>>{a, b}, 1);     // [N, 8, 12, 12]
    h = silu(avg_pool(h));                                  // 3x3 windows, padding 1: 12 -> 12
    h = gelu(max_pool(h));                                  // 2x2 windows, stride 1, padding 1: 12 -> 13
    h = relu(down(h));                                      // stride 2: 13 -> 6
    const Tensor<T> g = flatten(global(h), 1);              // [N, 8]
    Tensor<T> t = transpose(adaptive(h), 2, 3);             // 2x2 windows: [N, 8, 3, 3]
    t = flatten(reshape(t, {-1, 8, 9}), 1);                 // Reshape (a copy of the transposed view), Flatten
    const Tensor<T> f = fc(dropout(t));                     // [N, 7]
    const Tensor<T> m = matmul(f, mix);
    // pow(f * 0.3, 2), not pow(f, 2) * 0.09: OpenCV 4.6 fuses Pow followed by Mul with a
    // constant c into (c x)^p, a wrong result for a correct file (checked by hand).
    const Tensor<T> u = (m * 0.5 + 1.0 - f) / (exp(-f) + 2.0) + pow(f * 0.3, 2.0) + log(exp(-f) + 2.0);
    const Tensor<T> y = head(cat(std::vector<Tensor<T>>{u, g}, 1));  // [N, 6]
    return log_softmax(y, 1) * 0.5 + softmax(y, 1);
  }

  std::string type_name() const override { return "onnx_test::Zoo"; }
};

}  // namespace onnx_test
