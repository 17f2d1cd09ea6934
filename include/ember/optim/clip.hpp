#pragma once
// Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_ (norm_type 2).
//
//   loss.backward();
//   double norm = ember::optim::clip_grad_norm(net.parameters(), 1.0);
//   opt.step();

#include <cmath>
#include <vector>

#include "ember/core/error.hpp"
#include "ember/core/tensor.hpp"

namespace ember::optim {

// The L2 norm of all gradients together (parameters without a gradient are left out; 0 when
// none has one). When coef = max_norm / (norm + 1e-6) is below 1 (the norm exceeds max_norm,
// give or take the 1e-6), every gradient is scaled in place by coef, which brings the norm
// just below max_norm. Returns the norm before clipping. The sums run in double for either T.
template <class T>
double clip_grad_norm(const std::vector<Tensor<T>>& params, double max_norm) {
  EMBER_CHECK(max_norm >= 0, ValueError, "clip_grad_norm", "expected max_norm >= 0, got ", max_norm);
  // PyTorch's order: the norm of each gradient, then the norm of those norms.
  double sum_of_squares = 0;
  for (const auto& p : params) {
    Tensor<T> g = p.grad();
    if (!g.defined()) continue;
    const auto values = g.eigen();
    double s = 0;
    for (index_t k = 0; k < values.size(); ++k) s += static_cast<double>(values[k]) * static_cast<double>(values[k]);
    const double norm = std::sqrt(s);
    sum_of_squares += norm * norm;
  }
  const double total = std::sqrt(sum_of_squares);
  const double coef = max_norm / (total + 1e-6);
  // PyTorch scales by min(coef, 1) unconditionally: the same as scaling only when coef < 1,
  // except that a NaN norm makes coef NaN and spreads to the gradients (kept here: a NaN
  // gradient should stay visible, not be silently passed on unclipped).
  if (!(coef >= 1.0)) {
    for (const auto& p : params) {
      Tensor<T> g = p.grad();
      if (g.defined()) g.eigen() *= static_cast<T>(coef);
    }
  }
  return total;
}

}  // namespace ember::optim
