#pragma once
// Loss functions, as PyTorch's F.cross_entropy, F.nll_loss and F.mse_loss, each one graph node
// with a hand-written backward.
//
// Class-index losses take input [N, C] and target [N] (Tensor<int64_t>, values in [0, C)).
// Reduction::Mean divides by N (by the element count for mse_loss), Sum adds, None keeps one
// loss per sample ([N]) or per element (mse_loss). Mean and Sum return rank-0 tensors.

#include <cstdint>
#include <type_traits>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/core/factory.hpp"
#include "ember/kernels/elementwise.hpp"
#include "ember/ops/softmax.hpp"

namespace ember {

enum class Reduction { None, Mean, Sum };

namespace detail {

// Checks the [N, C] input and [N] class-index target of cross_entropy / nll_loss; `input_name`
// is how the op calls its first argument. Returns a private copy of the target: backward indexes
// with it, so a label buffer the caller refills before backward() must not change what it reads.
template <class T>
Tensor<std::int64_t> checked_class_targets(const char* op, const char* input_name, const Tensor<T>& input,
                                           const Tensor<std::int64_t>& target) {
  EMBER_CHECK(input.dim() == 2, ShapeError, op, "expected ", input_name, " of shape [N, C], got ", input.shape());
  EMBER_CHECK(target.dim() == 1, ShapeError, op, "expected target of shape [N], got ", target.shape());
  const index_t n = input.size(0), classes = input.size(1);
  EMBER_CHECK(target.size(0) == n, ShapeError, op, "expected target of shape [", n, "] to match ", input_name,
              " of shape ", input.shape(), ", got ", target.shape());
  Tensor<std::int64_t> t = kernels::copy(target);
  for (index_t i = 0; i < n; ++i) {
    const std::int64_t c = t.data()[i];
    EMBER_CHECK(c >= 0 && c < classes, ValueError, op, "target ", c, " of sample ", i, " is out of range for ",
                classes, " classes");
  }
  return t;
}

// The per-element losses of a contiguous tensor, reduced as asked.
template <class T>
Tensor<T> reduce_losses(const Tensor<T>& losses, Reduction r) {
  if (r == Reduction::None) return losses;
  const T total = kernels::sum_all(losses);  // accumulates float in double
  // Mean of no elements is 0/0 = NaN, as in PyTorch.
  return scalar_tensor<T>(r == Reduction::Sum ? total : total / static_cast<T>(losses.numel()));
}

// The gradient reaching loss element k: g[k] for None, g / count for Mean, g for Sum.
// Keeps a contiguous handle on g so that the pointer stays valid.
template <class T>
class LossGradient {
 public:
  LossGradient(const Tensor<T>& g, Reduction r, index_t count)
      : g_(kernels::make_contiguous(g)),
        step_(r == Reduction::None ? 1 : 0),  // Mean and Sum: one scalar shared by every element
        scale_(r == Reduction::Mean ? T(1) / static_cast<T>(count) : T(1)) {}
  T operator()(index_t k) const { return g_.data()[k * step_] * scale_; }

