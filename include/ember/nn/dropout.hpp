#pragma once
// Dropout(p): inverted dropout while training, the identity in eval mode.
// Masks come from the given generator (default: ember::default_generator()).

#include <sstream>
#include <string>

#include "ember/nn/module.hpp"
#include "ember/ops/dropout.hpp"

namespace ember::nn {

template <class T = float>
class Dropout : public Module<T> {
 public:
  explicit Dropout(double p = 0.5, Generator& gen = default_generator()) : p_(p), gen_(&gen) {
    EMBER_CHECK(p >= 0.0 && p <= 1.0, ValueError, "Dropout", "expected a probability in [0, 1], got ", p);
  }
  Tensor<T> forward(const Tensor<T>& x) override { return dropout(x, p_, this->is_training(), *gen_); }
  std::string type_name() const override { return "Dropout"; }
  std::string describe() const override {
    std::ostringstream s;
    s << "Dropout(p=" << p_ << ")";
    return s.str();
  }

 private:
  double p_;
  Generator* gen_;
};

}  // namespace ember::nn
