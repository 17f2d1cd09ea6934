#pragma once
// A node of the autograd graph: one recorded op, its inputs and its backward rule.
// Ops build their output, then call record() with a closure that maps the gradient
// of the output to the gradients of the inputs.
//
// Ownership: the output tensor owns its node, the node owns its inputs, never the
// other way round, so graphs free themselves. A closure that needs the op's output
// must capture output.detach() (same data, no node) to keep it that way.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/profiler.hpp"
#include "ember/autograd/trace.hpp"
#include "ember/core/tensor.hpp"

namespace ember {

template <class T>
struct Node {
  // Gradients for each input, in order; an undefined Tensor where none is needed.
  using BackwardFn = std::function<std::vector<Tensor<T>>(const Tensor<T>& grad_output, const Node& self)>;

  std::string name;   // the op, for error messages ("matmul")
  std::string scope;  // the profiler scope it was recorded in ("conv1"); empty when not profiling
  std::vector<Tensor<T>> inputs;
  BackwardFn backward;  // cleared after use unless the graph is retained

  // Lets a backward rule skip work for inputs that need no gradient.
  bool needs_grad(std::size_t i) const { return inputs[i].requires_grad(); }
  bool released() const { return !backward; }
  void release() { backward = nullptr; }  // frees whatever the closure saved
};

// Attaches a graph node to `output` when grad mode is on and any input requires grad. While a
// trace::Recording is active the op is also traced, in any grad mode.
template <class T>
Tensor<T> record(const char* name, Tensor<T> output, std::vector<Tensor<T>> inputs,
                 typename Node<T>::BackwardFn backward) {
  if (trace::Recording<T>* recording = trace::active<T>()) recording->add(name, output, inputs);
  if (!GradMode::is_enabled()) return output;
  bool any = false;
  for (const auto& in : inputs) any = any || in.requires_grad();
  if (!any) return output;
  auto node = std::make_shared<Node<T>>();
  node->name = name;
  if (auto* profile = profiler::active()) node->scope = profile->current_scope();
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  output.impl_ptr()->grad_fn = std::move(node);
  output.impl_ptr()->requires_grad = true;
  return output;
}

}  // namespace ember
