#pragma once
// Adam and AdamW, exactly as torch.optim.Adam / torch.optim.AdamW (amsgrad=false,
// maximize=false). Per parameter p with gradient g, at the parameter's own step t = 1, 2, ...:
//
//   Adam:  g = g + weight_decay * p          (L2 penalty folded into the gradient)
//   AdamW: p = p * (1 - lr * weight_decay)   (decoupled decay, before the update)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g * g
//   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
// State: "<i>.exp_avg" (m), "<i>.exp_avg_sq" (v) and "<i>.step" (t). t counts the updates
// of that parameter, as PyTorch's per-parameter state['step']: a parameter that had no
// gradient for a while is not bias-corrected as if it had.

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "ember/optim/optimizer.hpp"

namespace ember::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

// Same fields as AdamOptions; only the default weight decay differs (PyTorch's 1e-2).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

namespace detail {

// Shared by Adam and AdamW, which differ only in how the weight decay enters.
template <class T>
class AdamBase : public Optimizer<T> {
 public:
  const AdamOptions& options() const { return options_; }

  // beta1, as PyTorch's OneCycleLR cycles betas[0].
  bool has_momentum() const override { return true; }
  double momentum() const override { return options_.beta1; }
  void check_momentum(double beta1) const override {
    EMBER_CHECK(beta1 >= 0 && beta1 < 1, ValueError, this->name(), "expected 0 <= beta1 < 1, got ", beta1);
  }
  void set_momentum(double beta1) override {
    check_momentum(beta1);
    options_.beta1 = beta1;
  }

  void step() override {
    const double lr = this->effective_lr();
    const AdamOptions& o = options_;
    const T beta1 = static_cast<T>(o.beta1), beta2 = static_cast<T>(o.beta2);
    const T keep1 = static_cast<T>(1 - o.beta1), keep2 = static_cast<T>(1 - o.beta2);
    const T decay = static_cast<T>(o.weight_decay), eps = static_cast<T>(o.eps);
    const T shrink = static_cast<T>(1 - lr * o.weight_decay);  // AdamW's factor
    this->for_each_update([&](Tensor<T>& param, Tensor<T>& grad, auto& state, bool) {
      auto p = param.eigen();
      auto g = grad.eigen();
      auto m = state.buffers[0].eigen();
      auto v = state.buffers[1].eigen();
      const double t = static_cast<double>(++state.step);
      // The scalars are computed in double, as PyTorch does in Python, then applied at T.
      const T step_size = static_cast<T>(lr / (1 - std::pow(o.beta1, t)));
      const T correction2_sqrt = static_cast<T>(std::sqrt(1 - std::pow(o.beta2, t)));
      auto moments = [&](const auto& d) {  // d: the gradient used, as an expression
        m = m * beta1 + keep1 * d;
        v = v * beta2 + keep2 * d * d;
      };
      if (decoupled_) {
        if (o.weight_decay != 0) p *= shrink;
        moments(g);
      } else if (o.weight_decay != 0) {
        moments(g + decay * p);  // reads p before the update below
      } else {
        moments(g);
      }
      p += (-step_size * m) / (v.sqrt() / correction2_sqrt + eps);
    });
  }

 protected:
  AdamBase(const char* name, std::vector<Tensor<T>> params, const AdamOptions& options, bool decoupled)
      : Optimizer<T>(name, std::move(params), validated(name, options).lr, {"exp_avg", "exp_avg_sq"}, true),
        options_(options),
        decoupled_(decoupled) {}

 private:
  static const AdamOptions& validated(const char* name, const AdamOptions& o) {
    Optimizer<T>::check_lr(name, o.lr);
    EMBER_CHECK(o.beta1 >= 0 && o.beta1 < 1, ValueError, name, "expected 0 <= beta1 < 1, got ", o.beta1);
    EMBER_CHECK(o.beta2 >= 0 && o.beta2 < 1, ValueError, name, "expected 0 <= beta2 < 1, got ", o.beta2);
    EMBER_CHECK(o.eps >= 0, ValueError, name, "expected eps >= 0, got ", o.eps);
    EMBER_CHECK(o.weight_decay >= 0, ValueError, name, "expected weight_decay >= 0, got ", o.weight_decay);
    return o;
  }

  AdamOptions options_;
  bool decoupled_;
};

}  // namespace detail

template <class T = float>
class Adam : public detail::AdamBase<T> {
 public:
  Adam(std::vector<Tensor<T>> params, const AdamOptions& options = {})
      : detail::AdamBase<T>("Adam", std::move(params), options, false) {}
};

template <class T = float>
class AdamW : public detail::AdamBase<T> {
 public:
  AdamW(std::vector<Tensor<T>> params, const AdamWOptions& options = {})
      : detail::AdamBase<T>("AdamW", std::move(params),
                            AdamOptions{options.lr, options.beta1, options.beta2, options.eps, options.weight_decay},
                            true) {}
};

}  // namespace ember::optim
