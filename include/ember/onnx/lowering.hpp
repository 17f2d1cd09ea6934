#pragma once
// From traced ember ops (autograd/trace.hpp) to ONNX nodes: one table entry per supported op,
// each writing the node(s) of the op's ONNX form into a Graph. What is not in the table is an
// ExportError naming the op, never a guess. Used by export.hpp; opset 13 to 17 semantics
// (Softmax over one axis, Reshape's shape as an input).

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ember/autograd/trace.hpp"
#include "ember/core/error.hpp"
#include "ember/kernels/elementwise.hpp"
#include "ember/onnx/graph.hpp"

namespace ember::onnx {

// A module that cannot be written as an ONNX graph: an op without an ONNX form here, a tensor
// that the trace does not explain, a batch dimension that cannot stay dynamic.
class ExportError : public ValueError {
  using ValueError::ValueError;
};

namespace detail {

// Builds a Graph from traced ops, naming every tensor: the input, parameters and buffers under
// their state-dict names, op outputs after the module that ran them ("conv1", "bn1").
template <class T>
class GraphBuilder {
 public:
  using Op = trace::Op<T>;

  // `constants`: the tensors that become initializers when an op reads them (the module's
  // parameters and buffers), by name. `output_name` is kept free for the graph's output.
  GraphBuilder(const Tensor<T>& input, const std::string& input_name, const std::string& output_name,
               const std::vector<std::pair<std::string, Tensor<T>>>& constants, bool dynamic_batch)
      : dynamic_batch_(dynamic_batch) {
    names_[input.impl_ptr().get()] = input_name;
    taken_[input_name] = 1;
    taken_[output_name] = 1;
    for (const auto& [name, tensor] : constants) {
      constants_.emplace(tensor.impl_ptr().get(), std::make_pair(name, tensor));
      taken_[name] = 1;
    }
  }

  // Adds the node(s) of one traced op. Throws ExportError for an op without an ONNX form or
  // an input the trace does not explain.
  void lower(const Op& op) {
    using Lowering = void (GraphBuilder::*)(const Op&, const char* onnx_type);
    static const std::map<std::string, std::pair<Lowering, const char*>> table = {
        {"conv2d", {&GraphBuilder::conv2d, "Conv"}},
        {"linear", {&GraphBuilder::linear, "Gemm"}},
        {"matmul", {&GraphBuilder::same, "MatMul"}},
        {"relu", {&GraphBuilder::same, "Relu"}},
        {"sigmoid", {&GraphBuilder::same, "Sigmoid"}},
        {"tanh", {&GraphBuilder::same, "Tanh"}},
        {"leaky_relu", {&GraphBuilder::leaky_relu, "LeakyRelu"}},
        {"silu", {&GraphBuilder::silu, "Mul"}},
        {"gelu", {&GraphBuilder::gelu, "Mul"}},
        {"max_pool2d", {&GraphBuilder::pool, "MaxPool"}},
        {"avg_pool2d", {&GraphBuilder::pool, "AveragePool"}},
        {"adaptive_avg_pool2d", {&GraphBuilder::adaptive_avg_pool2d, "GlobalAveragePool"}},
        {"batch_norm", {&GraphBuilder::batch_norm, "BatchNormalization"}},
        {"dropout", {&GraphBuilder::dropout, "Dropout"}},
        {"view", {&GraphBuilder::view, "Reshape"}},
        {"contiguous", {&GraphBuilder::alias, ""}},
        {"clone", {&GraphBuilder::alias, ""}},
        {"transpose", {&GraphBuilder::transpose, "Transpose"}},
        {"cat", {&GraphBuilder::with_axis, "Concat"}},
        {"softmax", {&GraphBuilder::with_axis, "Softmax"}},
        {"log_softmax", {&GraphBuilder::with_axis, "LogSoftmax"}},
        {"add", {&GraphBuilder::same, "Add"}},
        {"sub", {&GraphBuilder::same, "Sub"}},
        {"mul", {&GraphBuilder::same, "Mul"}},
        {"div", {&GraphBuilder::same, "Div"}},
        {"neg", {&GraphBuilder::same, "Neg"}},
        {"exp", {&GraphBuilder::same, "Exp"}},
        {"log", {&GraphBuilder::same, "Log"}},
        {"add_scalar", {&GraphBuilder::with_constant, "Add"}},
        {"mul_scalar", {&GraphBuilder::with_constant, "Mul"}},
        {"pow", {&GraphBuilder::with_constant, "Pow"}},
    };
    const auto it = table.find(op.name);
    if (it == table.end()) {
      std::string supported;
      for (const auto& [name, fn] : table) supported += (supported.empty() ? "" : ", ") + name;
      throw ExportError("onnx::export", "op '" + op.name + "'" + where(op) +
                                            " has no ONNX form in this exporter (it writes: " + supported + ")");
    }
    (this->*(it->second.first))(op, it->second.second);
  }

