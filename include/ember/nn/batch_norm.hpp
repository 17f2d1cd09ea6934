#pragma once
// BatchNorm1d and BatchNorm2d(num_features, eps = 1e-5, momentum = 0.1, affine, track_running_stats):
// PyTorch's layers with its state-dict names. Parameters "weight" (ones) and "bias" (zeros)
// when affine; buffers "running_mean" (zeros), "running_var" (ones) and "num_batches_tracked"
// (a rank-0 count, held in T like every ember tensor; PyTorch's int64 files load too) when
// tracking. Train mode normalises with the batch statistics and updates the running ones;
// eval mode uses the running statistics (the batch ones when not tracking).

#include <sstream>
#include <string>

#include "ember/core/factory.hpp"
#include "ember/nn/module.hpp"
#include "ember/ops/batch_norm.hpp"

namespace ember::nn {

struct BatchNormLayerOptions {
  double eps = 1e-5, momentum = 0.1;
  bool affine = true, track_running_stats = true;
};

// The common part: `ranks` are the input ranks the layer accepts (2 and 3 for 1d, 4 for 2d).
template <class T>
class BatchNormBase : public Module<T> {
 public:
  Tensor<T> weight, bias, running_mean, running_var, num_batches_tracked;

  Tensor<T> forward(const Tensor<T>& x) override {
    check_input(x);
    const bool batch_statistics = this->is_training() || !running_mean.defined();
    Tensor<T> y = batch_norm(x, running_mean, running_var, weight, bias, batch_statistics,
                             BatchNormOptions{options_.momentum, options_.eps});
    if (this->is_training() && num_batches_tracked.defined()) num_batches_tracked.data()[0] += T(1);
    return y;
  }

  std::string describe() const override {
    std::ostringstream s;
    s << type_name() << "(" << features_ << ", eps=" << options_.eps << ", momentum=" << options_.momentum
      << ", affine=" << (options_.affine ? "True" : "False")
      << ", track_running_stats=" << (options_.track_running_stats ? "True" : "False") << ")";
    return s.str();
  }
  std::string type_name() const override = 0;
  index_t num_features() const { return features_; }

 protected:
  BatchNormBase(index_t num_features, BatchNormLayerOptions options, const char* name)
      : features_(num_features), options_(options) {
    EMBER_CHECK(num_features >= 1, ValueError, name, "expected num_features >= 1, got ", num_features);
    EMBER_CHECK(options.eps > 0 && options.momentum >= 0 && options.momentum <= 1, ValueError, name,
                "expected eps > 0 and momentum in [0, 1], got eps ", options.eps, " and momentum ", options.momentum);
    if (options.affine) {
      weight = this->register_parameter("weight", ones<T>(Shape{num_features}));
      bias = this->register_parameter("bias", zeros<T>(Shape{num_features}));
    }
    if (options.track_running_stats) {
      running_mean = this->register_buffer("running_mean", zeros<T>(Shape{num_features}));
      running_var = this->register_buffer("running_var", ones<T>(Shape{num_features}));
      num_batches_tracked = this->register_buffer("num_batches_tracked", zeros<T>(Shape{}));
    }
  }

  virtual void check_input(const Tensor<T>& x) const = 0;

  void check_channels(const Tensor<T>& x) const {
    EMBER_CHECK(x.size(1) == features_, ShapeError, type_name(), "expected ", features_,
                " channels (dimension 1), got input of shape ", x.shape());
  }

 private:
  index_t features_;
  BatchNormLayerOptions options_;
};

// Input [N, C] or [N, C, L]. In train mode more than one value per channel is needed
// (ValueError for a batch of one [1, C], as PyTorch).
template <class T = float>
class BatchNorm1d : public BatchNormBase<T> {
 public:
  explicit BatchNorm1d(index_t num_features, BatchNormLayerOptions options = {})
      : BatchNormBase<T>(num_features, options, "BatchNorm1d") {}
  std::string type_name() const override { return "BatchNorm1d"; }

 private:
  void check_input(const Tensor<T>& x) const override {
    EMBER_CHECK(x.dim() == 2 || x.dim() == 3, ShapeError, "BatchNorm1d", "expected input of shape [N, C] or [N, C, L], got ",
                x.shape());
    this->check_channels(x);
  }
};

// Input [N, C, H, W].
template <class T = float>
class BatchNorm2d : public BatchNormBase<T> {
 public:
  explicit BatchNorm2d(index_t num_features, BatchNormLayerOptions options = {})
      : BatchNormBase<T>(num_features, options, "BatchNorm2d") {}
  std::string type_name() const override { return "BatchNorm2d"; }

 private:
  void check_input(const Tensor<T>& x) const override {
    EMBER_CHECK(x.dim() == 4, ShapeError, "BatchNorm2d", "expected input of shape [N, C, H, W], got ", x.shape());
    this->check_channels(x);
  }
};

}  // namespace ember::nn
