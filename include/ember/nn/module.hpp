#pragma once
// Module: the base of every layer and network, in the style of LibTorch's C++ frontend.
// A module registers its parameters, buffers and submodules by name; named_parameters()
// gives PyTorch's dotted names ("conv1.weight", "0.bias"), train()/eval() switch the mode
// of the whole tree, and operator() runs forward().
//
//   struct Net : ember::nn::Module<float> {
//     ember::nn::Linear<float> fc1{784, 128}, fc2{128, 10};
//     Net() { register_module("fc1", fc1); register_module("fc2", fc2); }
//     ember::Tensor<float> forward(const ember::Tensor<float>& x) override {
//       return fc2(ember::relu(fc1(x)));
//     }
//   };
//
// Submodules held as members are registered by reference; Sequential owns its layers.
// Modules are neither copyable nor movable: the tree holds pointers into them.

#include <algorithm>
#include <array>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/profiler.hpp"
#include "ember/core/error.hpp"
#include "ember/core/tensor.hpp"

namespace ember::nn {

template <class T>
class Module;

namespace detail {

// One line of Module::summary(): a module call seen while the summary runs.
template <class T>
struct SummaryRow {
  const Module<T>* module;
  Shape output;
};

template <class T>
struct SummaryRecorder {
  const Module<T>* root = nullptr;
  std::vector<SummaryRow<T>> rows;
  bool error_annotated = false;
};

template <class T>
SummaryRecorder<T>*& active_recorder() {
  thread_local SummaryRecorder<T>* recorder = nullptr;
  return recorder;
}

}  // namespace detail

template <class T = float>
class Module {
 public:
  using TensorT = Tensor<T>;
  template <class V>
  using Named = std::vector<std::pair<std::string, V>>;

  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  // The computation. Layers with one input override this; operator() calls it.
  virtual TensorT forward(const TensorT& /*input*/) {
    throw ValueError(type_name(), "forward(input) is not implemented by this module");
  }

  // Runs forward(); timed under the module's label while a profile that names it is active.
  TensorT operator()(const TensorT& input) {
    const profiler::Profile* profile = profiler::active();
    if (const std::string* label = profile ? profile->label_of(this) : nullptr) {
      profiler::Scope scope(*label);
      return call(input);
    }
    return call(input);
  }

 private:
  // forward(), seen by summary() when it records.
  TensorT call(const TensorT& input) {
    auto* recorder = detail::active_recorder<T>();
    if (!recorder) return forward(input);
    try {
      TensorT out = forward(input);
      recorder->rows.push_back({this, out.shape()});
      return out;
    } catch (const ShapeError& e) {  // name the innermost layer that failed, once
      if (recorder->error_annotated) throw;
      recorder->error_annotated = true;
      throw ShapeError("summary", "layer '" + recorder->root->path_of(this) + "' (" + describe() +
                                      ") with input of shape " + input.shape().to_string() + ": " + e.what());
    }
  }

 public:
  // "Conv2d(1, 32, kernel_size=3, stride=1)": the type and its settings, as PyTorch prints them.
  virtual std::string describe() const { return type_name(); }
  virtual std::string type_name() const { return "Module"; }

  // ---- registration --------------------------------------------------------------------
  // Returns the tensor (a handle: the module and the caller share it).
  TensorT register_parameter(const std::string& name, TensorT tensor, bool requires_grad = true) {
    check_new_name(name);
    if (requires_grad) tensor.requires_grad_();
    parameters_.emplace_back(name, tensor);
    return tensor;
  }
  TensorT register_buffer(const std::string& name, TensorT tensor) {
    check_new_name(name);
    buffers_.emplace_back(name, tensor);
    return tensor;
  }
  // A submodule that lives as long as this module (typically a data member).
  template <class M>
  M& register_module(const std::string& name, M& module) {
    check_new_name(name);
    EMBER_CHECK(static_cast<const Module*>(&module) != this, ValueError, "register_module",
                "a module cannot contain itself");
    children_.emplace_back(name, &module);
    return module;
  }
  // A submodule owned by this module.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    EMBER_CHECK(module != nullptr, ValueError, "register_module", "module '", name, "' is null");
    register_module(name, *module);
    owned_.push_back(module);
    return module;
  }

