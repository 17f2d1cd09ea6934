#pragma once
// Image files to MNIST-like inputs: load a PNG, JPEG or BMP of a handwritten digit (a photo,
// a drawing, a screenshot) and turn it into what the reference CNN was trained on.
//
//   ember::data::GrayImage img = ember::data::load_image("seven.png");   // any size, grey 0..255
//   std::vector<std::uint8_t> digit = ember::data::to_mnist(img);      // 28x28, light ink on dark
//   ember::Tensor<float> x = ember::data::to_input(digit);             // [1, 1, 28, 28], normalised
//   auto logits = net(x);
//
// stb_image: decoding uses Debian's libstb-dev header <stb/stb_image.h> (any copy of stb_image.h
// reachable as <stb/stb_image.h> works). stb_image is a single-header library: its function
// bodies must be compiled in exactly ONE translation unit of a program. Do this by defining
// EMBER_STB_IMPLEMENTATION in that one .cpp file before including any ember header:
//
//   #define EMBER_STB_IMPLEMENTATION   // in exactly one .cpp of the program
//   #include <ember/ember.hpp>
//
// Every other translation unit includes ember without it. Defining it in no unit gives
// "undefined reference to stbi_load"; in two, "multiple definition of stbi_load". (A program
// that already compiles stb_image itself simply never defines the macro.)
//
// to_mnist follows the original MNIST preprocessing (LeCun et al.): the digit is cropped to
// its bounding box, scaled to fit a 20x20 box keeping its aspect ratio (anti-aliased), and
// pasted into a 28x28 field so that its centre of mass lands on the field's centre.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "ember/core/error.hpp"
#include "ember/core/shape.hpp"
#include "ember/core/tensor.hpp"
#include "ember/image/screen.hpp"
#include "ember/data/transforms.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-qual"
#endif
#if defined(EMBER_STB_IMPLEMENTATION) && !defined(STB_IMAGE_IMPLEMENTATION)
#define STB_IMAGE_IMPLEMENTATION
// Only the formats load_image promises: fewer decoders, less to go wrong on hostile files
// (TGA has no magic number, so without this almost any file "decodes" as a TGA).
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace ember::data {

// A greyscale image: height rows of width bytes (0 black .. 255 white), row-major.
struct GrayImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;
  std::string source;  // the file it came from (load_image), named in to_mnist's errors

  std::uint8_t at(int x, int y) const {
    return pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)];
  }
};

// Largest accepted width and height: a larger header is treated as a corrupt or hostile file.
inline constexpr int kMaxImageSide = 8192;
// Largest accepted file: far above any photo of a digit, and it bounds what is read into memory.
inline constexpr std::uintmax_t kMaxImageFileBytes = std::uintmax_t(256) << 20;

namespace detail {

inline std::vector<std::uint8_t> read_image_file(const std::string& path, const char* op) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  EMBER_CHECK(fs::exists(status), FormatError, op, path, ": no such file");
  EMBER_CHECK(!fs::is_directory(status), FormatError, op, path, ": is a directory, not an image file");
  EMBER_CHECK(fs::is_regular_file(status), FormatError, op, path, ": not a regular file");
  const auto size = fs::file_size(path, ec);
  EMBER_CHECK(!ec, FormatError, op, path, ": cannot read its size (", ec.message(), ")");
  EMBER_CHECK(size > 0, FormatError, op, path, ": empty file (0 bytes)");
  EMBER_CHECK(size <= kMaxImageFileBytes, FormatError, op, path, ": file of ", size, " bytes is larger than the ",
              kMaxImageFileBytes, " accepted");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  EMBER_CHECK(in.gcount() == static_cast<std::streamsize>(bytes.size()), FormatError, op, path,
              ": cannot read the file (got ", in.gcount(), " of ", size, " bytes)");
  return bytes;
}

}  // namespace detail

