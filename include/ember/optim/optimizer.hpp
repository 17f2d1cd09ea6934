#pragma once
// Optimizer<T>: the base of SGD, Adam, AdamW and Adadelta, in the style of torch.optim.
//
//   ember::optim::SGD<float> opt(net.parameters(), {0.01, 0.9});
//   for (...) {
//     opt.zero_grad();
//     auto loss = ember::cross_entropy(net(x), y);
//     loss.backward();
//     opt.step();
//   }
//
// The optimizer holds handles to the parameters (they share storage with the module) and
// updates their data in place, with recording off. Parameters whose gradient is undefined
// are skipped, as in PyTorch: they do not move and get no state.
//
// Per-parameter state (momentum, moment estimates) is created at a parameter's first
// update and then reused, so a step allocates nothing once every parameter has been updated.
//
// state_dict() / load_state_dict() carry everything needed to continue a run exactly:
//   "step"               one element: the number of step() calls
//   "lr"                 one element: the learning rate (at precision T, see effective_lr())
//   "<i>.<buffer>"       parameter i's buffers ("0.momentum_buffer", "3.exp_avg", ...), only
//                        for parameters that already have state, each of the parameter's shape
//   "<i>.step"           one element, for optimizers that count updates per parameter (Adam)
// A freshly built optimizer (same parameters, same options) that loads the dict continues
// bit for bit as the original would have.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/core/error.hpp"
#include "ember/core/tensor.hpp"

namespace ember::optim {

template <class T = float>
class Optimizer {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "Optimizer<T>: T must be float or double");

 public:
  using TensorT = Tensor<T>;
  using StateDict = std::vector<std::pair<std::string, TensorT>>;

  virtual ~Optimizer() = default;
  // The state holds tensor handles: a copy would share (and corrupt) them. Schedulers keep
  // a reference, so an optimizer does not move either.
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // "SGD", "Adam", ...: the prefix of error messages.
  const std::string& name() const { return name_; }
  const std::vector<TensorT>& params() const { return params_; }

  double lr() const { return lr_; }
  void set_lr(double lr) {
    check_lr(name_, lr);
    lr_ = lr;
  }
  // The momentum term a scheduler may cycle, as PyTorch's OneCycleLR does: SGD's momentum,
  // Adam's and AdamW's beta1. Adadelta has none, and SGD built with momentum 0 keeps no
  // momentum buffers to cycle: has_momentum() is false, and set_momentum() (and, for
  // Adadelta, momentum()) throw ValueError. Unlike lr, it is not part of state_dict():
  // OneCycleLR's set_last_epoch() sets it again when a run resumes.
  virtual bool has_momentum() const { return false; }
  virtual double momentum() const {
    check_momentum(0);
    return 0;
  }
  // Throws ValueError when the optimizer has no momentum or `momentum` is out of its range.
  virtual void check_momentum(double) const {
    EMBER_CHECK(false, ValueError, name_,
                "no momentum term (Adadelta has none; SGD has one only when built with momentum > 0)");
  }
  virtual void set_momentum(double momentum) { check_momentum(momentum); }

  // Number of step() calls so far (restored by load_state_dict).
  std::int64_t step_count() const { return step_count_; }

  // Zeroes every gradient in place: the buffers stay, so backward() allocates nothing.
  void zero_grad() {
    for (auto& p : params_) p.zero_grad();
  }

  // One update of every parameter that has a gradient.
  virtual void step() = 0;

