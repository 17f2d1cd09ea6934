// Writes a small CNN as an ONNX file, built by hand with ember::onnx (Conv with padding, Relu,
// MaxPool, Flatten, Gemm, LogSoftmax; weights from a fixed formula), for check_onnx_sample.py
// to check with onnx's checker and run in OpenCV's DNN module.
// Usage: write_onnx_sample OUT.onnx

#include <cstdio>
#include <exception>
#include <vector>

#include <ember/onnx.hpp>

namespace {

// Deterministic values in [-1, 1) that are not all alike.
std::vector<float> pattern(std::size_t n, int salt) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(((i * 37 + salt * 11) % 29) / 14.5 - 1.0);
  return v;
}

ember::onnx::Model sample_model() {
  using ember::onnx::Attribute;
  const auto batch = ember::onnx::Dimension::symbolic("batch");
  ember::onnx::Model m;
  auto& g = m.graph;
  g.inputs = {{"input", {batch, 1, 6, 6}}};
  g.initializers = {{"conv.weight", {2, 1, 3, 3}, pattern(18, 1)},
                    {"conv.bias", {2}, pattern(2, 2)},
                    {"fc.weight", {3, 18}, pattern(54, 3)},
                    {"fc.bias", {3}, pattern(3, 4)}};
  g.nodes = {
      {"Conv", "conv", {"input", "conv.weight", "conv.bias"}, {"conv_out"},
       {Attribute::integers("kernel_shape", {3, 3}), Attribute::integers("pads", {1, 1, 1, 1}),
        Attribute::integers("strides", {1, 1})}},
      {"Relu", "relu", {"conv_out"}, {"relu_out"}, {}},
      {"MaxPool", "pool", {"relu_out"}, {"pool_out"},
       {Attribute::integers("kernel_shape", {2, 2}), Attribute::integers("strides", {2, 2})}},
      {"Flatten", "flatten", {"pool_out"}, {"flat"}, {Attribute::integer("axis", 1)}},
      {"Gemm", "fc", {"flat", "fc.weight", "fc.bias"}, {"fc_out"},
       {Attribute::real("alpha", 1.0f), Attribute::real("beta", 1.0f), Attribute::integer("transB", 1)}},
      {"LogSoftmax", "log_softmax", {"fc_out"}, {"logits"}, {Attribute::integer("axis", 1)}},
  };
  g.outputs = {{"logits", {batch, 3}}};
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_onnx_sample OUT.onnx\n");
    return 2;
  }
  try {
    ember::onnx::save(sample_model(), argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "write_onnx_sample: %s\n", e.what());
    return 1;
  }
  return 0;
}
