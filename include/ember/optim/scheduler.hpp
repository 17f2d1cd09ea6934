#pragma once
// Learning-rate schedulers, as torch.optim.lr_scheduler: StepLR, CosineAnnealingLR and
// OneCycleLR. A scheduler sets its optimizer's lr when it is built (epoch 0) and at every
// step():
//
//   ember::optim::SGD<float> opt(net.parameters(), {0.1, 0.9});
//   ember::optim::StepLR<float> sched(opt, 7, 0.7);
//   for (int epoch = 0; epoch < epochs; ++epoch) {
//     for (...) { opt.zero_grad(); loss.backward(); opt.step(); }
//     sched.step();                        // per epoch (OneCycleLR: per batch, after opt.step())
//   }
//
// Every schedule is a closed form of last_epoch, so set_last_epoch(e) resumes exactly: it
// sets the optimizer's lr to the schedule's value at e, the same bits an uninterrupted run
// has. PyTorch's step() computes StepLR and CosineAnnealingLR recursively from the
// previous lr instead; the values agree to rounding (measured over 30 steps: at most
// 2.1e-16 relative for StepLR with gamma 0.7, 4.1e-15 for CosineAnnealingLR with T_max 10;
// the recursive rounding error grows slowly with the number of steps). The recursive form
// also follows lr changes made behind the scheduler's back; here every step() overwrites
// the lr with the schedule's value. OneCycleLR is a closed form in PyTorch too.
//
// The base lr is the optimizer's lr when the scheduler is built (PyTorch's 'initial_lr'):
// build the scheduler before loading a state_dict that holds a decayed lr, then call
// set_last_epoch(). The scheduler keeps a reference to the optimizer, which must outlive it.

#include <cmath>
#include <string>
#include <utility>

#include "ember/core/error.hpp"
#include "ember/optim/optimizer.hpp"

namespace ember::optim {

template <class T = float>
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Advances one epoch (one batch for OneCycleLR) and sets the optimizer's lr.
  void step() { set_last_epoch(last_epoch_ + 1); }

  // Moves the schedule to `epoch` (for resuming) and sets the optimizer's lr to its value there.
  void set_last_epoch(int epoch) {
    check_epoch(epoch);
    const double lr = lr_at(epoch);
    optimizer_.set_lr(lr);  // validates first: on error nothing changes
    set_momentum_at(epoch);  // values validated when the scheduler was built
    last_epoch_ = epoch;
    last_lr_ = lr;
  }

  // The number of step() calls since the scheduler was built (0 right after), or the epoch set.
  int last_epoch() const { return last_epoch_; }
  // The lr the scheduler last set (PyTorch's get_last_lr()[0]).
  double last_lr() const { return last_lr_; }
  double base_lr() const { return base_lr_; }
  const std::string& name() const { return name_; }

  // The schedule's lr at an epoch, without changing anything.
  virtual double lr_at(int epoch) const = 0;

 protected:
  LRScheduler(std::string name, Optimizer<T>& optimizer, double base_lr)
      : name_(std::move(name)), optimizer_(optimizer), base_lr_(base_lr) {}

  // Derived constructors call this last, once lr_at() can run: epoch 0, as PyTorch's
  // constructor does.
  void start() { set_last_epoch(0); }

  Optimizer<T>& optimizer() { return optimizer_; }
  // A schedule of the optimizer's momentum as well (OneCycleLR) sets it here.
  virtual void set_momentum_at(int /*epoch*/) {}

  virtual void check_epoch(int epoch) const {
    EMBER_CHECK(epoch >= 0, ValueError, name_, "expected last_epoch >= 0, got ", epoch);
  }

 private:
  std::string name_;
  Optimizer<T>& optimizer_;
  double base_lr_;
  int last_epoch_ = 0;
  double last_lr_ = 0;
};

// lr = base_lr * gamma^floor(epoch / step_size).
template <class T = float>
class StepLR : public LRScheduler<T> {
 public:
  StepLR(Optimizer<T>& optimizer, int step_size, double gamma = 0.1)
      : LRScheduler<T>("StepLR", optimizer, optimizer.lr()), step_size_(step_size), gamma_(gamma) {
    EMBER_CHECK(step_size >= 1, ValueError, "StepLR", "expected step_size >= 1, got ", step_size);
    EMBER_CHECK(gamma >= 0 && std::isfinite(gamma), ValueError, "StepLR", "expected a finite gamma >= 0, got ", gamma);
    this->start();
  }

  double lr_at(int epoch) const override { return this->base_lr() * std::pow(gamma_, epoch / step_size_); }

  int step_size() const { return step_size_; }
  double gamma() const { return gamma_; }

 private:
  int step_size_;
  double gamma_;
};

// lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2: from base_lr at
// epoch 0 down to eta_min at T_max (and, past T_max, back up again, as PyTorch's).
template <class T = float>
class CosineAnnealingLR : public LRScheduler<T> {
 public:
  CosineAnnealingLR(Optimizer<T>& optimizer, int T_max, double eta_min = 0)
      : LRScheduler<T>("CosineAnnealingLR", optimizer, optimizer.lr()), t_max_(T_max), eta_min_(eta_min) {
    EMBER_CHECK(T_max >= 1, ValueError, "CosineAnnealingLR", "expected T_max >= 1, got ", T_max);
    EMBER_CHECK(eta_min >= 0 && std::isfinite(eta_min), ValueError, "CosineAnnealingLR",
                "expected a finite eta_min >= 0, got ", eta_min);
    this->start();
  }