  // The name of a tensor the graph computes or holds; null for one it does not know.
  const std::string* find(const Tensor<T>& t) const {
    const auto it = names_.find(t.impl_ptr().get());
    return it == names_.end() ? nullptr : &it->second;
  }
  bool is_constant(const Tensor<T>& t) const { return constants_.count(t.impl_ptr().get()) > 0; }

  Graph graph;

 private:
  // ---- names ----------------------------------------------------------------------------
  static std::string where(const Op& op) { return op.scope.empty() ? "" : " (in '" + op.scope + "')"; }

  // `base`, or base_1, base_2, ... when taken: unique among the graph's value names.
  std::string fresh(const std::string& base) {
    for (;;) {
      int& uses = taken_[base];  // how many names base has given (references survive rehashing)
      const std::string name = uses == 0 ? base : base + "_" + std::to_string(uses);
      ++uses;
      if (name == base || taken_.emplace(name, 1).second) return name;  // else base_k was a name of its own
    }
  }

  // The name of input tensor `t` of `op`: the graph input, an op output, or a parameter/buffer
  // (added as an initializer the first time an op reads it).
  std::string input_name(const Op& op, const Tensor<T>& t, std::size_t index) {
    if (const std::string* known = find(t)) return *known;
    const auto c = constants_.find(t.impl_ptr().get());
    EMBER_CHECK(c != constants_.end(), ExportError, "onnx::export", "input ", index, " of '", op.name, "'", where(op),
                " (shape ", t.shape(),
                ") is not the module's input, a parameter, a buffer or the output of a traced op: it was made by code "
                "the trace does not see (register constants as buffers)");
    const auto& [name, tensor] = c->second;
    const Tensor<T> values = kernels::make_contiguous(tensor);
    std::vector<float> data(static_cast<std::size_t>(values.numel()));
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(values.data()[i]);
    graph.initializers.push_back({name, dims_of(tensor.shape()), std::move(data)});
    names_[t.impl_ptr().get()] = name;
    return name;
  }
  std::vector<std::string> input_names(const Op& op) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < op.inputs.size(); ++i) out.push_back(input_name(op, op.inputs[i], i));
    return out;
  }

  // A new float constant (a scalar when dims is empty) under a name derived from `base`.
  std::string constant(const std::string& base, std::vector<std::int64_t> dims, std::vector<float> values) {
    const std::string name = fresh(base);
    graph.initializers.push_back({name, std::move(dims), std::move(values)});
    return name;
  }
  static std::vector<std::int64_t> dims_of(const Shape& s) {
    return std::vector<std::int64_t>(s.begin(), s.end());
  }

  // The base name of an op's node and output: its module path, or the ONNX op type.
  static std::string base_name(const Op& op, const std::string& op_type) {
    return op.scope.empty() ? op_type : op.scope;
  }

  // Adds one node computing `op`'s output (named after it) from `inputs`.
  void emit(const Op& op, const std::string& op_type, std::vector<std::string> inputs,
            std::vector<Attribute> attributes = {}) {
    const std::string out = fresh(base_name(op, op_type));
    graph.nodes.push_back({op_type, out, std::move(inputs), {out}, std::move(attributes)});
    names_[op.output.impl_ptr().get()] = out;
  }
  // Adds a node whose output is an intermediate value of a multi-node op; returns its name.
  std::string emit_step(const Op& op, const std::string& op_type, std::vector<std::string> inputs,
                        std::vector<Attribute> attributes = {}) {
    const std::string out = fresh(base_name(op, op.name) + "/" + op_type);
    graph.nodes.push_back({op_type, out, std::move(inputs), {out}, std::move(attributes)});
    return out;
  }

  // ---- settings --------------------------------------------------------------------------
  const std::vector<double>& setting(const Op& op, const char* key) const {
    const std::vector<double>* v = op.setting(key);
    EMBER_CHECK(v != nullptr && !v->empty(), ExportError, "onnx::export", "op '", op.name, "'", where(op),
                " was traced without its setting '", key, "'");
    return *v;
  }
  std::int64_t integer(const Op& op, const char* key) const {
    return static_cast<std::int64_t>(std::llround(setting(op, key)[0]));
  }
  static Attribute pair(const char* name, std::int64_t a, std::int64_t b) { return Attribute::integers(name, {a, b}); }
  static Attribute quad(const char* name, std::int64_t v) { return Attribute::integers(name, {v, v, v, v}); }