// Loads a PNG, JPEG or BMP (16-bit PNGs are reduced to 8 bits) as greyscale. Colour becomes
// luma; transparent pixels are composited on white, so a transparent PNG of dark ink reads as
// dark ink on white paper. Throws FormatError "load_image: <path>: <problem>" for a missing
// file, a directory, an empty file or one above 256 MB, a file that is no decodable image
// (stb_image's reason), an image larger than 8192x8192, or a file stb_image 2.27 would
// mishandle (image/screen.hpp: a JPEG Huffman table of more than 256 codes or one that a scan
// uses but the file never defines, a PNG chunk longer than the file, PNG image data that does
// not inflate to the image's size, a BMP whose pixel rows are not all in the file).
inline GrayImage load_image(const std::string& path) {
  const char* op = "load_image";
  const std::vector<std::uint8_t> bytes = detail::read_image_file(path, op);
  if (detail::is_jpeg(bytes)) {
    const std::string problem = detail::jpeg_problem(bytes);
    EMBER_CHECK(problem.empty(), FormatError, op, path, ": ", problem);
  }
  const int length = static_cast<int>(bytes.size());  // <= 256 MB: fits

  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(bytes.data(), length, &width, &height, &channels)) {
    const char* reason = stbi_failure_reason();
    ::ember::detail::throw_error<FormatError>(op, path, ": not a readable PNG, JPEG or BMP image (",
                                              reason ? reason : "unknown format", ")");
  }
  EMBER_CHECK(width > 0 && height > 0 && width <= kMaxImageSide && height <= kMaxImageSide, FormatError, op, path,
              ": image of ", width, "x", height, " pixels is outside the accepted 1x1 .. ", kMaxImageSide, "x",
              kMaxImageSide);
  // After the size check: the PNG screen inflates the image data.
  const std::string problem = bytes[0] == 'B' ? detail::bmp_problem(bytes) : detail::png_problem(bytes);
  EMBER_CHECK(problem.empty(), FormatError, op, path, ": ", problem);

  // Two channels: grey (stb's luma for colour images) and alpha (255 when the file has none).
  stbi_uc* data = stbi_load_from_memory(bytes.data(), length, &width, &height, &channels, 2);
  if (data == nullptr) {
    const char* reason = stbi_failure_reason();
    ::ember::detail::throw_error<FormatError>(op, path, ": cannot decode the image (",
                                              reason && *reason ? reason : "unknown error", ")");
  }
  GrayImage out;
  out.width = width;
  out.height = height;
  out.source = path;
  const std::size_t count = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  out.pixels.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned grey = data[2 * i], alpha = data[2 * i + 1];
    // grey * a + white * (1 - a), rounded.
    out.pixels[i] = static_cast<std::uint8_t>((grey * alpha + 255u * (255u - alpha) + 127u) / 255u);
  }
  stbi_image_free(data);
  return out;
}

namespace detail {

// Weights of a 1-D resampling from `in` samples to `out` samples (the whole source range maps
// onto the whole output range). Shrinking averages each output pixel's footprint by area
// (partial pixels count partially); enlarging interpolates linearly between pixel centres.
struct ResampleTap {
  int first = 0;               // first source index
  std::vector<double> weight;  // weights of first, first + 1, ... (summing to 1)
};

inline std::vector<ResampleTap> resample_taps(int in, int out) {
  std::vector<ResampleTap> taps(static_cast<std::size_t>(out));
  const double scale = static_cast<double>(out) / in;  // output pixels per source pixel
  for (int o = 0; o < out; ++o) {
    ResampleTap& tap = taps[static_cast<std::size_t>(o)];
    if (scale <= 1.0) {
      const double lo = o / scale, hi = (o + 1) / scale;  // footprint in source coordinates
      const int first = static_cast<int>(std::floor(lo));
      const int last = std::min(in - 1, static_cast<int>(std::ceil(hi)) - 1);
      tap.first = first;
      double total = 0;
      for (int i = first; i <= last; ++i) {
        const double w = std::min(hi, i + 1.0) - std::max(lo, static_cast<double>(i));
        tap.weight.push_back(std::max(0.0, w));
        total += tap.weight.back();
      }
      for (double& w : tap.weight) w /= total;
    } else {
      // Centre of output pixel o in source pixel coordinates (pixel i spans [i, i + 1)).
      const double centre = (o + 0.5) / scale - 0.5;
      const double clamped = std::clamp(centre, 0.0, static_cast<double>(in - 1));
      const int first = std::min(static_cast<int>(std::floor(clamped)), std::max(0, in - 2));
      const double frac = clamped - first;
      tap.first = first;
      tap.weight.push_back(1.0 - frac);
      if (in > 1) tap.weight.push_back(frac);
    }
  }
  return taps;
}

// Resamples a w x h float image to out_w x out_h (separable: rows, then columns).
inline std::vector<double> resample(const std::vector<double>& src, int w, int h, int out_w, int out_h) {
  const auto tx = resample_taps(w, out_w), ty = resample_taps(h, out_h);
  std::vector<double> rows(static_cast<std::size_t>(out_w) * static_cast<std::size_t>(h));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < out_w; ++x) {
      const ResampleTap& t = tx[static_cast<std::size_t>(x)];
      double sum = 0;
      for (std::size_t k = 0; k < t.weight.size(); ++k)
        sum += t.weight[k] * src[static_cast<std::size_t>(y) * w + static_cast<std::size_t>(t.first) + k];
      rows[static_cast<std::size_t>(y) * out_w + static_cast<std::size_t>(x)] = sum;
    }
  std::vector<double> out(static_cast<std::size_t>(out_w) * static_cast<std::size_t>(out_h));
  for (int y = 0; y < out_h; ++y) {
    const ResampleTap& t = ty[static_cast<std::size_t>(y)];
    for (int x = 0; x < out_w; ++x) {
      double sum = 0;
      for (std::size_t k = 0; k < t.weight.size(); ++k)
        sum += t.weight[k] * rows[(static_cast<std::size_t>(t.first) + k) * out_w + static_cast<std::size_t>(x)];
      out[static_cast<std::size_t>(y) * out_w + static_cast<std::size_t>(x)] = sum;
    }
  }
  return out;
}

