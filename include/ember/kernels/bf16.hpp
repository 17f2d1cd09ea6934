#pragma once
// bfloat16 numbers as ember's bf16 GEMMs use them: the upper 16 bits of a float32, rounded to
// nearest even. Denormal inputs become signed zero and NaNs stay (quiet) NaNs, which is what
// the AVX512_BF16 conversion instruction does, so the portable and the vector paths agree on
// every operand bit.

#include <cstdint>
#include <cstring>

namespace ember::kernels {

using bf16_bits = std::uint16_t;

// float -> bf16, round to nearest even; denormals flush to signed zero, NaN stays NaN (quiet).
inline bf16_bits to_bf16(float value) {
  std::uint32_t u;
  std::memcpy(&u, &value, sizeof u);
  if ((u & 0x7F800000u) == 0) return static_cast<bf16_bits>((u >> 16) & 0x8000u);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<bf16_bits>((u >> 16) | 0x0040u);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<bf16_bits>(u >> 16);
}

// bf16 -> float (exact).
inline float from_bf16(bf16_bits bits) {
  const std::uint32_t u = static_cast<std::uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &u, sizeof value);
  return value;
}

// The float nearest to `value` that bf16 can hold (the reference tests compute with).
inline float round_to_bf16(float value) { return from_bf16(to_bf16(value)); }

// Two bf16 numbers in one 32-bit word, the first in the low half: the pair along k that one
// lane of the dot-product instruction multiplies.
inline std::uint32_t bf16_pair(float first, float second) {
  return static_cast<std::uint32_t>(to_bf16(first)) | (static_cast<std::uint32_t>(to_bf16(second)) << 16);
}

}  // namespace ember::kernels