  double lr_at(int epoch) const override {
    const double pi = 3.14159265358979323846;
    return eta_min_ + (this->base_lr() - eta_min_) * (1 + std::cos(pi * epoch / t_max_)) / 2;
  }

  int T_max() const { return t_max_; }
  double eta_min() const { return eta_min_; }

 private:
  int t_max_;
  double eta_min_;
};

// The 1cycle policy with cosine annealing, as torch.optim.lr_scheduler.OneCycleLR with its
// defaults (two phases): the lr warms up from max_lr / div_factor to max_lr over the first
// pct_start of total_steps, then anneals down to max_lr / div_factor / final_div_factor at
// step total_steps - 1. With cycle_momentum (the default, as in PyTorch) the momentum moves
// the other way: from max_momentum down to base_momentum while the lr warms up, and back up
// while it anneals; the momentum is SGD's momentum or Adam's/AdamW's beta1. Optimizers
// without one (Adadelta; SGD built with momentum 0) need cycle_momentum = false: a
// ValueError otherwise (PyTorch raises for Adadelta too, and switches SGD's momentum on).
// Call step() after every batch; stepping past total_steps is a ValueError, as in PyTorch.
// The optimizer's own lr (and momentum, when cycled) are ignored: the schedule sets them.
template <class T = float>
class OneCycleLR : public LRScheduler<T> {
 public:
  OneCycleLR(Optimizer<T>& optimizer, double max_lr, int total_steps, double pct_start = 0.3,
             double div_factor = 25, double final_div_factor = 1e4, bool cycle_momentum = true,
             double base_momentum = 0.85, double max_momentum = 0.95)
      : LRScheduler<T>("OneCycleLR", optimizer, max_lr / div_factor),
        max_lr_(max_lr),
        total_steps_(total_steps),
        initial_lr_(max_lr / div_factor),
        min_lr_(max_lr / div_factor / final_div_factor),
        warmup_end_(pct_start * total_steps - 1),
        cycle_momentum_(cycle_momentum),
        base_momentum_(base_momentum),
        max_momentum_(max_momentum) {
    EMBER_CHECK(max_lr >= 0 && std::isfinite(max_lr), ValueError, "OneCycleLR", "expected a finite max_lr >= 0, got ",
                max_lr);
    EMBER_CHECK(total_steps >= 1, ValueError, "OneCycleLR", "expected total_steps >= 1, got ", total_steps);
    EMBER_CHECK(pct_start >= 0 && pct_start <= 1, ValueError, "OneCycleLR", "expected 0 <= pct_start <= 1, got ",
                pct_start);
    EMBER_CHECK(div_factor > 0 && std::isfinite(div_factor), ValueError, "OneCycleLR",
                "expected a finite div_factor > 0, got ", div_factor);
    EMBER_CHECK(final_div_factor > 0 && std::isfinite(final_div_factor), ValueError, "OneCycleLR",
                "expected a finite final_div_factor > 0, got ", final_div_factor);
    if (cycle_momentum) {
      EMBER_CHECK(optimizer.has_momentum(), ValueError, "OneCycleLR", optimizer.name(),
                  " has no momentum to cycle: pass cycle_momentum = false (or build SGD with momentum > 0)");
      optimizer.check_momentum(base_momentum);  // both ends in the optimizer's range, so
      optimizer.check_momentum(max_momentum);   // that no later step can fail half-way
    }
    this->start();
  }

  double lr_at(int epoch) const override { return along_cycle(epoch, initial_lr_, max_lr_, min_lr_); }
  // The momentum the schedule sets at an epoch (only when cycling it).
  double momentum_at(int epoch) const { return along_cycle(epoch, max_momentum_, base_momentum_, max_momentum_); }

  double max_lr() const { return max_lr_; }
  int total_steps() const { return total_steps_; }
  bool cycle_momentum() const { return cycle_momentum_; }

 protected:
  void check_epoch(int epoch) const override {
    LRScheduler<T>::check_epoch(epoch);
    // PyTorch allows one step past the end (last_epoch == total_steps) and raises after.
    EMBER_CHECK(epoch <= total_steps_, ValueError, "OneCycleLR", "expected last_epoch <= total_steps = ",
                total_steps_, ", got ", epoch);
  }
  void set_momentum_at(int epoch) override {
    if (cycle_momentum_) this->optimizer().set_momentum(momentum_at(epoch));
  }

 private:
  // The value at `epoch` of a quantity that goes from `start` to `peak` during the warm-up
  // phase and from `peak` to `end` afterwards (for the momentum, "peak" is its low point).
  double along_cycle(int epoch, double start, double peak, double end) const {
    if (epoch <= warmup_end_) return anneal(start, peak, progress(epoch, 0, warmup_end_));
    return anneal(peak, end, progress(epoch, warmup_end_, total_steps_ - 1.0));
  }
  // How far epoch is through the phase [start, end], as a fraction. A phase of zero length
  // (pct_start * total_steps == 1, or pct_start == 1 at the extra last step) counts as done,
  // where PyTorch divides by zero.
  static double progress(int epoch, double start, double end) {
    return end == start ? 1.0 : (epoch - start) / (end - start);
  }
  // Cosine from `from` (pct 0) to `to` (pct 1).
  static double anneal(double from, double to, double pct) {
    const double pi = 3.14159265358979323846;
    return to + (from - to) / 2.0 * (std::cos(pi * pct) + 1);
  }

  double max_lr_;
  int total_steps_;
  double initial_lr_, min_lr_, warmup_end_;
  bool cycle_momentum_;
  double base_momentum_, max_momentum_;
};

}  // namespace ember::optim
