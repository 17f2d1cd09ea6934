#pragma once
// SGD with optional momentum, dampening, weight decay and Nesterov momentum, exactly as
// torch.optim.SGD (maximize=false). Per parameter p with gradient g:
//
//   d = g + weight_decay * p
//   if momentum != 0:
//     buf = d                                       at the parameter's first update
//     buf = momentum * buf + (1 - dampening) * d    afterwards
//     d = nesterov ? d + momentum * buf : buf
//   p = p - lr * d
//
// State: "<i>.momentum_buffer" when momentum != 0 (none otherwise).

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "ember/optim/optimizer.hpp"

namespace ember::optim {

struct SGDOptions {
  double lr;  // required, as in PyTorch
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

template <class T = float>
class SGD : public Optimizer<T> {
 public:
  SGD(std::vector<Tensor<T>> params, const SGDOptions& options)
      : Optimizer<T>("SGD", std::move(params), validated(options).lr, buffer_names(options), false),
        options_(options) {}

  const SGDOptions& options() const { return options_; }

  // Built with momentum 0, SGD keeps no momentum buffers, so there is no momentum to cycle.
  bool has_momentum() const override { return options_.momentum != 0; }
  double momentum() const override { return options_.momentum; }
  void check_momentum(double momentum) const override {
    if (!has_momentum()) Optimizer<T>::check_momentum(momentum);
    EMBER_CHECK(momentum > 0 && std::isfinite(momentum), ValueError, "SGD",
                "expected a finite momentum > 0 (SGD was built with momentum), got ", momentum);
  }
  void set_momentum(double momentum) override {
    check_momentum(momentum);
    options_.momentum = momentum;
  }

  void step() override {
    const T lr = static_cast<T>(this->effective_lr());
    const T momentum = static_cast<T>(options_.momentum), decay = static_cast<T>(options_.weight_decay);
    const T keep = static_cast<T>(1 - options_.dampening);
    const bool use_momentum = options_.momentum != 0, nesterov = options_.nesterov;
    this->for_each_update([&](Tensor<T>& param, Tensor<T>& grad, auto& state, bool first) {
      auto p = param.eigen();
      auto g = grad.eigen();
      // d is an expression, evaluated inside each assignment (no temporary array); every
      // assignment reads the old p before it writes p.
      auto update = [&](const auto& d) {
        if (!use_momentum) {
          p -= lr * d;
          return;
        }
        auto buf = state.buffers[0].eigen();
        if (first) buf = d;  // PyTorch starts the buffer at the gradient, without dampening
        else buf = momentum * buf + keep * d;
        if (nesterov) p -= lr * (d + momentum * buf);
        else p -= lr * buf;
      };
      // Without decay d is g itself: adding 0 * p would turn an infinite p into NaN.
      if (options_.weight_decay != 0) update(g + decay * p);
      else update(g);
    });
  }

 private:
  static const SGDOptions& validated(const SGDOptions& o) {
    Optimizer<T>::check_lr("SGD", o.lr);
    EMBER_CHECK(o.momentum >= 0, ValueError, "SGD", "expected momentum >= 0, got ", o.momentum);
    EMBER_CHECK(o.weight_decay >= 0, ValueError, "SGD", "expected weight_decay >= 0, got ", o.weight_decay);
    EMBER_CHECK(std::isfinite(o.dampening), ValueError, "SGD", "expected a finite dampening, got ", o.dampening);
    EMBER_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), ValueError, "SGD",
                "nesterov requires momentum > 0 and dampening == 0, got momentum ", o.momentum, " and dampening ",
                o.dampening);
    return o;
  }
  static std::vector<std::string> buffer_names(const SGDOptions& o) {
    if (o.momentum != 0) return {"momentum_buffer"};
    return {};
  }

  SGDOptions options_;
};

}  // namespace ember::optim
