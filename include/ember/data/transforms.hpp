#pragma once
// Image transforms for training: random affine augmentation (as torchvision's RandomAffine,
// with bilinear sampling) and normalisation (as torchvision's Normalize).
//
// They work on single greyscale images as raw arrays, not tensors: the DataLoader applies them
// per sample while it fills a batch, with no allocation per image.

#include <cmath>
#include <cstdint>

#include "ember/core/error.hpp"
#include "ember/core/random.hpp"
#include "ember/core/shape.hpp"
#include "ember/core/tensor.hpp"

namespace ember::data {

// The mean and standard deviation of the MNIST training pixels scaled to [0, 1], the values
// used by PyTorch's MNIST example.
inline constexpr double kMnistMean = 0.1307, kMnistStd = 0.3081;

// One concrete affine transform about the image centre: rotate by angle_degrees
// (counter-clockwise as displayed, rows going down), scale, then shift by (tx, ty) pixels.
struct AffineParams {
  double angle_degrees = 0.0;
  double tx = 0.0, ty = 0.0;
  double scale = 1.0;
};

// Random affine augmentation, as torchvision.transforms.RandomAffine(degrees, translate,
// scale): an angle uniform in [-degrees, degrees]; shifts uniform in +-translate * width
// (height), rounded to whole pixels as torchvision does; a scale uniform in
// [scale_min, scale_max]. The image is resampled bilinearly; pixels from outside are 0.
struct RandomAffine {
  double degrees = 10.0;
  double translate = 0.1;  // fraction of the width/height
  double scale_min = 0.9, scale_max = 1.1;

  void validate() const {
    EMBER_CHECK(degrees >= 0 && degrees <= 180, ValueError, "RandomAffine", "degrees must be in [0, 180], got ",
                degrees);
    EMBER_CHECK(translate >= 0 && translate <= 1, ValueError, "RandomAffine", "translate must be in [0, 1], got ",
                translate);
    EMBER_CHECK(scale_min > 0 && scale_min <= scale_max && std::isfinite(scale_max), ValueError, "RandomAffine",
                "expected 0 < scale_min <= scale_max, got ", scale_min, " and ", scale_max);
  }

  // Draws one transform: angle, then tx, ty, then scale (four uniforms, always all four, so the
  // number of draws never depends on the options).
  AffineParams sample(index_t rows, index_t cols, Generator& gen) const {
    AffineParams p;
    p.angle_degrees = gen.uniform(-degrees, degrees);
    const double max_dx = translate * static_cast<double>(cols), max_dy = translate * static_cast<double>(rows);
    p.tx = std::round(gen.uniform(-max_dx, max_dx));
    p.ty = std::round(gen.uniform(-max_dy, max_dy));
    p.scale = gen.uniform(scale_min, scale_max);
    return p;
  }
};

// Writes the transformed rows x cols image `src` (bytes) into `dst` as floats in [0, 1].
// Each output pixel samples the source at the inverse-transformed position, bilinearly, with
// zero outside the image; the identity transform reproduces src / 255 exactly.
inline void affine_to_float(const std::uint8_t* src, index_t rows, index_t cols, const AffineParams& p, float* dst) {
  constexpr double kPi = 3.14159265358979323846;
  const double a = p.angle_degrees * kPi / 180.0;
  const double c = std::cos(a) / p.scale, s = std::sin(a) / p.scale;
  // Centre in pixel-centre coordinates, as torchvision's (w * 0.5, h * 0.5) in corner coordinates.
  const double cx = 0.5 * static_cast<double>(cols - 1), cy = 0.5 * static_cast<double>(rows - 1);
  auto pixel = [&](index_t y, index_t x) -> float {
    return (y >= 0 && y < rows && x >= 0 && x < cols) ? static_cast<float>(src[y * cols + x]) : 0.0f;
  };
  for (index_t y = 0; y < rows; ++y) {
    for (index_t x = 0; x < cols; ++x) {
      // Inverse map: undo the shift, then rotate by -angle and divide by the scale.
      const double ux = static_cast<double>(x) - cx - p.tx, uy = static_cast<double>(y) - cy - p.ty;
      const double sx = c * ux - s * uy + cx, sy = s * ux + c * uy + cy;
      const double fx0 = std::floor(sx), fy0 = std::floor(sy);
      const auto x0 = static_cast<index_t>(fx0), y0 = static_cast<index_t>(fy0);
      float value = 0.0f;
      // Far outside (large shifts or scales): nothing to sample, and the casts above stay small.
      if (fx0 > -2 && fx0 < static_cast<double>(cols) && fy0 > -2 && fy0 < static_cast<double>(rows)) {
        const auto wx = static_cast<float>(sx - fx0), wy = static_cast<float>(sy - fy0);
        value = (1 - wy) * ((1 - wx) * pixel(y0, x0) + wx * pixel(y0, x0 + 1)) +
                wy * ((1 - wx) * pixel(y0 + 1, x0) + wx * pixel(y0 + 1, x0 + 1));
      }
      dst[y * cols + x] = value / 255.0f;
    }
  }
}

// In place: values[i] = (values[i] - mean) / std, in float as torchvision's Normalize.
inline void normalize(float* values, index_t count, double mean = kMnistMean, double stddev = kMnistStd) {
  EMBER_CHECK(stddev > 0 && std::isfinite(stddev) && std::isfinite(mean), ValueError, "normalize",
              "expected a finite mean and std > 0, got mean ", mean, " and std ", stddev);
  const auto m = static_cast<float>(mean), sd = static_cast<float>(stddev);
  for (index_t i = 0; i < count; ++i) values[i] = (values[i] - m) / sd;
}

// A normalised contiguous copy of a float tensor (not recorded by autograd).
inline Tensor<float> normalize(const Tensor<float>& x, double mean = kMnistMean, double stddev = kMnistStd) {
  Tensor<float> out = x.detach().cast<float>();
  normalize(out.data(), out.numel(), mean, stddev);
  return out;
}

}  // namespace ember::data