  // ---- the ops ---------------------------------------------------------------------------
  // Each takes the op and the ONNX type of its (last) node, from the table in lower().

  // One node of the same inputs.
  void same(const Op& op, const char* type) { emit(op, type, input_names(op)); }

  // No node: the output is the input under another handle (contiguous, clone).
  void alias(const Op& op, const char*) { names_[op.output.impl_ptr().get()] = input_name(op, op.inputs[0], 0); }

  void conv2d(const Op& op, const char* type) {
    const Shape& w = op.inputs[1].shape();
    const std::int64_t s = integer(op, "stride"), p = integer(op, "padding"), d = integer(op, "dilation");
    emit(op, type, input_names(op),
         {pair("dilations", d, d), Attribute::integer("group", 1), pair("kernel_shape", w[2], w[3]),
          quad("pads", p), pair("strides", s, s)});
  }

  void linear(const Op& op, const char* type) {  // y = x W^T + b
    emit(op, type, input_names(op),
         {Attribute::real("alpha", 1.0f), Attribute::real("beta", 1.0f), Attribute::integer("transB", 1)});
  }

  void leaky_relu(const Op& op, const char* type) {
    emit(op, type, input_names(op),
         {Attribute::real("alpha", static_cast<float>(setting(op, "negative_slope")[0]))});
  }

  void silu(const Op& op, const char* type) {  // x * sigmoid(x)
    const std::string x = input_name(op, op.inputs[0], 0);
    emit(op, type, {x, emit_step(op, "Sigmoid", {x})});
  }

  void gelu(const Op& op, const char* type) {  // x * (1 + erf(x / sqrt 2)) / 2, exact as ember's gelu (Gelu is opset 20)
    const std::string x = input_name(op, op.inputs[0], 0);
    const std::string base = base_name(op, "gelu");
    const std::string scaled = emit_step(op, "Mul", {x, constant(base + ".inv_sqrt2", {}, {0.70710678118654752f})});
    const std::string erf = emit_step(op, "Erf", {scaled});
    const std::string one_plus = emit_step(op, "Add", {erf, constant(base + ".one", {}, {1.0f})});
    const std::string times_x = emit_step(op, "Mul", {x, one_plus});
    emit(op, type, {times_x, constant(base + ".half", {}, {0.5f})});
  }

  void pool(const Op& op, const char* type) {
    const std::int64_t k = integer(op, "kernel_size"), s = integer(op, "stride"), p = integer(op, "padding");
    std::string x = input_name(op, op.inputs[0], 0);
    const bool average = std::string(type) == "AveragePool";
    // ember's average counts the padding zeros (PyTorch's count_include_pad=True). AveragePool's
    // count_include_pad says the same, but OpenCV 4.6 ignores it, so the zeros are padded
    // explicitly, as torch.onnx does: Pad, then AveragePool without pads.
    if (average && p > 0) {
      const std::string pads = fresh(base_name(op, op.name) + ".pads");
      graph.initializers.push_back(Initializer::int64s(pads, {8}, {0, 0, p, p, 0, 0, p, p}));
      x = emit_step(op, "Pad", {x, pads}, {Attribute::text("mode", "constant")});
    }
    emit(op, type, {x}, {pair("kernel_shape", k, k), quad("pads", average ? 0 : p), pair("strides", s, s)});
  }
  void adaptive_avg_pool2d(const Op& op, const char* type) {
    const std::vector<double>& size = setting(op, "output_size");
    const auto oh = static_cast<std::int64_t>(size.at(0)), ow = static_cast<std::int64_t>(size.at(1));
    const Shape& in = op.inputs[0].shape();
    if (oh == 1 && ow == 1) return emit(op, type, input_names(op));
    EMBER_CHECK(in[2] % oh == 0 && in[3] % ow == 0, ExportError, "onnx::export", "adaptive_avg_pool2d", where(op),
                " from ", in[2], "x", in[3], " to ", oh, "x", ow,
                " has windows of different sizes, which ONNX's AveragePool cannot express");
    const std::int64_t kh = in[2] / oh, kw = in[3] / ow;
    emit(op, "AveragePool", input_names(op), {pair("kernel_shape", kh, kw), pair("strides", kh, kw)});
  }

