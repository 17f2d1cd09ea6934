// Exports networks with ember::onnx for check_onnx_export.py to run in runtimes no one here
// wrote: the mnist example's two variants (randomly initialised, BatchNorm statistics made
// non-trivial) on the first 200 test images of the MNIST sample, and the op zoo (zoo.hpp) on
// random input. For each NAME it writes NAME.onnx, NAME.input.f32 and NAME.logits.f32 (ember's
// output; little-endian float32, row-major) and NAME.shape ("N C H W OUT").
// Usage: ember_export_models MNIST_SAMPLE_DIR OUT_DIR

#include <cstdio>
#include <exception>
#include <fstream>
#include <string>

#include <ember/data.hpp>
#include <ember/ember.hpp>
#include <ember/onnx.hpp>

#include "mnist/model.hpp"
#include "onnx/zoo.hpp"

namespace {

void write_floats(const std::string& path, const ember::Tensor<float>& t) {
  const ember::Tensor<float> c = t.contiguous();
  std::string bytes(reinterpret_cast<const char*>(c.data()), static_cast<std::size_t>(c.numel()) * sizeof(float));
  ember::io::write_file_atomic(path, bytes);
}

void export_case(const std::string& out_dir, const std::string& name, ember::nn::Module<float>& net,
                 const ember::Tensor<float>& input) {
  ember::onnx::export_module(net, input, out_dir + "/" + name + ".onnx");
  net.eval();
  ember::NoGradGuard no_grad;
  const ember::Tensor<float> logits = net(input);
  write_floats(out_dir + "/" + name + ".input.f32", input);
  write_floats(out_dir + "/" + name + ".logits.f32", logits);
  std::ofstream(out_dir + "/" + name + ".shape") << input.size(0) << " " << input.size(1) << " " << input.size(2)
                                                 << " " << input.size(3) << " " << logits.size(1) << "\n";
}

// Running statistics as after training: zeros and ones would leave BatchNormalization's
// mean and variance inputs untested.
void perturb_statistics(ember::nn::Module<float>& net, ember::Generator& gen) {
  for (auto& [name, buffer] : net.named_buffers()) {
    const bool mean = name.size() > 12 && name.compare(name.size() - 12, 12, "running_mean") == 0;
    const bool var = name.size() > 11 && name.compare(name.size() - 11, 11, "running_var") == 0;
    for (ember::index_t i = 0; (mean || var) && i < buffer.numel(); ++i)
      buffer.data()[i] = static_cast<float>(mean ? 0.2 * gen.normal() : 0.5 + gen.uniform());
  }
}

ember::Tensor<float> mnist_images(const std::string& dir, ember::index_t count) {
  const ember::data::Dataset test = ember::data::load_mnist(dir, ember::data::Split::Test);
  ember::Tensor<float> x = ember::Tensor<float>::uninitialized(ember::Shape{count, 1, 28, 28});
  for (ember::index_t i = 0; i < count; ++i)
    for (ember::index_t p = 0; p < 28 * 28; ++p) x.data()[i * 784 + p] = test.image(i)[p] / 255.0f;
  return ember::data::normalize(x);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ember_export_models MNIST_SAMPLE_DIR OUT_DIR\n");
    return 2;
  }
  try {
    const std::string data = argv[1], out = argv[2];
    const ember::Tensor<float> images = mnist_images(data, 200);
    ember::Generator gen(17);
    for (const std::string variant : {"reference", "bn"}) {
      auto net = mnist::make_model<float>(variant, gen);
      perturb_statistics(*net, gen);
      export_case(out, variant, *net, images);
    }
    onnx_test::Zoo<float> zoo(gen);
    export_case(out, "zoo", zoo, ember::uniform<float>(ember::Shape{16, 3, 12, 12}, -2.0, 2.0, gen));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ember_export_models: %s\n", e.what());
    return 1;
  }
  return 0;
}
