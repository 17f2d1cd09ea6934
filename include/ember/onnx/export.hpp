#pragma once
// ember modules as ONNX files: one forward pass of an example input in eval mode, traced
// (autograd/trace.hpp), becomes the graph; the parameters and buffers it reads become
// initializers under their state-dict (PyTorch) names; the input is `input` and the output
// `logits`, both with a symbolic batch dimension.
//
//   mnist::BnNet<float> net;  ...                       // trained, or loaded with io::load_model
//   ember::onnx::export_module(net, ember::Tensor<float>::zeros({2, 1, 28, 28}), "model.onnx");
//
// What it writes: Conv, Gemm (Linear), MatMul, BatchNormalization (eval), MaxPool, AveragePool,
// GlobalAveragePool, Flatten/Reshape, Transpose, Concat, Relu, LeakyRelu, Sigmoid, Tanh, SiLU and
// GELU (as their formulas), Softmax, LogSoftmax, Add/Sub/Mul/Div, Neg, Exp, Log, Pow; dropout in
// eval is the identity and leaves no node. Anything else is an ExportError naming the op.

#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/profiler.hpp"
#include "ember/autograd/trace.hpp"
#include "ember/nn/module.hpp"
#include "ember/onnx/graph.hpp"
#include "ember/onnx/lowering.hpp"

namespace ember::onnx {

struct ExportOptions {
  std::string input_name = "input";
  std::string output_name = "logits";
  std::string batch_name = "batch";  // the symbolic first dimension of the input and the output
  bool dynamic_batch = true;         // false: the example's batch size is written into the file
  std::int64_t opset = 17;           // 13 to 17
};

namespace detail {

// Keeps only the nodes and initializers that the graph's outputs need.
inline void prune(Graph& g) {
  std::unordered_set<std::string> needed;
  for (const auto& v : g.outputs) needed.insert(v.name);
  std::vector<Node> kept;
  for (auto it = g.nodes.rbegin(); it != g.nodes.rend(); ++it) {
    bool used = false;
    for (const auto& o : it->outputs) used = used || needed.count(o) > 0;
    if (!used) continue;
    for (const auto& i : it->inputs) needed.insert(i);
    kept.push_back(std::move(*it));
  }
  g.nodes.assign(std::make_move_iterator(kept.rbegin()), std::make_move_iterator(kept.rend()));
  std::vector<Initializer> initializers;
  for (auto& t : g.initializers)
    if (needed.count(t.name)) initializers.push_back(std::move(t));
  g.initializers = std::move(initializers);
}

// Renames value `from` to `to` wherever a node reads or writes it.
inline void rename_value(Graph& g, const std::string& from, const std::string& to) {
  for (auto& n : g.nodes) {
    for (auto& i : n.inputs)
      if (i == from) i = to;
    for (auto& o : n.outputs)
      if (o == from) o = to;
  }
}

template <class T>
std::vector<Dimension> value_shape(const Shape& s, const ExportOptions& options) {
  std::vector<Dimension> dims(s.begin(), s.end());
  if (options.dynamic_batch) dims[0] = Dimension::symbolic(options.batch_name);
  return dims;
}

// Restores the module's train/eval mode when the export ends, also on exceptions.
template <class T>
struct ModeRestorer {
  nn::Module<T>& module;
  bool training;
  ~ModeRestorer() { module.train(training); }
};

}  // namespace detail

// The traced graph of `module` applied to `example_input` ([N, ...], N >= 1; N >= 2 makes a
// dimension that equals the batch by chance less likely), as an ONNX model. The module runs in
// eval mode without gradients and gets its mode back. Requires a module whose forward uses ember
// ops only on the input, its parameters and buffers. Throws ExportError for an op without an ONNX
// form, a tensor the trace does not explain, an output that is not batch-first (dynamic batch);
// ShapeError (naming the module's layer when it can) when the forward rejects the input; ValueError
// for bad options.
template <class T>
Model to_model(nn::Module<T>& module, const Tensor<T>& example_input, const ExportOptions& options = {}) {
  const char* op = "onnx::export";
  EMBER_CHECK(options.opset >= 13 && options.opset <= 17, ValueError, op, "expected an opset in [13, 17], got ",
              options.opset);
  EMBER_CHECK(!options.input_name.empty() && !options.output_name.empty() && options.input_name != options.output_name,
              ValueError, op, "expected distinct, non-empty input and output names, got '", options.input_name,
              "' and '", options.output_name, "'");
  EMBER_CHECK(example_input.defined() && example_input.dim() >= 1 && example_input.size(0) >= 1, ShapeError, op,
              "expected an example input of shape [N, ...] with N >= 1, got ",
              example_input.defined() ? example_input.shape().to_string() : std::string("an undefined tensor"));

  detail::ModeRestorer<T> restore{module, module.is_training()};
  module.eval();
  NoGradGuard no_grad;
  profiler::Profile profile;  // names each op after the module that ran it
  nn::label_modules(profile, module);
  trace::Recording<T> recording;
  Tensor<T> output;
  try {
    output = module(example_input);
  } catch (const ShapeError& e) {
    throw ShapeError(op, "the module's forward rejects an input of shape " + example_input.shape().to_string() +
                             ": " + e.what());
  }

  std::vector<std::pair<std::string, Tensor<T>>> constants = module.named_parameters();
  for (auto& b : module.named_buffers()) constants.push_back(b);
  detail::GraphBuilder<T> builder(example_input, options.input_name, options.output_name, constants,
                                  options.dynamic_batch);
  for (const trace::Op<T>& traced : recording.ops()) builder.lower(traced);

  EMBER_CHECK(output.defined(), ExportError, op, "the module returned an undefined tensor");
  const std::string* computed = builder.find(output);
  EMBER_CHECK(computed != nullptr && !builder.is_constant(output), ExportError, op,
              "the module's output (shape ", output.shape(), ") is not computed by traced ember ops");
  EMBER_CHECK(*computed != options.input_name, ExportError, op, "the module returns its input unchanged");
  EMBER_CHECK(!options.dynamic_batch || (output.dim() >= 1 && output.size(0) == example_input.size(0)), ExportError,
              op, "the output of shape ", output.shape(), " does not keep the batch of the input ",
              example_input.shape(), " first, so the batch cannot stay dynamic (export with a fixed batch)");

  Model model;
  model.opset = options.opset;
  model.graph = std::move(builder.graph);
  detail::rename_value(model.graph, *computed, options.output_name);
  model.graph.inputs = {{options.input_name, detail::value_shape<T>(example_input.shape(), options)}};
  model.graph.outputs = {{options.output_name, detail::value_shape<T>(output.shape(), options)}};
  detail::prune(model.graph);
  detail::check_graph(model.graph);
  return model;
}

// to_model(), written to `path` atomically: the old file or the whole new one, never a part.
// Throws what to_model throws (nothing is written then), FormatError when the file cannot be written.
template <class T>
void export_module(nn::Module<T>& module, const Tensor<T>& example_input, const std::string& path,
                   const ExportOptions& options = {}) {
  save(to_model(module, example_input, options), path);
}

}  // namespace ember::onnx