 private:
  Tensor<T> g_;
  index_t step_;
  T scale_;
};

}  // namespace detail

// -log_probs[i, target[i]] per sample. Backward: -g at the target class, 0 elsewhere.
template <class T>
Tensor<T> nll_loss(const Tensor<T>& log_probs, const Tensor<std::int64_t>& target, Reduction r = Reduction::Mean) {
  static_assert(std::is_floating_point_v<T>, "nll_loss: T must be float or double");
  const Tensor<std::int64_t> t0 = detail::checked_class_targets("nll_loss", "log_probs", log_probs, target);
  const index_t n = log_probs.size(0), classes = log_probs.size(1);
  const Tensor<T> lp = kernels::make_contiguous(log_probs);
  Tensor<T> losses = Tensor<T>::zeros(Shape{n});
  for (index_t i = 0; i < n; ++i) losses.data()[i] = -lp.data()[i * classes + t0.data()[i]];
  Tensor<T> out = detail::reduce_losses(losses, r);
  return record<T>("nll_loss", out, {log_probs}, [t0, n, classes, r](const Tensor<T>& g, const Node<T>&) {
    const detail::LossGradient<T> dl(g, r, n);
    Tensor<T> grad = Tensor<T>::zeros(Shape{n, classes});  // zero-filled
    for (index_t i = 0; i < n; ++i) grad.data()[i * classes + t0.data()[i]] = -dl(i);
    return std::vector<Tensor<T>>{grad};
  });
}

// log_softmax + nll_loss in one pass over logits [N, C]: loss_i = logsumexp(x_i) - x_i[target_i],
// computed with the row maximum subtracted, so logits of +-1e4 (float) give exact finite losses.
// label_smoothing e in [0, 1] (PyTorch's): the target is (1 - e) onehot + e / C, so
// loss_i = logsumexp(x_i) - (1 - e) x_i[target_i] - (e / C) sum_c x_i[c].
// Backward: (softmax(x_i) - smoothed target_i) * g_i, with g_i = g / N for Mean.
// Throws ValueError for label_smoothing outside [0, 1] (and as checked_class_targets).
template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<std::int64_t>& target, Reduction r = Reduction::Mean,
                        double label_smoothing = 0.0) {
  static_assert(std::is_floating_point_v<T>, "cross_entropy: T must be float or double");
  const Tensor<std::int64_t> t0 = detail::checked_class_targets("cross_entropy", "logits", logits, target);
  EMBER_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, ValueError, "cross_entropy",
              "expected label_smoothing in [0, 1], got ", label_smoothing);
  const index_t n = logits.size(0), classes = logits.size(1);
  const T on_target = static_cast<T>(1.0 - label_smoothing);
  const T spread = classes > 0 ? static_cast<T>(label_smoothing / static_cast<double>(classes)) : T(0);
  const Tensor<T> x0 = kernels::make_contiguous(logits).detach();
  // Row statistics are kept for backward: softmax is exp(x - shift) / sum, no [N, C] buffer needed.
  std::vector<detail::ExpSum<T>> rows(static_cast<std::size_t>(n));
  Tensor<T> losses = Tensor<T>::zeros(Shape{n});
  for (index_t i = 0; i < n; ++i) {
    const T* x = x0.data() + i * classes;
    const detail::ExpSum<T> e = detail::exp_sum(x, classes, 1);  // classes > 0: a target exists
    rows[static_cast<std::size_t>(i)] = e;
    const T log_sum = std::log(e.sum);
    T loss = on_target * (log_sum - (x[t0.data()[i]] - e.shift));
    if (spread != T(0)) {
      T all = 0;  // sum over classes of -log p_c
      for (index_t c = 0; c < classes; ++c) all += log_sum - (x[c] - e.shift);
      loss += spread * all;
    }
    losses.data()[i] = loss;
  }
  Tensor<T> out = detail::reduce_losses(losses, r);
  auto backward = [x0, t0, rows = std::move(rows), n, classes, r, on_target, spread](const Tensor<T>& g,
                                                                                     const Node<T>&) {
    const detail::LossGradient<T> dl(g, r, n);
    Tensor<T> grad = Tensor<T>::zeros(Shape{n, classes});
    for (index_t i = 0; i < n; ++i) {
      const T* x = x0.data() + i * classes;
      T* gx = grad.data() + i * classes;
      const detail::ExpSum<T>& e = rows[static_cast<std::size_t>(i)];
      const T w = dl(i), scale = w / e.sum;
      for (index_t c = 0; c < classes; ++c) gx[c] = std::exp(x[c] - e.shift) * scale - w * spread;
      gx[t0.data()[i]] -= w * on_target;
    }
    return std::vector<Tensor<T>>{grad};
  };
  return record<T>("cross_entropy", out, {logits}, std::move(backward));
}

// (input - target)^2 per element; no broadcasting. Mean divides by the element count.
// Backward: 2 (input - target) g for input, the negation for target.
template <class T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction r = Reduction::Mean) {
  static_assert(std::is_floating_point_v<T>, "mse_loss: T must be float or double");
  EMBER_CHECK(input.shape() == target.shape(), ShapeError, "mse_loss",
              "expected input and target of the same shape, got ", input.shape(), " and ", target.shape());
  // The difference is all backward needs: save it instead of both operands.
  Tensor<T> diff = Tensor<T>::zeros(input.shape());
  kernels::binary(input, target, diff, [](T a, T b) { return a - b; });
  Tensor<T> losses = Tensor<T>::zeros(input.shape());
  kernels::unary(diff, losses, [](T d) { return d * d; });
  Tensor<T> out = detail::reduce_losses(losses, r);
  const index_t count = input.numel();
  // diff is a fresh buffer outside any graph: saving it forms no cycle.
  return record<T>("mse_loss", out, {input, target}, [diff, count, r](const Tensor<T>& g, const Node<T>& self) {
    const detail::LossGradient<T> dl(g, r, count);
    auto gradient = [&](T sign) {  // d loss_k / d input_k = 2 diff_k; the target's is its negation
      Tensor<T> grad = Tensor<T>::zeros(diff.shape());
      for (index_t k = 0; k < count; ++k) grad.data()[k] = sign * T(2) * diff.data()[k] * dl(k);
      return grad;
    };
    Tensor<T> gin, gtarget;
    if (self.needs_grad(0)) gin = gradient(T(1));
    if (self.needs_grad(1)) gtarget = gradient(T(-1));
    return std::vector<Tensor<T>>{gin, gtarget};
  });
}

}  // namespace ember
