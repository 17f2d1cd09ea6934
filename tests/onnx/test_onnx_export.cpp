// ember::onnx::to_model / export_module: the graph traced from a module (nodes, names,
// attributes, initializers under PyTorch's names, a dynamic batch), the module left as it was,
// and every way an export fails (a typed error naming the op or the tensor, no file written).
// Whether runtimes compute the same numbers: check_onnx_export.py (ctest onnx.export).
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <set>

#include <ember/ember.hpp>
#include <ember/onnx.hpp>

#include "mnist/model.hpp"
#include "onnx/zoo.hpp"

using Catch::Matchers::Contains;
using ember::Shape;
using ember::Tensor;
namespace onnx = ember::onnx;

namespace {

std::vector<std::string> op_types(const onnx::Model& m) {
  std::vector<std::string> out;
  for (const auto& n : m.graph.nodes) out.push_back(n.op_type);
  return out;
}

std::vector<std::string> initializer_names(const onnx::Model& m) {
  std::vector<std::string> out;
  for (const auto& t : m.graph.initializers) out.push_back(t.name);
  return out;
}

const onnx::Node& node(const onnx::Model& m, const std::string& name) {
  for (const auto& n : m.graph.nodes)
    if (n.name == name) return n;
  FAIL("no node " << name);
  throw;
}

const onnx::Attribute& attribute(const onnx::Node& n, const std::string& name) {
  for (const auto& a : n.attributes)
    if (a.name == name) return a;
  FAIL("node " << n.name << " has no attribute " << name);
  throw;
}

const onnx::Initializer& initializer(const onnx::Model& m, const std::string& name) {
  for (const auto& t : m.graph.initializers)
    if (t.name == name) return t;
  FAIL("no initializer " << name);
  throw;
}

Tensor<float> mnist_batch() { return ember::zeros<float>(Shape{2, 1, 28, 28}); }

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A module whose forward is a function given at construction.
template <class F>
struct Lambda : ember::nn::Module<float> {
  F f;
  ember::Tensor<float> weight;
  explicit Lambda(F fn) : f(fn) { weight = register_parameter("weight", ember::ones<float>(Shape{3})); }
  Tensor<float> forward(const Tensor<float>& x) override { return f(x, weight); }
};
template <class F>
Lambda<F> lambda(F f) {
  return Lambda<F>(f);
}

}  // namespace

