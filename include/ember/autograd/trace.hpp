#pragma once
// Tracing: while a trace::Recording is active on a thread, every op that record()s itself
// (autograd/node.hpp; every op calls it, in grad mode or not) is also appended to the
// recording: its name, inputs and output, the profiler scope it ran in (the module path when
// the modules are labelled), and the settings the op names with trace::annotate(). An op that
// returns its input unchanged (dropout in eval, contiguous() of a contiguous tensor) leaves no
// trace: its output is its input. The ONNX exporter (the ember::onnx add-on) turns a recording
// into a graph; the engine knows nothing of ONNX.
//
//   ember::trace::Recording<float> recording;
//   auto y = net(x);                           // recording.ops(): "conv2d", "relu", ...
//
// Costs nothing when no recording is active: one thread-local pointer test per op.

#include <string>
#include <utility>
#include <vector>

#include "ember/autograd/profiler.hpp"
#include "ember/core/tensor.hpp"

namespace ember::trace {

// A setting of a traced op ("stride": {2}, "dim": {1}), as numbers; integers are exact.
struct Setting {
  std::string name;
  std::vector<double> values;
};

// What an op adds to its entry: its settings, and tensors it reads that are not inputs of its
// graph node (batch_norm's running statistics).
template <class T>
struct Annotation {
  std::vector<Setting> settings;
  std::vector<Tensor<T>> reads;
};

// One traced op.
template <class T>
struct Op {
  std::string name;               // as record() names it: "conv2d", "relu", "view"
  std::string scope;              // the innermost profiler scope ("conv1"), "" outside every scope
  std::vector<Tensor<T>> inputs;  // as given to record(): the graph node's inputs
  Tensor<T> output;
  Annotation<T> annotation;

  // The values of setting `key`; null when the op did not name it.
  const std::vector<double>* setting(const std::string& key) const {
    for (const Setting& s : annotation.settings)
      if (s.name == key) return &s.values;
    return nullptr;
  }
};

template <class T>
class Recording;

namespace detail {
template <class T>
Recording<T>*& active_recording() {
  thread_local Recording<T>* recording = nullptr;
  return recording;
}
}  // namespace detail

// The recording active on this thread for element type T, or null.
template <class T>
Recording<T>* active() {
  return detail::active_recording<T>();
}

// Collects the ops of element type T run on the constructing thread, from construction to
// destruction. Recordings nest: the innermost one collects. The entries hold the tensors
// (handles), so the identity of each tensor (Tensor::impl_ptr) stays unique while it lives.
template <class T>
class Recording {
 public:
  Recording() : previous_(detail::active_recording<T>()) { detail::active_recording<T>() = this; }
  ~Recording() { detail::active_recording<T>() = previous_; }
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;

  const std::vector<Op<T>>& ops() const { return ops_; }

  // Called by record(): appends the op.
  void add(const char* name, const Tensor<T>& output, const std::vector<Tensor<T>>& inputs) {
    Op<T> op;
    op.name = name;
    if (const profiler::Profile* profile = profiler::active()) op.scope = profile->current_scope();
    op.inputs = inputs;
    op.output = output;
    ops_.push_back(std::move(op));
  }

  // Attaches `annotation` to the last op when it produced `output` (the op that just ran).
  void annotate_last(const Tensor<T>& output, Annotation<T> annotation) {
    if (!ops_.empty() && ops_.back().output.impl_ptr() == output.impl_ptr())
      ops_.back().annotation = std::move(annotation);
  }

 private:
  Recording* previous_;
  std::vector<Op<T>> ops_;
};

// Called by an op right after its record(): when a recording is active, `describe()` (which
// returns an Annotation<T>) is run and attached to the op's entry. `describe` runs only while
// tracing, so an op pays nothing for its settings otherwise.
template <class T, class Describe>
void annotate(const Tensor<T>& output, Describe describe) {
  if (Recording<T>* recording = active<T>()) recording->annotate_last(output, describe());
}

}  // namespace ember::trace
