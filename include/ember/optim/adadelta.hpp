#pragma once
// Adadelta, exactly as torch.optim.Adadelta (maximize=false). Per parameter p with
// gradient g:
//
//   g = g + weight_decay * p
//   square_avg = rho * square_avg + (1 - rho) * g * g
//   delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
//   acc_delta = rho * acc_delta + (1 - rho) * delta * delta
//   p = p - lr * delta
//
// State: "<i>.square_avg" and "<i>.acc_delta". (PyTorch also counts steps per parameter,
// but Adadelta's update never reads the count, so it is not kept.)

#include <cmath>
#include <utility>
#include <vector>

#include "ember/kernels/parallel.hpp"
#include "ember/optim/optimizer.hpp"

namespace ember::optim {

struct AdadeltaOptions {
  double lr = 1.0;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0;
};

template <class T = float>
class Adadelta : public Optimizer<T> {
 public:
  Adadelta(std::vector<Tensor<T>> params, const AdadeltaOptions& options = {})
      : Optimizer<T>("Adadelta", std::move(params), validated(options).lr, {"square_avg", "acc_delta"}, false),
        options_(options) {}

  const AdadeltaOptions& options() const { return options_; }

  void step() override {
    const T lr = static_cast<T>(this->effective_lr());
    const T rho = static_cast<T>(options_.rho), keep = static_cast<T>(1 - options_.rho);
    const T eps = static_cast<T>(options_.eps), decay = static_cast<T>(options_.weight_decay);
    const bool use_decay = options_.weight_decay != 0;
    this->for_each_update([&](Tensor<T>& param, Tensor<T>& grad, auto& state, bool) {
      auto p = param.eigen();
      auto g = grad.eigen();
      auto square_avg = state.buffers[0].eigen();
      auto acc_delta = state.buffers[1].eigen();
      // One pass per element: delta needs the old acc_delta and the decayed gradient needs
      // the old p, while both are overwritten; whole-array expressions would need a
      // temporary for delta. The operations and their order are PyTorch's.
      // Elements are independent: split over threads, same bits for any thread count.
      kernels::parallel_blocks(p.size(), 16.0, [&](index_t begin, index_t end, int) {
        for (index_t k = begin; k < end; ++k) {
          const T gk = use_decay ? g[k] + decay * p[k] : g[k];
          square_avg[k] = square_avg[k] * rho + keep * gk * gk;
          const T std_dev = std::sqrt(square_avg[k] + eps);
          const T delta = std::sqrt(acc_delta[k] + eps) / std_dev * gk;
          acc_delta[k] = acc_delta[k] * rho + keep * delta * delta;
          p[k] -= lr * delta;
        }
      });
    });
  }

 private:
  static const AdadeltaOptions& validated(const AdadeltaOptions& o) {
    Optimizer<T>::check_lr("Adadelta", o.lr);
    EMBER_CHECK(o.rho >= 0 && o.rho <= 1, ValueError, "Adadelta", "expected 0 <= rho <= 1, got ", o.rho);
    EMBER_CHECK(o.eps >= 0, ValueError, "Adadelta", "expected eps >= 0, got ", o.eps);
    EMBER_CHECK(o.weight_decay >= 0, ValueError, "Adadelta", "expected weight_decay >= 0, got ", o.weight_decay);
    return o;
  }

  AdadeltaOptions options_;
};

}  // namespace ember::optim
