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

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "ember/core/parallel.hpp"
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
      // Chunks of kChunk elements through Eigen's array expressions, so that sqrt and the
      // division are vector instructions (a plain loop over std::sqrt stays scalar while
      // math-errno is on, and was 3x slower). Within a chunk, delta needs the old acc_delta
      // and the decayed gradient the old p: both are kept in small buffers before the
      // updates. The operations and their order are PyTorch's. Elements are independent:
      // split over threads, the same bits for any thread count.
      parallel_blocks(p.size(), 16.0, [&](index_t begin, index_t end, int) {
        alignas(64) T gk_buf[kChunk], delta_buf[kChunk];
        for (index_t k0 = begin; k0 < end; k0 += kChunk) {
          const index_t len = std::min(kChunk, end - k0);
          using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
          Eigen::Map<Array> gk(gk_buf, len), delta(delta_buf, len);
          auto pk = p.segment(k0, len);
          auto sq = square_avg.segment(k0, len);
          auto acc = acc_delta.segment(k0, len);
          if (use_decay)
            gk = g.segment(k0, len) + decay * pk;
          else
            gk = g.segment(k0, len);
          sq = sq * rho + keep * gk * gk;
          delta = (acc + eps).sqrt() / (sq + eps).sqrt() * gk;
          acc = acc * rho + keep * delta * delta;
          pk -= lr * delta;
        }
      });
    });
  }

 private:
  static constexpr index_t kChunk = 256;  // elements per vectorised pass (2 KB of float buffers)

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
