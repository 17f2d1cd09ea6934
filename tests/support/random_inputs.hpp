#pragma once
// Test inputs for gradient checks and a REQUIRE wrapper that prints gradcheck's report.

#include <catch2/catch.hpp>

#include <vector>

#include <ember/ember.hpp>

namespace ember_test {

// One seeded generator per test translation unit: every run sees the same inputs.
inline ember::Generator& test_generator() {
  static ember::Generator g(2024);
  return g;
}

inline ember::Tensor<double> randn(const ember::Shape& s) { return ember::randn<double>(s, test_generator()); }

// Values in [0.5, 2): safe for division, log and negative powers.
inline ember::Tensor<double> positive(const ember::Shape& s) {
  return ember::uniform<double>(s, 0.5, 2.0, test_generator());
}

inline void require_gradcheck(const ember::GradcheckFn& f, const std::vector<ember::Tensor<double>>& inputs) {
  auto result = ember::gradcheck(f, inputs);
  INFO(result.report);
  REQUIRE(result.ok);
}

// Gradient check of a module's forward with respect to its input and every parameter.
template <class M>
void require_module_gradcheck(M& module, const ember::Shape& input_shape) {
  auto x = randn(input_shape);
  x.requires_grad_();
  std::vector<ember::Tensor<double>> leaves{x};
  for (auto& p : module.parameters()) leaves.push_back(p);
  auto result = ember::gradcheck_leaves([&] { return module(x); }, leaves);
  INFO(result.report);
  REQUIRE(result.ok);
}

}  // namespace ember_test
