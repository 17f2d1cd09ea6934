#pragma once
// ModelEMA: an exponential moving average of a model's parameters (and buffers), kept in a
// second module of the same architecture, like PyTorch's
// torch.optim.swa_utils.AveragedModel(model, avg_fn=ema, use_buffers=True):
//
//   Net net, averaged;                       // the same architecture twice
//   ember::optim::ModelEMA<float> ema(averaged, 0.999);
//   ... optimizer.step(); ema.update(net);   // after every step
//   averaged.eval(); evaluate(averaged); save_model(averaged, ...);
//
// The first update copies the model; each later one sets avg = decay * avg + (1 - decay) * value.
// With use_buffers (the default) floating buffers (BatchNorm's running statistics) are averaged
// the same way and counters ("num_batches_tracked") copied; without, buffers are left alone (then
// recompute BatchNorm statistics before evaluating, as PyTorch's update_bn). The averaged module
// never sees an optimizer: its tensors are updated outside the graph.

#include <string>
#include <utility>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/core/error.hpp"
#include "ember/kernels/elementwise.hpp"
#include "ember/nn/module.hpp"

namespace ember::optim {

template <class T = float>
class ModelEMA {
 public:
  // Requires decay in [0, 1] (else ValueError). Keeps a reference: `averaged` must outlive this.
  explicit ModelEMA(nn::Module<T>& averaged, double decay = 0.999, bool use_buffers = true)
      : averaged_(averaged), decay_(decay), use_buffers_(use_buffers) {
    EMBER_CHECK(decay >= 0.0 && decay <= 1.0, ValueError, "ModelEMA", "expected decay in [0, 1], got ", decay);
  }

  // Folds the model's current values into the average. Throws ValueError/ShapeError, before
  // changing anything, when the model's tensors differ from the average's in names or shapes.
  void update(const nn::Module<T>& model) {
    auto pairs = matched(model.named_parameters(), averaged_.named_parameters(), "parameter");
    if (use_buffers_)
      for (auto& pair : matched(model.named_buffers(), averaged_.named_buffers(), "buffer")) pairs.push_back(pair);
    NoGradGuard no_grad;
    const T keep = static_cast<T>(decay_), take = static_cast<T>(1.0 - decay_);
    for (auto& [name, source, target] : pairs) {
      const Tensor<T> from = kernels::make_contiguous(source);
      T* to = target.data();
      const bool copy = updates_ == 0 || is_counter(name);
      for (index_t i = 0; i < target.numel(); ++i) to[i] = copy ? from.data()[i] : keep * to[i] + take * from.data()[i];
    }
    ++updates_;
  }

  long num_updates() const { return updates_; }
  // For resuming: the count decides whether the next update copies (0) or averages.
  void set_num_updates(long n) { updates_ = n; }
  double decay() const { return decay_; }
  nn::Module<T>& module() { return averaged_; }

 private:
  struct Pair {
    std::string name;
    Tensor<T> source, target;
  };

  static bool is_counter(const std::string& name) {
    const std::string suffix = "num_batches_tracked";
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  // The model's and the average's tensors side by side; both lists must name the same tensors
  // in the same order with the same shapes.
  static std::vector<Pair> matched(const typename nn::Module<T>::template Named<Tensor<T>>& model,
                                   const typename nn::Module<T>::template Named<Tensor<T>>& averaged,
                                   const char* kind) {
    EMBER_CHECK(model.size() == averaged.size(), ValueError, "ModelEMA", "the model has ", model.size(), " ", kind,
                "s, the averaged module ", averaged.size());
    std::vector<Pair> out;
    for (std::size_t i = 0; i < model.size(); ++i) {
      EMBER_CHECK(model[i].first == averaged[i].first, ValueError, "ModelEMA", kind, " ", i, " is '", model[i].first,
                  "' in the model, '", averaged[i].first, "' in the averaged module");
      EMBER_CHECK(model[i].second.shape() == averaged[i].second.shape(), ShapeError, "ModelEMA", kind, " '",
                  model[i].first, "' has shape ", model[i].second.shape(), " in the model, ",
                  averaged[i].second.shape(), " in the averaged module");
      out.push_back({model[i].first, model[i].second, averaged[i].second});
    }
    return out;
  }

  nn::Module<T>& averaged_;
  double decay_;
  bool use_buffers_;
  long updates_ = 0;
};

}  // namespace ember::optim