  // Copies of the state (later steps do not change them); see the file comment for names.
  virtual StateDict state_dict() const {
    StateDict out;
    out.emplace_back("step", one_element(static_cast<double>(step_count_)));
    out.emplace_back("lr", one_element(lr_));
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const ParamState& st = state_[i];
      if (!st.initialized) continue;
      for (std::size_t k = 0; k < buffer_names_.size(); ++k)
        out.emplace_back(entry_name(i, buffer_names_[k]), copy_of(st.buffers[k]));
      if (counts_param_steps_) out.emplace_back(entry_name(i, "step"), one_element(static_cast<double>(st.step)));
    }
    return out;
  }

  // Restores a state_dict() of an optimizer of the same type over parameters of the same
  // shapes. Everything is validated before anything changes: an unknown, duplicated or
  // missing entry, or a parameter with only part of its buffers, is a ValueError and a
  // buffer of the wrong shape a ShapeError, each naming the entry. Parameters without
  // entries get no state (they start fresh at their next update, as in the saved run).
  virtual void load_state_dict(const StateDict& state) {
    const std::string op = name_ + "::load_state_dict";
    Pending pending(params_.size(), buffer_names_.size());
    for (auto& [entry, tensor] : state) read_entry(op, entry, tensor, pending);
    check_complete(op, pending);

    step_count_ = static_cast<std::int64_t>(*pending.step);
    lr_ = *pending.lr;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      ParamState& st = state_[i];
      st = ParamState{};
      if (pending.found[i] == 0) continue;
      st.initialized = true;
      for (auto& b : pending.buffers[i]) st.buffers.push_back(copy_of(b));
      st.step = counts_param_steps_ ? static_cast<std::int64_t>(pending.param_steps[i]) : 0;
    }
  }

 protected:
  // State of one parameter, created at its first update.
  struct ParamState {
    bool initialized = false;
    std::vector<TensorT> buffers;  // in the order of buffer_names
    std::int64_t step = 0;         // updates of this parameter (counts_param_steps only)
  };

  // buffer_names: the per-parameter buffers, each of the parameter's shape.
  // counts_param_steps: keep a per-parameter update count ("<i>.step"), as Adam needs for
  // its bias correction (a parameter first updated at step 10 is at its own step 1).
  Optimizer(std::string name, std::vector<TensorT> params, double lr, std::vector<std::string> buffer_names,
            bool counts_param_steps)
      : name_(std::move(name)),
        params_(std::move(params)),
        buffer_names_(std::move(buffer_names)),
        counts_param_steps_(counts_param_steps),
        state_(params_.size()) {
    check_lr(name_, lr);
    lr_ = lr;
    check_params();
  }

  static void check_lr(const std::string& op, double lr) {
    EMBER_CHECK(lr >= 0 && std::isfinite(lr), ValueError, op, "expected lr >= 0, got ", lr);
  }

  // The learning rate the update uses: lr rounded to T. state_dict() stores "lr" as a T, so
  // using exactly that value makes a restored float optimizer continue bit for bit. (PyTorch
  // also applies lr as a float to float parameters; Adam's step size differs from it by
  // ~1e-7 relative in float and not at all in double.)
  double effective_lr() const { return static_cast<double>(static_cast<T>(lr_)); }

  // Calls update(index, param, grad, state) for every parameter with a gradient, with graph
  // recording off; creates the state (zero buffers) at a parameter's first update, so
  // update() sees st.step == 0 and zero buffers then. Counts the step.
  template <class Update>
  void for_each_update(Update&& update) {
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      TensorT& p = params_[i];
      TensorT g = p.grad();
      if (!g.defined()) continue;
      ParamState& st = state_[i];
      const bool first = !st.initialized;
      if (first) init_state(st, p.shape());
      update(p, g, st, first);
    }
    ++step_count_;
  }

 private:
  // Entries read by load_state_dict, before they are applied.
  struct Pending {
    Pending(std::size_t n_params, std::size_t n_buffers)
        : buffers(n_params, std::vector<TensorT>(n_buffers)), param_steps(n_params, -1.0), found(n_params, 0) {}
    std::optional<double> step, lr;
    std::vector<std::vector<TensorT>> buffers;
    std::vector<double> param_steps;
    std::vector<std::size_t> found;  // entries seen per parameter
  };

  void init_state(ParamState& st, const Shape& shape) {
    st.initialized = true;
    st.step = 0;
    st.buffers.clear();
    for (std::size_t k = 0; k < buffer_names_.size(); ++k) st.buffers.push_back(TensorT::zeros(shape));  // zeros
  }

  void check_params() const {
    EMBER_CHECK(!params_.empty(), ValueError, name_, "expected at least one parameter, got an empty list");
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const TensorT& p = params_[i];
      EMBER_CHECK(p.defined(), ValueError, name_, "parameter ", i, " is an undefined tensor");
      EMBER_CHECK(p.is_leaf(), ValueError, name_, "parameter ", i, " of shape ", p.shape(),
                  " is not a leaf tensor (only leaves can be optimized)");
      EMBER_CHECK(p.is_contiguous(), ValueError, name_, "parameter ", i, " of shape ", p.shape(),
                  " is not contiguous");
      for (std::size_t j = 0; j < i; ++j)
        EMBER_CHECK(params_[j].impl_ptr() != p.impl_ptr(), ValueError, name_, "parameter ", i,
                    " is the same tensor as parameter ", j, " (it would be updated twice)");
    }
  }

  static std::string entry_name(std::size_t index, const std::string& buffer) {
    return std::to_string(index) + "." + buffer;
  }

  static TensorT one_element(double v) { return TensorT::from_vector({static_cast<T>(v)}, Shape{1}); }
  static TensorT copy_of(const TensorT& t) { return TensorT::from_vector(t.to_vector(), t.shape()); }

  std::string expected_entries() const {
    std::string s = "expected 'step', 'lr' or '<parameter index>.<buffer>' with buffer ";
    std::vector<std::string> names = buffer_names_;
    if (counts_param_steps_) names.push_back("step");
    if (names.empty()) return "expected 'step' or 'lr': " + name_ + " with these options keeps no buffers";
    for (std::size_t k = 0; k < names.size(); ++k) s += (k ? (k + 1 == names.size() ? " or " : ", ") : "") + names[k];
    return s;
  }

  static double single_value(const std::string& op, const std::string& entry, const TensorT& t) {
    EMBER_CHECK(t.numel() == 1, ShapeError, op, "entry '", entry, "': expected one element, got shape ", t.shape());
    return static_cast<double>(t.to_vector()[0]);
  }

  static double whole_number(const std::string& op, const std::string& entry, const TensorT& t, double min) {
    double v = single_value(op, entry, t);
    EMBER_CHECK(v >= min && std::floor(v) == v && v < 9.0e15, ValueError, op, "entry '", entry,
                "': expected a whole number >= ", min, ", got ", v);
    return v;
  }

  // Parses "<digits>.<rest>"; false for anything else.
  static bool split_entry(const std::string& entry, std::size_t& index, std::string& rest) {
    std::size_t dot = entry.find('.');
    if (dot == 0 || dot == std::string::npos || dot > 9) return false;
    index = 0;
    for (std::size_t c = 0; c < dot; ++c) {
      if (entry[c] < '0' || entry[c] > '9') return false;
      index = index * 10 + static_cast<std::size_t>(entry[c] - '0');
    }
    rest = entry.substr(dot + 1);
    return true;
  }

  void read_entry(const std::string& op, const std::string& entry, const TensorT& t, Pending& pending) const {
    EMBER_CHECK(t.defined(), ValueError, op, "entry '", entry, "' is an undefined tensor");
    if (entry == "step" || entry == "lr") {
      std::optional<double>& slot = entry == "step" ? pending.step : pending.lr;
      EMBER_CHECK(!slot, ValueError, op, "entry '", entry, "' appears more than once");
      slot = entry == "step" ? whole_number(op, entry, t, 0) : single_value(op, entry, t);
      if (entry == "lr") check_lr(op + ": entry 'lr'", *slot);
      return;
    }
    std::size_t index = 0;
    std::string buffer;
    EMBER_CHECK(split_entry(entry, index, buffer), ValueError, op, "unknown entry '", entry, "' (",
                expected_entries(), ")");
    std::size_t k = 0;
    while (k < buffer_names_.size() && buffer_names_[k] != buffer) ++k;
    const bool is_step = counts_param_steps_ && buffer == "step";
    EMBER_CHECK(k < buffer_names_.size() || is_step, ValueError, op, "unknown entry '", entry, "' (",
                expected_entries(), ")");
    EMBER_CHECK(index < params_.size(), ValueError, op, "entry '", entry, "' refers to parameter ", index,
                ", but the optimizer has ", params_.size(), " parameters");
    if (is_step) {
      EMBER_CHECK(pending.param_steps[index] < 0, ValueError, op, "entry '", entry, "' appears more than once");
      pending.param_steps[index] = whole_number(op, entry, t, 1);
    } else {
      const Shape& expected = params_[index].shape();
      EMBER_CHECK(!pending.buffers[index][k].defined(), ValueError, op, "entry '", entry, "' appears more than once");
      EMBER_CHECK(t.shape() == expected, ShapeError, op, "entry '", entry, "': expected shape ", expected,
                  " (parameter ", index, "), got ", t.shape());
      pending.buffers[index][k] = t;
    }
    ++pending.found[index];
  }

  void check_complete(const std::string& op, const Pending& pending) const {
    EMBER_CHECK(pending.step.has_value(), ValueError, op, "missing entry 'step'");
    EMBER_CHECK(pending.lr.has_value(), ValueError, op, "missing entry 'lr'");
    const std::size_t per_param = buffer_names_.size() + (counts_param_steps_ ? 1 : 0);
    for (std::size_t i = 0; i < params_.size(); ++i) {
      if (pending.found[i] == 0 || pending.found[i] == per_param) continue;
      std::string missing;
      for (std::size_t k = 0; k < buffer_names_.size() && missing.empty(); ++k)
        if (!pending.buffers[i][k].defined()) missing = entry_name(i, buffer_names_[k]);
      if (missing.empty()) missing = entry_name(i, "step");
      detail::throw_error<ValueError>(op, "parameter ", i, " has ", pending.found[i], " of its ", per_param,
                                      " state entries: missing '", missing, "'");
    }
  }

  std::string name_;
  std::vector<TensorT> params_;
  std::vector<std::string> buffer_names_;
  bool counts_param_steps_;
  std::vector<ParamState> state_;
  double lr_ = 0;
  std::int64_t step_count_ = 0;
};

}  // namespace ember::optim