  // ---- traversal -----------------------------------------------------------------------
  // Parameters of this module and (recursively) its submodules, in registration order,
  // with dotted names.
  Named<TensorT> named_parameters(bool recurse = true) const {
    Named<TensorT> out;
    collect(out, "", recurse, [](const Module& m) -> const Named<TensorT>& { return m.parameters_; });
    return out;
  }
  Named<TensorT> named_buffers(bool recurse = true) const {
    Named<TensorT> out;
    collect(out, "", recurse, [](const Module& m) -> const Named<TensorT>& { return m.buffers_; });
    return out;
  }
  std::vector<TensorT> parameters(bool recurse = true) const {
    std::vector<TensorT> out;
    for (auto& [name, p] : named_parameters(recurse)) out.push_back(p);
    return out;
  }
  const Named<Module*>& named_children() const { return children_; }
  // This module ("") and every descendant, with dotted names.
  Named<const Module*> named_modules() const {
    Named<const Module*> out{{"", this}};
    for (auto& [name, child] : children_)
      for (auto& [sub, m] : child->named_modules()) out.emplace_back(sub.empty() ? name : name + "." + sub, m);
    return out;
  }

  index_t num_parameters() const {
    index_t n = 0;
    for (auto& p : parameters()) n += p.numel();
    return n;
  }

  // ---- mode and gradients --------------------------------------------------------------
  void train(bool on = true) {
    training_ = on;
    for (auto& [name, child] : children_) child->train(on);
  }
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Zeroes every parameter's gradient in place (buffers are kept: no allocation per step).
  void zero_grad() {
    for (auto& p : parameters()) p.zero_grad();
  }

  // ---- summary -------------------------------------------------------------------------
  // Runs a zero input of `input_shape` through the module (eval mode, no graph) and prints
  // one line per layer: name, type, output shape, parameter count. A layer whose input
  // does not fit raises a ShapeError naming the layer. Returns the output shape.
  Shape summary(const Shape& input_shape, std::ostream& os) {
    detail::SummaryRecorder<T> recorder;
    recorder.root = this;
    const bool was_training = training_;
    eval();
    NoGradGuard no_grad;
    detail::active_recorder<T>() = &recorder;
    struct Restore {  // also on exceptions
      Module* self;
      bool training;
      ~Restore() {
        detail::active_recorder<T>() = nullptr;
        self->train(training);
      }
    } restore{this, was_training};
    TensorT out = (*this)(TensorT::zeros(input_shape));
    print_summary(recorder, input_shape, os);
    return out.shape();
  }

  // Dotted name of a descendant ("" for this module itself).
  std::string path_of(const Module* descendant) const {
    for (auto& [path, m] : named_modules())
      if (m == descendant) return path.empty() ? "<root>" : path;
    return "?";
  }

 protected:
  bool training_ = true;

 private:
  void check_new_name(const std::string& name) const {
    EMBER_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError, "register",
                "invalid name '", name, "' (must be non-empty and contain no '.')");
    auto taken = [&](const auto& list) {
      for (auto& entry : list)
        if (entry.first == name) return true;
      return false;
    };
    EMBER_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_), ValueError, "register",
                "name '", name, "' is already used in ", type_name());
  }

  template <class Getter>
  void collect(Named<TensorT>& out, const std::string& prefix, bool recurse, Getter get) const {
    for (auto& [name, t] : get(*this)) out.emplace_back(prefix + name, t);
    if (!recurse) return;
    for (auto& [name, child] : children_) child->collect(out, prefix + name + ".", true, get);
  }

  // Leaf layers in call order, with their own parameter counts.
  void print_summary(const detail::SummaryRecorder<T>& recorder, const Shape& input_shape, std::ostream& os) const {
    std::vector<std::array<std::string, 4>> lines{{"Layer", "Type", "Output shape", "Params"},
                                                  {"(input)", "", input_shape.to_string(), ""}};
    for (auto& row : recorder.rows)
      if (row.module->children_.empty())
        lines.push_back({path_of(row.module), row.module->describe(), row.output.to_string(),
                         std::to_string(row.module->num_parameters())});
    std::array<std::size_t, 4> width{};
    for (auto& line : lines)
      for (std::size_t c = 0; c < 4; ++c) width[c] = std::max(width[c], line[c].size());
    for (auto& line : lines) {
      for (std::size_t c = 0; c < 3; ++c) os << line[c] << std::string(width[c] - line[c].size() + 2, ' ');
      os << std::string(width[3] - line[3].size(), ' ') << line[3] << "\n";  // numbers right-aligned
    }
    os << "Total parameters: " << num_parameters() << "\n";
  }

  Named<TensorT> parameters_;
  Named<TensorT> buffers_;
  Named<Module*> children_;
  std::vector<std::shared_ptr<void>> owned_;
};

// Names every module below `root` in `profile` by its dotted path ("conv1", "block.0"), so that
// its forward calls are timed and its graph nodes labelled. The root itself stays unnamed.
template <class T>
void label_modules(profiler::Profile& profile, const Module<T>& root) {
  for (auto& [path, module] : root.named_modules())
    if (!path.empty()) profile.set_label(module, path);
}

}  // namespace ember::nn