  void batch_norm(const Op& op, const char* type) {
    EMBER_CHECK(integer(op, "training") == 0, ExportError, "onnx::export", "batch_norm", where(op),
                " ran in training mode (batch statistics); export the module in eval mode");
    const auto& reads = op.annotation.reads;
    EMBER_CHECK(reads.size() == 2 && reads[0].defined() && reads[1].defined(), ExportError, "onnx::export",
                "batch_norm", where(op), " was traced without its running statistics");
    const index_t channels = op.inputs[0].size(1);
    std::vector<std::string> in = input_names(op);  // x, then weight and bias when given
    const std::string base = base_name(op, "batch_norm");
    std::size_t next = 1;
    const std::string scale = integer(op, "has_weight") ? in.at(next++)
                                                        : constant(base + ".ones", {channels},
                                                                   std::vector<float>(static_cast<std::size_t>(channels), 1.0f));
    const std::string shift = integer(op, "has_bias") ? in.at(next++)
                                                      : constant(base + ".zeros", {channels},
                                                                 std::vector<float>(static_cast<std::size_t>(channels), 0.0f));
    const std::string mean = input_name(op, reads[0], 3), var = input_name(op, reads[1], 4);
    // ONNX's momentum weighs the old running value (PyTorch's weighs the new one); unused in inference.
    emit(op, type, {in[0], scale, shift, mean, var},
         {Attribute::real("epsilon", static_cast<float>(setting(op, "eps")[0])),
          Attribute::real("momentum", static_cast<float>(1.0 - setting(op, "momentum")[0]))});
  }

  void dropout(const Op& op, const char*) {
    throw ExportError("onnx::export", "dropout" + where(op) + " ran in training mode; export the module in eval mode");
  }

  // view/reshape/flatten: Flatten for [N, ...] -> [N, rest]; otherwise Reshape, with 0 (copy the
  // input's dimension) for a kept batch so that the batch stays dynamic.
  void view(const Op& op, const char* type) {
    const Shape &in = op.inputs[0].shape(), &out = op.output.shape();
    const std::string x = input_name(op, op.inputs[0], 0);
    const bool keeps_batch = in.rank() >= 1 && out.rank() >= 1 && in[0] == out[0];
    if (in.rank() >= 2 && out.rank() == 2 && keeps_batch) return emit(op, "Flatten", {x}, {Attribute::integer("axis", 1)});
    EMBER_CHECK(!dynamic_batch_ || keeps_batch, ExportError, "onnx::export", "a view", where(op), " from ", in, " to ",
                out, " changes the batch dimension, which then cannot stay dynamic (export with a fixed batch)");
    std::vector<std::int64_t> shape = dims_of(out);
    if (dynamic_batch_) shape[0] = 0;
    const std::string name = fresh(base_name(op, "reshape") + ".shape");
    graph.initializers.push_back(Initializer::int64s(name, {static_cast<std::int64_t>(shape.size())}, shape));
    emit(op, type, {x, name});
  }

  void transpose(const Op& op, const char* type) {
    const std::vector<double>& dims = setting(op, "dims");
    std::vector<std::int64_t> perm(static_cast<std::size_t>(op.inputs[0].dim()));
    for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<std::int64_t>(i);
    std::swap(perm.at(static_cast<std::size_t>(dims.at(0))), perm.at(static_cast<std::size_t>(dims.at(1))));
    emit(op, type, input_names(op), {Attribute::integers("perm", perm)});
  }

  // cat, softmax, log_softmax: the dimension as the node's axis.
  void with_axis(const Op& op, const char* type) {
    emit(op, type, input_names(op), {Attribute::integer("axis", integer(op, "dim"))});
  }

  // add_scalar, mul_scalar, pow: the scalar as a constant second input.
  void with_constant(const Op& op, const char* type) {
    const char* key = op.name == "pow" ? "exponent" : "scalar";
    const auto value = static_cast<float>(setting(op, key)[0]);
    const std::string x = input_name(op, op.inputs[0], 0);
    emit(op, type, {x, constant(base_name(op, op.name) + "." + key, {}, {value})});
  }

  bool dynamic_batch_;
  std::unordered_map<const void*, std::string> names_;
  std::unordered_map<const void*, std::pair<std::string, Tensor<T>>> constants_;
  std::unordered_map<std::string, int> taken_;
};

}  // namespace detail
}  // namespace ember::onnx