TEST_CASE("the reference CNN exports as PyTorch's nodes with its parameters as initializers", "[onnx][export]") {
  ember::Generator gen(1);
  mnist::Net<float> net(gen);
  const onnx::Model m = onnx::to_model(net, mnist_batch());
  CHECK(op_types(m) ==
        std::vector<std::string>{"Conv", "Relu", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"});
  std::vector<std::string> parameters;
  for (const auto& [name, p] : net.named_parameters()) parameters.push_back(name);
  CHECK(initializer_names(m) == parameters);  // conv1.weight ... fc2.bias, PyTorch's names
  CHECK(m.opset == 17);
  CHECK(m.ir_version == 8);

  REQUIRE(m.graph.inputs.size() == 1);
  CHECK(m.graph.inputs[0].name == "input");
  REQUIRE(m.graph.inputs[0].shape.size() == 4);
  CHECK(m.graph.inputs[0].shape[0].name == "batch");
  CHECK(m.graph.inputs[0].shape[3].size == 28);
  REQUIRE(m.graph.outputs.size() == 1);
  CHECK(m.graph.outputs[0].name == "logits");
  CHECK(m.graph.outputs[0].shape[0].name == "batch");
  CHECK(m.graph.outputs[0].shape[1].size == 10);
  CHECK(m.graph.nodes.back().outputs == std::vector<std::string>{"logits"});

  const onnx::Node& conv1 = node(m, "conv1");
  CHECK(conv1.inputs == std::vector<std::string>{"input", "conv1.weight", "conv1.bias"});
  CHECK(attribute(conv1, "kernel_shape").ints == std::vector<std::int64_t>{3, 3});
  CHECK(attribute(conv1, "strides").ints == std::vector<std::int64_t>{1, 1});
  CHECK(attribute(conv1, "pads").ints == std::vector<std::int64_t>{0, 0, 0, 0});
  CHECK(attribute(conv1, "dilations").ints == std::vector<std::int64_t>{1, 1});
  CHECK(attribute(node(m, "pool"), "kernel_shape").ints == std::vector<std::int64_t>{2, 2});
  CHECK(attribute(node(m, "fc1"), "transB").i == 1);
  CHECK(attribute(node(m, "flatten"), "axis").i == 1);

  const onnx::Initializer& w = initializer(m, "fc1.weight");
  CHECK(w.dims == std::vector<std::int64_t>{128, 9216});
  REQUIRE(w.values.size() == 128u * 9216u);
  CHECK(w.values[12345] == net.fc1.weight.data()[12345]);
}

TEST_CASE("the bn CNN exports BatchNormalization with its running statistics", "[onnx][export]") {
  ember::Generator gen(2);
  mnist::BnNet<float> net(gen);
  const onnx::Model m = onnx::to_model(net, mnist_batch());
  const std::vector<std::string> types = op_types(m);
  CHECK(std::count(types.begin(), types.end(), "BatchNormalization") == 5);
  CHECK(std::count(types.begin(), types.end(), "Dropout") == 0);  // the identity in eval
  CHECK(types[types.size() - 3] == "GlobalAveragePool");
  const onnx::Node& bn3 = node(m, "bn3");
  CHECK(bn3.inputs == std::vector<std::string>{"conv3", "bn3.weight", "bn3.bias", "bn3.running_mean", "bn3.running_var"});
  CHECK(attribute(bn3, "epsilon").f == Approx(1e-5));
  CHECK(node(m, "conv5").inputs == std::vector<std::string>{"pool2", "conv5.weight"});  // no bias
  const std::vector<std::string> names = initializer_names(m);
  CHECK(std::find(names.begin(), names.end(), "bn1.num_batches_tracked") == names.end());  // no op reads it
  CHECK(names.size() == 5 + 5 * 4 + 2);
}

TEST_CASE("exporting leaves the module as it was", "[onnx][export]") {
  ember::Generator gen(3);
  mnist::BnNet<float> net(gen);
  net.train();
  const std::vector<float> before(net.bn1.running_mean.data(), net.bn1.running_mean.data() + 32);
  onnx::to_model(net, ember::uniform<float>(Shape{4, 1, 28, 28}, -1, 1, gen));
  CHECK(net.is_training());
  CHECK(net.bn1.is_training());
  CHECK(std::vector<float>(net.bn1.running_mean.data(), net.bn1.running_mean.data() + 32) == before);
  CHECK(net.bn1.num_batches_tracked.data()[0] == 0.0f);
  CHECK(ember::trace::active<float>() == nullptr);
  CHECK(ember::profiler::active() == nullptr);
}

TEST_CASE("the op zoo exports every supported op", "[onnx][export]") {
  ember::Generator gen(4);
  onnx_test::Zoo<float> zoo(gen);
  const onnx::Model m = onnx::to_model(zoo, ember::zeros<float>(Shape{2, 3, 12, 12}));
  const std::vector<std::string> types = op_types(m);
  const std::set<std::string> present(types.begin(), types.end());
  for (const char* t : {"Conv", "BatchNormalization", "LeakyRelu", "Tanh", "Sigmoid", "Mul", "Concat", "Pad",
                        "AveragePool", "MaxPool", "Erf", "Relu", "GlobalAveragePool", "Flatten", "Transpose", "Reshape",
                        "Gemm", "MatMul", "Add", "Sub", "Div", "Neg", "Exp", "Log", "Pow", "Softmax", "LogSoftmax"})
    CHECK(present.count(t) == 1);
  // AvgPool2d(3, 1, 1): the zeros padded by a Pad node, an AveragePool without pads.
  const onnx::Node& avg = node(m, "avg_pool");
  CHECK(attribute(avg, "pads").ints == std::vector<std::int64_t>{0, 0, 0, 0});
  const onnx::Initializer& pads = initializer(m, "avg_pool.pads");
  CHECK(pads.int64);
  CHECK(pads.int64_values == std::vector<std::int64_t>{0, 0, 1, 1, 0, 0, 1, 1});
  // BatchNorm2d without affine parameters: ones and zeros in their place.
  const onnx::Node& plain = node(m, "plain_norm");
  CHECK(plain.inputs[1] == "plain_norm.ones");
  CHECK(initializer(m, "plain_norm.zeros").values == std::vector<float>(4, 0.0f));
  CHECK(attribute(plain, "epsilon").f == Approx(1e-3));
  // reshape(t, {-1, 8, 9}) keeps the batch dynamic: 0 copies the input's first dimension.
  CHECK(initializer(m, "reshape.shape").int64_values == std::vector<std::int64_t>{0, 8, 9});
  CHECK(attribute(node(m, "Transpose"), "perm").ints == std::vector<std::int64_t>{0, 1, 3, 2});
  CHECK(attribute(node(m, "adaptive"), "kernel_shape").ints == std::vector<std::int64_t>{2, 2});
  CHECK(attribute(node(m, "leaky"), "alpha").f == Approx(0.2));
  CHECK(node(m, "head").inputs.size() == 2);  // Linear without bias
}

TEST_CASE("a double module exports as float", "[onnx][export]") {
  ember::Generator gen(5);
  mnist::Net<double> net(gen);
  const onnx::Model m = onnx::to_model(net, ember::zeros<double>(Shape{2, 1, 28, 28}));
  CHECK(initializer(m, "conv1.weight").values[7] == static_cast<float>(net.conv1.weight.data()[7]));
}

TEST_CASE("export_module writes the file that serialize gives", "[onnx][export]") {
  ember::Generator gen(6);
  mnist::Net<float> net(gen);
  const std::string path = "ember_test_export.onnx";
  onnx::export_module(net, mnist_batch(), path);
  CHECK(read_file(path) == onnx::serialize(onnx::to_model(net, mnist_batch())));
  std::remove(path.c_str());
}

TEST_CASE("an op without an ONNX form is an ExportError naming it", "[onnx][export]") {
  auto m = lambda([](const Tensor<float>& x, const Tensor<float>& w) { return ember::sum(x * w, 1); });
  CHECK_THROWS_AS(onnx::to_model(m, ember::ones<float>(Shape{2, 3})), onnx::ExportError);
  CHECK_THROWS_WITH(onnx::to_model(m, ember::ones<float>(Shape{2, 3})),
                    Contains("op 'sum'") && Contains("has no ONNX form") && Contains("conv2d"));
  auto loss = lambda([](const Tensor<float>& x, const Tensor<float>& w) {
    return ember::mse_loss(x * w, ember::zeros<float>(Shape{2, 3}));
  });
  CHECK_THROWS_WITH(onnx::to_model(loss, ember::ones<float>(Shape{2, 3})), Contains("op 'mse_loss'"));
}

TEST_CASE("a tensor the trace cannot explain is an ExportError", "[onnx][export]") {
  // A constant made inside forward: its values would be baked in from the example; refused.
  auto m = lambda([](const Tensor<float>& x, const Tensor<float>&) { return x + ember::ones<float>(Shape{3}); });
  CHECK_THROWS_WITH(onnx::to_model(m, ember::ones<float>(Shape{2, 3})),
                    Contains("input 1 of 'add'") && Contains("register constants as buffers"));
  // A copy made by hand (no op): the same.
  auto copy = lambda([](const Tensor<float>& x, const Tensor<float>& w) { return ember::relu(x.detach()) * w; });
  CHECK_THROWS_AS(onnx::to_model(copy, ember::ones<float>(Shape{2, 3})), onnx::ExportError);
}

TEST_CASE("outputs that cannot be exported are ExportErrors", "[onnx][export]") {
  auto identity = lambda([](const Tensor<float>& x, const Tensor<float>&) { return ember::dropout(x, 0.5, false); });
  CHECK_THROWS_WITH(onnx::to_model(identity, ember::ones<float>(Shape{2, 3})), Contains("returns its input unchanged"));
  auto parameter = lambda([](const Tensor<float>&, const Tensor<float>& w) { return w; });
  CHECK_THROWS_WITH(onnx::to_model(parameter, ember::ones<float>(Shape{2, 3})), Contains("not computed by traced"));
  // The batch merged into another dimension: not dynamic, unless asked for a fixed batch.
  auto merge = lambda([](const Tensor<float>& x, const Tensor<float>& w) { return ember::view(x * w, {-1}); });
  CHECK_THROWS_WITH(onnx::to_model(merge, ember::ones<float>(Shape{2, 3})),
                    Contains("changes the batch dimension") && Contains("fixed batch"));
  onnx::ExportOptions fixed;
  fixed.dynamic_batch = false;
  const onnx::Model m = onnx::to_model(merge, ember::ones<float>(Shape{2, 3}), fixed);
  CHECK(m.graph.inputs[0].shape[0].size == 2);
  CHECK(m.graph.outputs[0].shape[0].size == 6);
  CHECK(initializer(m, "reshape.shape").int64_values == std::vector<std::int64_t>{6});
}

TEST_CASE("batch_norm in training mode and dropout in training mode are refused", "[onnx][export]") {
  auto bn = lambda([](const Tensor<float>& x, const Tensor<float>& w) {
    return ember::batch_norm(x, Tensor<float>(), Tensor<float>(), w, Tensor<float>(), true);
  });
  CHECK_THROWS_WITH(onnx::to_model(bn, ember::uniform<float>(Shape{4, 3}, 0, 1, ember::default_generator())),
                    Contains("batch_norm") && Contains("training mode"));
  auto drop = lambda([](const Tensor<float>& x, const Tensor<float>& w) { return ember::dropout(x * w, 0.5, true); });
  CHECK_THROWS_WITH(onnx::to_model(drop, ember::ones<float>(Shape{2, 3})), Contains("dropout") && Contains("training mode"));
}

TEST_CASE("an input the module rejects is a ShapeError naming the layer", "[onnx][export]") {
  ember::Generator gen(8);
  mnist::Net<float> net(gen);
  CHECK_THROWS_AS(onnx::to_model(net, ember::zeros<float>(Shape{2, 3, 28, 28})), ember::ShapeError);
  CHECK_THROWS_WITH(onnx::to_model(net, ember::zeros<float>(Shape{2, 3, 28, 28})),
                    Contains("onnx::export") && Contains("[2, 3, 28, 28]") && Contains("input channels"));
  CHECK_THROWS_AS(onnx::to_model(net, Tensor<float>()), ember::ShapeError);
  CHECK_THROWS_AS(onnx::to_model(net, ember::zeros<float>(Shape{0, 1, 28, 28})), ember::ShapeError);
  onnx::ExportOptions bad;
  bad.opset = 12;
  CHECK_THROWS_AS(onnx::to_model(net, mnist_batch(), bad), ember::ValueError);
  bad = {};
  bad.output_name = "input";
  CHECK_THROWS_AS(onnx::to_model(net, mnist_batch(), bad), ember::ValueError);
}

TEST_CASE("a failed export writes nothing and keeps the old file", "[onnx][export]") {
  ember::Generator gen(9);
  mnist::Net<float> net(gen);
  CHECK_THROWS_AS(onnx::export_module(net, mnist_batch(), "no-such-directory/model.onnx"), ember::FormatError);
  CHECK_FALSE(file_exists("no-such-directory/model.onnx"));
  const std::string path = "ember_test_export_kept.onnx";
  std::ofstream(path) << "old";
  auto unsupported = lambda([](const Tensor<float>& x, const Tensor<float>& w) { return ember::mean(x * w); });
  CHECK_THROWS_AS(onnx::export_module(unsupported, ember::ones<float>(Shape{2, 3}), path), onnx::ExportError);
  CHECK(read_file(path) == "old");
  std::remove(path.c_str());
}

TEST_CASE("value names stay unique when module names look like generated ones", "[onnx][export]") {
  struct Clash : ember::nn::Module<float> {
    ember::nn::ReLU<float> relu_module;
    ember::nn::Linear<float> logits_layer{3, 3}, out{3, 2};
    Clash() {
      register_module("Relu_1", relu_module);  // what the second bare relu would be called
      register_module("logits", logits_layer);  // the graph output's name, but not the output
      register_module("out", out);
    }
    Tensor<float> forward(const Tensor<float>& x) override {
      return out(logits_layer(relu_module(ember::relu(ember::relu(x)))));
    }
  } net;
  const onnx::Model m = onnx::to_model(net, ember::ones<float>(Shape{2, 3}));
  std::set<std::string> values;
  for (const auto& n : m.graph.nodes)
    for (const auto& o : n.outputs) CHECK(values.insert(o).second);
  CHECK(values.count("Relu_1_1") == 1);
  CHECK(values.count("logits_1") == 1);
  CHECK(m.graph.nodes.back().name == "out");
  CHECK(m.graph.nodes.back().outputs[0] == "logits");
}