// The median of the image's outer frame (one pixel wide): the background level.
inline std::uint8_t border_median(const GrayImage& img) {
  std::vector<std::uint8_t> border;
  for (int x = 0; x < img.width; ++x) {
    border.push_back(img.at(x, 0));
    if (img.height > 1) border.push_back(img.at(x, img.height - 1));
  }
  for (int y = 1; y + 1 < img.height; ++y) {
    border.push_back(img.at(0, y));
    if (img.width > 1) border.push_back(img.at(img.width - 1, y));
  }
  auto mid = border.begin() + static_cast<std::ptrdiff_t>(border.size() / 2);
  std::nth_element(border.begin(), mid, border.end());
  return *mid;
}

}  // namespace detail

// MNIST geometry: the digit fits a 20x20 box inside the 28x28 field.
inline constexpr int kMnistSide = 28, kMnistDigitBox = 20;
// Ink fainter than this fraction of the contrast (background to strongest ink) is noise.
inline constexpr double kInkThreshold = 0.15;
// Below this contrast (in grey levels, 0..255) the image holds no digit.
inline constexpr int kMinContrast = 32;

// Turns a picture of one digit into a 28x28 MNIST-like image (light ink on black, row-major):
//  1. polarity: the background is the median of the outer frame; when it is light (> 127,
//     dark ink on paper) the image is inverted, so the ink is always light;
//  2. contrast: the background level maps to 0 and the strongest ink to 255; ink fainter
//     than kInkThreshold of that range (paper texture, JPEG noise) becomes 0;
//  3. crop to the ink's bounding box and scale it to fit 20x20 keeping the aspect ratio
//     (area averaging when shrinking, bilinear when enlarging);
//  4. paste into 28x28 with the centre of mass at the centre (14, 14) in pixel-index
//     coordinates, shifting by the rounded offset (clamped so the digit stays whole).
// Throws FormatError "to_mnist: <source>: no digit found (the image is blank)" when no ink
// stands out from the background, ValueError for an image without pixels.
inline std::vector<std::uint8_t> to_mnist(const GrayImage& img) {
  const char* op = "to_mnist";
  const std::string where = img.source.empty() ? std::string() : img.source + ": ";
  EMBER_CHECK(img.width > 0 && img.height > 0 &&
                  img.pixels.size() == static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height),
              ValueError, op, where, "expected width x height pixels, got ", img.width, "x", img.height, " and ",
              img.pixels.size(), " pixels");

  // 1. Polarity.
  const bool invert = detail::border_median(img) > 127;
  std::vector<int> ink(img.pixels.size());
  for (std::size_t i = 0; i < ink.size(); ++i) ink[i] = invert ? 255 - img.pixels[i] : img.pixels[i];

  // 2. Contrast and noise.
  GrayImage light;
  light.width = img.width;
  light.height = img.height;
  light.pixels.resize(ink.size());
  for (std::size_t i = 0; i < ink.size(); ++i) light.pixels[i] = static_cast<std::uint8_t>(ink[i]);
  const int background = detail::border_median(light);
  const int strongest = *std::max_element(ink.begin(), ink.end());
  const int range = strongest - background;
  EMBER_CHECK(range >= kMinContrast, FormatError, op, where, "no digit found (the image is blank)");
  const double cut = kInkThreshold * range;
  std::vector<double> level(ink.size());
  for (std::size_t i = 0; i < ink.size(); ++i) {
    const double v = ink[i] - background;
    level[i] = v < cut ? 0.0 : std::min(255.0, v * 255.0 / range);
  }

  // 3. Bounding box, crop, scale to fit 20x20.
  int x0 = img.width, y0 = img.height, x1 = -1, y1 = -1;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      if (level[static_cast<std::size_t>(y) * img.width + static_cast<std::size_t>(x)] > 0) {
        x0 = std::min(x0, x), x1 = std::max(x1, x);
        y0 = std::min(y0, y), y1 = std::max(y1, y);
      }
  EMBER_CHECK(x1 >= 0, FormatError, op, where, "no digit found (the image is blank)");
  const int box_w = x1 - x0 + 1, box_h = y1 - y0 + 1;
  std::vector<double> crop(static_cast<std::size_t>(box_w) * static_cast<std::size_t>(box_h));
  for (int y = 0; y < box_h; ++y)
    for (int x = 0; x < box_w; ++x)
      crop[static_cast<std::size_t>(y) * box_w + static_cast<std::size_t>(x)] =
          level[static_cast<std::size_t>(y0 + y) * img.width + static_cast<std::size_t>(x0 + x)];
  const double scale = static_cast<double>(kMnistDigitBox) / std::max(box_w, box_h);
  const int out_w = std::clamp(static_cast<int>(std::lround(box_w * scale)), 1, kMnistDigitBox);
  const int out_h = std::clamp(static_cast<int>(std::lround(box_h * scale)), 1, kMnistDigitBox);
  const std::vector<double> digit = detail::resample(crop, box_w, box_h, out_w, out_h);

  // 4. Centre of mass to (14, 14).
  double mass = 0, mx = 0, my = 0;
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < out_w; ++x) {
      const double v = digit[static_cast<std::size_t>(y) * out_w + static_cast<std::size_t>(x)];
      mass += v, mx += v * x, my += v * y;
    }
  EMBER_CHECK(mass > 0, FormatError, op, where, "no digit found (the image is blank)");
  const double centre = kMnistSide / 2.0;
  const int left = std::clamp(static_cast<int>(std::lround(centre - mx / mass)), 0, kMnistSide - out_w);
  const int top = std::clamp(static_cast<int>(std::lround(centre - my / mass)), 0, kMnistSide - out_h);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(kMnistSide * kMnistSide), 0);
  for (int y = 0; y < out_h; ++y)
    for (int x = 0; x < out_w; ++x) {
      const double v = digit[static_cast<std::size_t>(y) * out_w + static_cast<std::size_t>(x)];
      out[static_cast<std::size_t>(top + y) * kMnistSide + static_cast<std::size_t>(left + x)] =
          static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
    }
  return out;
}

// A 28x28 image (row-major bytes, as to_mnist returns) as the network's input [1, 1, 28, 28],
// normalised as the DataLoader does: (p / 255 - mean) / std. Throws ShapeError for another size.
inline Tensor<float> to_input(const std::vector<std::uint8_t>& img28, double mean = kMnistMean,
                              double stddev = kMnistStd) {
  EMBER_CHECK(img28.size() == static_cast<std::size_t>(kMnistSide * kMnistSide), ShapeError, "to_input",
              "expected 28x28 = 784 pixels, got ", img28.size());
  EMBER_CHECK(stddev > 0 && std::isfinite(stddev) && std::isfinite(mean), ValueError, "to_input",
              "expected a finite mean and std > 0, got mean ", mean, " and std ", stddev);
  std::vector<float> values(img28.size());
  const float m = static_cast<float>(mean), s = static_cast<float>(stddev);
  for (std::size_t i = 0; i < img28.size(); ++i) values[i] = (static_cast<float>(img28[i]) / 255.0f - m) / s;
  return Tensor<float>::from_vector(values, {1, 1, kMnistSide, kMnistSide});
}

}  // namespace ember::data
