#pragma once
// The precision of the matrix products inside conv2d and linear, per thread, as PyTorch's
// torch.autocast("cpu", dtype=torch.bfloat16) sets it for a region of code:
//
//   ember::PrecisionGuard bf16(ember::Precision::bf16);   // until the end of the scope
//   auto loss = cross_entropy(net(x), y);                  // conv/linear GEMMs in bf16
//   loss.backward();                                       // their backward GEMMs too
//
// bf16 mixed precision rounds the GEMM operands (weights, activations, gradients) to bfloat16
// (round to nearest even) and accumulates their products in float32. Everything else stays
// float32: parameters, gradients, optimizer state, bias, activations between layers, softmax
// and the loss. A backward pass runs its GEMMs in the precision its forward pass ran in (the
// op remembers it), whatever the setting when backward() is called. Only float tensors take
// bf16; double tensors always compute in double (gradient checks stay exact).

#include <string>

#include "ember/core/error.hpp"

namespace ember {

enum class Precision { float32, bf16 };

inline const char* to_string(Precision p) { return p == Precision::bf16 ? "bf16" : "float32"; }

// "float32" or "bf16" -> the Precision. Throws ValueError naming `op` for anything else.
inline Precision parse_precision(const std::string& name, const char* op = "parse_precision") {
  if (name == "float32") return Precision::float32;
  if (name == "bf16") return Precision::bf16;
  detail::throw_error<ValueError>(op, "expected precision 'float32' or 'bf16', got '", name, "'");
}

namespace detail {
inline Precision& thread_precision() {
  thread_local Precision precision = Precision::float32;
  return precision;
}
}  // namespace detail

// The precision conv2d and linear use on this thread (float32 unless a guard says otherwise).
inline Precision matmul_precision() { return detail::thread_precision(); }
inline void set_matmul_precision(Precision p) { detail::thread_precision() = p; }

// Sets the matmul precision for a scope and restores the previous one at its end.
class PrecisionGuard {
 public:
  explicit PrecisionGuard(Precision p) : previous_(matmul_precision()) { set_matmul_precision(p); }
  ~PrecisionGuard() { set_matmul_precision(previous_); }
  PrecisionGuard(const PrecisionGuard&) = delete;
  PrecisionGuard& operator=(const PrecisionGuard&) = delete;

 private:
  Precision previous_;
};

}  // namespace ember
