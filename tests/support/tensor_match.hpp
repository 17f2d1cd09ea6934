#pragma once
// Test helpers: compare a tensor with expected values and describe the first mismatch,
// so that a failing CHECK(mismatch(...) == "") prints what went wrong.

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <ember/ember.hpp>

namespace ember_test {

template <class T>
std::string mismatch(const ember::Tensor<T>& actual, const std::vector<double>& expected,
                     double tolerance = 1e-6) {
  std::vector<T> got = actual.to_vector();
  std::ostringstream out;
  if (got.size() != expected.size()) {
    out << "size " << got.size() << " vs expected " << expected.size();
    return out.str();
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    double g = static_cast<double>(got[i]), e = expected[i];
    bool same = (std::isnan(g) && std::isnan(e)) || g == e || std::abs(g - e) <= tolerance * (1 + std::abs(e));
    if (!same) {
      out << "element " << i << ": got " << g << ", expected " << e;
      return out.str();
    }
  }
  return "";
}

template <class T, class U>
std::string mismatch(const ember::Tensor<T>& actual, const ember::Tensor<U>& expected, double tolerance = 1e-6) {
  if (actual.shape() != expected.shape())
    return "shape " + actual.shape().to_string() + " vs expected " + expected.shape().to_string();
  std::vector<double> e;
  for (U v : expected.to_vector()) e.push_back(static_cast<double>(v));
  return mismatch(actual, e, tolerance);
}

// Tolerance suited to the element type.
template <class T>
constexpr double tol() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

}  // namespace ember_test
