#pragma once
// gradcheck: compares autograd's gradients with central finite differences, in double
// precision. For f(x_0, ..., x_n) with any output shape it checks the gradient of
// L = sum(f(x) * W), W a fixed random tensor, so every output element matters.
//
//   auto result = ember::gradcheck([](const auto& x) { return ember::matmul(x[0], x[1]); }, {a, b});
//   REQUIRE(result.ok);  // result.report says which input and element disagree, and by how much

#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "ember/autograd/engine.hpp"
#include "ember/core/factory.hpp"
#include "ember/core/random.hpp"
#include "ember/kernels/elementwise.hpp"

namespace ember {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-6;  // pass when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-4;
  std::uint64_t seed = 1234;  // for the output weights W
  int max_reported = 5;       // mismatches listed in the report
};

struct GradcheckResult {
  bool ok = true;
  std::string report;  // empty when ok
  explicit operator bool() const { return ok; }
};

using GradcheckFn = std::function<Tensor<double>(const std::vector<Tensor<double>>&)>;

namespace detail {

inline std::string index_string(const Shape& shape, index_t flat) {
  std::vector<index_t> idx(static_cast<std::size_t>(shape.rank()));
  for (int d = shape.rank() - 1; d >= 0; --d) {
    idx[static_cast<std::size_t>(d)] = flat % shape[d];
    flat /= shape[d];
  }
  std::string s = "[";
  for (std::size_t i = 0; i < idx.size(); ++i) s += (i ? ", " : "") + std::to_string(idx[i]);
  return s + "]";
}

}  // namespace detail

// Checks f() against the leaves it reads, in place: each leaf (which must require grad) is
// perturbed and restored, and its .grad is reset. Use it for modules, whose parameters are
// leaves already:  gradcheck_leaves([&] { return layer(x); }, {x, layer.weight, layer.bias});
inline GradcheckResult gradcheck_leaves(const std::function<Tensor<double>()>& f, std::vector<Tensor<double>> leaves,
                                        const GradcheckOptions& options = {}) {
  GradcheckResult result;
  std::ostringstream report;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    EMBER_CHECK(leaves[i].is_leaf() && leaves[i].requires_grad() && leaves[i].is_contiguous(), ValueError,
                "gradcheck", "input ", i, " must be a contiguous leaf that requires grad");
    leaves[i].reset_grad();
  }
  Tensor<double> out = f();
  if (!out.requires_grad()) {
    result.ok = false;
    result.report = "gradcheck: the output does not require grad; no op recorded a graph\n";
    return result;
  }
  Generator gen(options.seed);
  const Tensor<double> w = uniform<double>(out.shape(), 0.5, 1.5, gen);  // away from 0: no element is ignored
  out.backward(w);  // the gradient of L = sum(out * W): backward seeded with W, no op above autograd needed
  auto weighted_output = [&] {  // L = sum(f() * W) without a graph
    NoGradGuard no_grad;
    Tensor<double> o = kernels::make_contiguous(f());
    return (o.eigen() * w.eigen()).sum();
  };

  int reported = 0;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    Tensor<double> analytic = leaves[i].grad();
    for (index_t j = 0; j < leaves[i].numel(); ++j) {
      double& x = leaves[i].data()[j];
      const double saved = x;
      x = saved + options.eps;
      const double plus = weighted_output();
      x = saved - options.eps;
      const double minus = weighted_output();
      x = saved;
      const double numeric = (plus - minus) / (2 * options.eps);
      const double got = analytic.defined() ? analytic.data()[j] : 0.0;
      const double diff = std::abs(got - numeric);
      if (diff <= options.atol + options.rtol * std::abs(numeric)) continue;  // NaN fails too
      if (result.ok) report << "gradcheck failed (eps " << options.eps << ", atol " << options.atol << ", rtol "
                            << options.rtol << "):\n";
      result.ok = false;
      if (reported++ < options.max_reported)
        report << "  input " << i << " (shape " << leaves[i].shape() << "), element "
               << detail::index_string(leaves[i].shape(), j) << ": analytic " << got << ", numeric " << numeric
               << ", |diff| " << diff << (analytic.defined() ? "" : " (no gradient reached this input)") << "\n";
    }
    leaves[i].reset_grad();
  }
  if (reported > options.max_reported) report << "  ... and " << reported - options.max_reported << " more\n";
  result.report = report.str();
  return result;
}

// Checks f(inputs) for every element of every input. The inputs are copied: the caller's
// tensors are not modified.
inline GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor<double>>& inputs,
                                 const GradcheckOptions& options = {}) {
  std::vector<Tensor<double>> leaves;
  for (const auto& in : inputs) {
    Tensor<double> leaf = kernels::copy(in);
    leaf.requires_grad_();
    leaves.push_back(leaf);
  }
  return gradcheck_leaves([&] { return f(leaves); }, leaves, options);
}

}  // namespace ember
