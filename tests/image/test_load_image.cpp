// Image files to MNIST inputs (image/load_image.hpp): MNIST test digits from the committed sample are
// written as image files the way users produce them (light on dark, dark ink on paper, small
// in a corner of a larger canvas, coloured ink, transparent PNG, JPEG), read back with
// load_image + to_mnist and compared with the original 28x28 digit. Bad files get typed errors.
//
// stb's implementation lives in tests/support/stb_implementation.cpp (one per program).
// With EMBER_IMAGE_SAMPLES=<dir> in the environment it also saves before/after pictures there.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <ember/ember.hpp>
#include <ember/image/load_image.hpp>
#include <ember/data/mnist.hpp>

#include "png_bytes.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#ifndef EMBER_TEST_DATA_DIR
#error "EMBER_TEST_DATA_DIR must name the tests/data directory"
#endif

namespace fs = std::filesystem;
namespace data = ember::data;
using Catch::Matchers::Contains;
using Pixels = std::vector<std::uint8_t>;

namespace {

constexpr int kSide = 28;
constexpr int kDigits = 25;  // test images per variant

// stb_image_write's JPEG encoder shifts negative ints (undefined behaviour in C++17), which the
// sanitizer build (-fsanitize=undefined -fno-sanitize-recover) turns into an abort. There, the
// JPEG variant uses only this file: MNIST test digit 0, inverted, written by stbi_write_jpg at
// quality 92 (973 bytes).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCanWriteJpeg = false;
#else
constexpr bool kCanWriteJpeg = true;
#endif
const unsigned char kDigit0Jpeg[] = {
255,216,255,224,0,16,74,70,73,70,0,1,1,0,0,1,0,1,0,0,255,219,0,132,
0,3,2,2,2,2,2,3,2,2,2,3,3,3,3,4,6,4,4,4,4,4,8,6,
6,5,6,9,8,10,10,9,8,9,9,10,12,15,12,10,11,14,11,9,9,13,17,13,
14,15,16,16,17,16,10,12,18,19,18,16,19,15,16,16,16,1,3,3,3,4,3,4,
8,4,4,8,16,11,9,11,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,
16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,
16,16,16,16,16,16,16,16,16,16,255,192,0,17,8,0,28,0,28,3,1,17,0,2,
17,1,3,17,1,255,196,1,162,0,0,1,5,1,1,1,1,1,1,0,0,0,0,0,
0,0,0,1,2,3,4,5,6,7,8,9,10,11,16,0,2,1,3,3,2,4,3,5,
5,4,4,0,0,1,125,1,2,3,0,4,17,5,18,33,49,65,6,19,81,97,7,34,
113,20,50,129,145,161,8,35,66,177,193,21,82,209,240,36,51,98,114,130,9,10,22,23,
24,25,26,37,38,39,40,41,42,52,53,54,55,56,57,58,67,68,69,70,71,72,73,74,
83,84,85,86,87,88,89,90,99,100,101,102,103,104,105,106,115,116,117,118,119,120,121,122,
131,132,133,134,135,136,137,138,146,147,148,149,150,151,152,153,154,162,163,164,165,166,167,168,
169,170,178,179,180,181,182,183,184,185,186,194,195,196,197,198,199,200,201,202,210,211,212,213,
214,215,216,217,218,225,226,227,228,229,230,231,232,233,234,241,242,243,244,245,246,247,248,249,
250,1,0,3,1,1,1,1,1,1,1,1,1,0,0,0,0,0,0,1,2,3,4,5,
6,7,8,9,10,11,17,0,2,1,2,4,4,3,4,7,5,4,4,0,1,2,119,0,
1,2,3,17,4,5,33,49,6,18,65,81,7,97,113,19,34,50,129,8,20,66,145,161,
177,193,9,35,51,82,240,21,98,114,209,10,22,36,52,225,37,241,23,24,25,26,38,39,
40,41,42,53,54,55,56,57,58,67,68,69,70,71,72,73,74,83,84,85,86,87,88,89,
90,99,100,101,102,103,104,105,106,115,116,117,118,119,120,121,122,130,131,132,133,134,135,136,
137,138,146,147,148,149,150,151,152,153,154,162,163,164,165,166,167,168,169,170,178,179,180,181,
182,183,184,185,186,194,195,196,197,198,199,200,201,202,210,211,212,213,214,215,216,217,218,226,
227,228,229,230,231,232,233,234,242,243,244,245,246,247,248,249,250,255,218,0,12,3,1,0,
2,17,3,17,0,63,0,253,71,213,181,125,39,64,211,110,53,157,119,84,180,211,180,251,
68,50,92,93,221,206,176,195,10,14,172,238,196,42,143,114,104,2,45,15,196,126,30,241,
61,144,212,188,53,175,105,218,181,163,18,5,197,141,210,79,25,228,143,188,132,142,160,143,
192,208,6,141,0,20,1,135,227,95,4,120,75,226,63,133,239,252,21,227,175,15,217,235,
122,22,166,170,151,150,23,145,239,134,96,174,174,187,135,179,42,176,244,32,26,0,240,93,
119,254,9,203,251,31,235,119,146,223,65,240,171,251,18,73,211,100,139,162,106,215,154,124,
68,238,4,55,151,12,170,129,134,8,206,222,140,125,176,1,226,159,177,103,193,239,3,221,
126,213,30,61,248,155,240,94,199,92,210,62,24,248,14,217,252,23,167,201,62,175,113,116,
158,32,213,195,150,188,184,111,62,70,109,145,6,88,212,1,176,252,140,14,119,10,0,253,
1,160,2,128,62,106,253,179,254,57,120,183,193,154,95,135,126,6,252,22,158,7,248,179,
241,86,233,180,157,12,60,187,14,153,105,181,141,206,164,196,130,49,18,131,180,18,14,73,
96,27,203,42,64,61,99,224,87,194,45,7,224,79,194,127,14,124,43,240,235,25,109,244,
59,65,28,215,44,48,247,119,44,75,207,112,253,247,73,43,59,245,56,221,142,212,1,222,
208,1,64,30,59,127,251,42,252,47,213,255,0,104,251,79,218,143,89,147,90,191,241,118,
155,166,174,155,167,65,53,224,22,22,32,43,47,155,20,74,129,188,194,178,72,14,231,100,
249,201,218,14,8,0,246,42,0,40,3,255,217};

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("ember_test_image_" + std::to_string(std::rand()) + "_" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this) % 100000));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

const data::Dataset& mnist_test() {
  static const data::Dataset ds =
      data::load_mnist(std::string(EMBER_TEST_DATA_DIR) + "/mnist-sample", data::Split::Test);
  return ds;
}

Pixels digit(ember::index_t i) {
  const std::uint8_t* p = mnist_test().image(i);
  return Pixels(p, p + kSide * kSide);
}

double mean_abs_diff(const Pixels& a, const Pixels& b) {
  REQUIRE(a.size() == b.size());
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += std::abs(int(a[i]) - int(b[i]));
  return sum / static_cast<double>(a.size());
}

// The smallest mean |a - b| with b shifted by up to one pixel in each direction (zero fill):
// a centre of mass that lies near a half pixel may round either way.
double aligned_diff(const Pixels& a, const Pixels& b) {
  double best = 1e9;
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx) {
      double sum = 0;
      for (int y = 0; y < kSide; ++y)
        for (int x = 0; x < kSide; ++x) {
          const int sx = x - dx, sy = y - dy;
          const int bv = sx >= 0 && sx < kSide && sy >= 0 && sy < kSide ? b[static_cast<std::size_t>(sy * kSide + sx)] : 0;
          sum += std::abs(int(a[static_cast<std::size_t>(y * kSide + x)]) - bv);
        }
      best = std::min(best, sum / (kSide * kSide));
    }
  return best;
}

// Centre of mass of a 28x28 image in pixel-index coordinates.
std::pair<double, double> centre_of_mass(const Pixels& img) {
  double mass = 0, mx = 0, my = 0;
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x) {
      const double v = img[static_cast<std::size_t>(y * kSide + x)];
      mass += v, mx += v * x, my += v * y;
    }
  return {mx / mass, my / mass};
}

double border_sum(const Pixels& img) {
  double sum = 0;
  for (int i = 0; i < kSide; ++i)
    sum += img[static_cast<std::size_t>(i)] + img[static_cast<std::size_t>((kSide - 1) * kSide + i)] +
           img[static_cast<std::size_t>(i * kSide)] + img[static_cast<std::size_t>(i * kSide + kSide - 1)];
  return sum;
}

void write_png(const std::string& path, int w, int h, int comp, const Pixels& px) {
  REQUIRE(px.size() == static_cast<std::size_t>(w * h * comp));
  REQUIRE(stbi_write_png(path.c_str(), w, h, comp, px.data(), w * comp) != 0);
}

// Greyscale picture, upscaled by `factor` (nearest neighbour), for looking at.
void save_sample(const std::string& name, int w, int h, int comp, const Pixels& px, int factor) {
  const char* dir = std::getenv("EMBER_IMAGE_SAMPLES");
  if (dir == nullptr) return;
  fs::create_directories(dir);
  Pixels big(static_cast<std::size_t>(w * factor * h * factor * comp));
  for (int y = 0; y < h * factor; ++y)
    for (int x = 0; x < w * factor; ++x)
      for (int c = 0; c < comp; ++c)
        big[static_cast<std::size_t>((y * w * factor + x) * comp + c)] =
            px[static_cast<std::size_t>(((y / factor) * w + x / factor) * comp + c)];
  stbi_write_png((fs::path(dir) / name).string().c_str(), w * factor, h * factor, comp, big.data(),
                 w * factor * comp);
}

// The ways a digit is written to a file: each returns the file's path.
enum class Variant { AsIs, Inverted, OffCentre, ColouredInk, TransparentInk, Jpeg };

const char* variant_name(Variant v) {
  switch (v) {
    case Variant::AsIs: return "as_is";
    case Variant::Inverted: return "inverted";
    case Variant::OffCentre: return "off_centre";
    case Variant::ColouredInk: return "coloured_ink";
    case Variant::TransparentInk: return "transparent_ink";
    case Variant::Jpeg: return "jpeg";
  }
  return "?";
}

std::string render(const TempDir& dir, ember::index_t index, Variant v, bool save) {
  const Pixels d = digit(index);
  const std::string base = std::string(variant_name(v)) + "_" + std::to_string(index);
  std::string path = dir.file(base + (v == Variant::Jpeg ? ".jpg" : ".png"));
  int w = kSide, h = kSide, comp = 1;
  Pixels px;
  switch (v) {
    case Variant::AsIs:
      px = d;
      break;
    case Variant::Inverted:
      for (std::uint8_t p : d) px.push_back(static_cast<std::uint8_t>(255 - p));
      break;
    case Variant::OffCentre: {
      // Dark ink on a light-grey 100x80 canvas, the digit twice as large in the top-right corner.
      w = 100, h = 80;
      px.assign(static_cast<std::size_t>(w * h), 230);
      for (int y = 0; y < 2 * kSide; ++y)
        for (int x = 0; x < 2 * kSide; ++x) {
          const int p = d[static_cast<std::size_t>((y / 2) * kSide + x / 2)];
          px[static_cast<std::size_t>((y + 3) * w + (w - 2 * kSide - 2 + x))] =
              static_cast<std::uint8_t>(230 - p * 200 / 255);
        }
      break;
    }
    case Variant::ColouredInk:
      // Blue ballpoint ink (30, 40, 160) blended on white by the digit's coverage.
      comp = 3;
      for (std::uint8_t p : d) {
        const double a = p / 255.0;
        for (double ink : {30.0, 40.0, 160.0})
          px.push_back(static_cast<std::uint8_t>(std::lround(255.0 * (1 - a) + ink * a)));
      }
      break;
    case Variant::TransparentInk:
      // Black ink whose alpha is the coverage, on a fully transparent background.
      comp = 4;
      for (std::uint8_t p : d) px.insert(px.end(), {0, 0, 0, p});
      break;
    case Variant::Jpeg:
      for (std::uint8_t p : d) px.push_back(static_cast<std::uint8_t>(255 - p));
      if (kCanWriteJpeg) {
        REQUIRE(stbi_write_jpg(path.c_str(), w, h, comp, px.data(), 92) != 0);
      } else {
        REQUIRE(index == 0);
        std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(kDigit0Jpeg), sizeof kDigit0Jpeg);
      }
      break;
  }
  if (v != Variant::Jpeg) write_png(path, w, h, comp, px);
  if (save) save_sample(base + "_before.png", w, h, comp, px, v == Variant::OffCentre ? 4 : 10);
  return path;
}

}  // namespace

TEST_CASE("to_mnist recovers MNIST digits written to image files in several ways", "[data][image]") {
  TempDir dir;
  const Variant variants[] = {Variant::AsIs,        Variant::Inverted,       Variant::OffCentre,
                              Variant::ColouredInk, Variant::TransparentInk, Variant::Jpeg};
  for (Variant v : variants) {
    double worst_diff = 0, total_diff = 0, worst_com = 0;
    const int count = v == Variant::Jpeg && !kCanWriteJpeg ? 1 : kDigits;
    for (ember::index_t i = 0; i < count; ++i) {
      const bool save = i < 3;
      const std::string path = render(dir, i, v, save);
      data::GrayImage img = data::load_image(path);
      CHECK(img.source == path);
      const Pixels got = data::to_mnist(img);
      REQUIRE(got.size() == static_cast<std::size_t>(kSide * kSide));
      if (save) save_sample(std::string(variant_name(v)) + "_" + std::to_string(i) + "_after.png", kSide, kSide, 1,
                            got, 10);
      const Pixels want = digit(i);
      const double diff = mean_abs_diff(got, want);
      const auto [cx, cy] = centre_of_mass(got);
      INFO(variant_name(v) << " digit " << i << " (label " << mnist_test().label(i) << "): mean |diff| " << diff
                           << ", centre of mass (" << cx << ", " << cy << ")");
      // Polarity: light ink on a black frame, as MNIST.
      CHECK(border_sum(got) == 0);
      CHECK(*std::max_element(got.begin(), got.end()) == 255);
      CHECK(std::abs(cx - 14.0) <= 1.0);
      CHECK(std::abs(cy - 14.0) <= 1.0);
      CHECK(diff < 20.0);
      CHECK(aligned_diff(got, want) < (v == Variant::Jpeg ? 4.0 : 2.0));
      worst_diff = std::max(worst_diff, diff);
      total_diff += diff;
      worst_com = std::max({worst_com, std::abs(cx - 14.0), std::abs(cy - 14.0)});
    }
    const double mean_diff = total_diff / count;
    INFO(variant_name(v) << ": mean |diff| " << mean_diff << " (worst " << worst_diff
                         << "), worst centre-of-mass offset " << worst_com);
    CHECK(mean_diff < 3.0);
  }
}

TEST_CASE("to_mnist gives the same digit whatever the polarity, colour or transparency", "[data][image]") {
  TempDir dir;
  for (ember::index_t i = 0; i < kDigits; ++i) {
    const Pixels as_is = data::to_mnist(data::load_image(render(dir, i, Variant::AsIs, false)));
    INFO("digit " << i);
    for (Variant v : {Variant::Inverted, Variant::ColouredInk, Variant::TransparentInk}) {
      INFO(variant_name(v));
      CHECK(aligned_diff(data::to_mnist(data::load_image(render(dir, i, v, false))), as_is) < 1.5);
    }
  }
}

TEST_CASE("load_image reads grey, RGB and RGBA files", "[data][image]") {
  TempDir dir;
  // 3x2 RGBA: opaque black, opaque white, transparent black (-> white), half-transparent black.
  const Pixels rgba = {0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 128, 255, 0, 0, 255, 10, 20, 30, 255};
  write_png(dir.file("rgba.png"), 3, 2, 4, rgba);
  const data::GrayImage img = data::load_image(dir.file("rgba.png"));
  REQUIRE(img.width == 3);
  REQUIRE(img.height == 2);
  REQUIRE(img.pixels.size() == 6);
  CHECK(img.at(0, 0) == 0);
  CHECK(img.at(1, 0) == 255);
  CHECK(img.at(2, 0) == 255);
  CHECK(std::abs(int(img.at(0, 1)) - 127) <= 1);
  CHECK(std::abs(int(img.at(1, 1)) - 77) <= 2);  // stb's luma of pure red: (77 * 255) >> 8
  CHECK(img.at(2, 1) < 30);

  const Pixels grey = {0, 50, 100, 150, 200, 250};
  write_png(dir.file("grey.png"), 2, 3, 1, grey);
  const data::GrayImage g = data::load_image(dir.file("grey.png"));
  CHECK(g.width == 2);
  CHECK(g.height == 3);
  CHECK(g.pixels == grey);
}

TEST_CASE("to_input normalises like the DataLoader", "[data][image]") {
  Pixels img(kSide * kSide);
  for (std::size_t i = 0; i < img.size(); ++i) img[i] = static_cast<std::uint8_t>(i % 256);
  const ember::Tensor<float> x = data::to_input(img);
  REQUIRE(x.shape() == ember::Shape({1, 1, 28, 28}));
  const std::vector<float> v = x.to_vector();
  for (std::size_t i = 0; i < img.size(); ++i) {
    const float expected = (static_cast<float>(img[i]) / 255.0f - 0.1307f) / 0.3081f;
    REQUIRE(v[i] == expected);
  }
  CHECK_THROWS_MATCHES(data::to_input(Pixels(100)), ember::ShapeError, Catch::Matchers::Message("to_input: expected 28x28 = 784 pixels, got 100"));
}

TEST_CASE("load_image and to_mnist reject bad files with typed errors", "[data][image]") {
  TempDir dir;
  auto check_load_fails = [](const std::string& path, const std::string& problem) {
    INFO(path);
    CHECK_THROWS_AS(data::load_image(path), ember::FormatError);
    CHECK_THROWS_WITH(data::load_image(path), Contains("load_image: " + path + ": ") && Contains(problem));
  };

  check_load_fails(dir.file("missing.png"), "no such file");
  check_load_fails(dir.path.string(), "is a directory");

  { std::ofstream(dir.file("empty.png"), std::ios::binary); }
  check_load_fails(dir.file("empty.png"), "empty file");

  { std::ofstream(dir.file("notes.png")) << "this is not an image, just some text\n"; }
  check_load_fails(dir.file("notes.png"), "not a readable PNG, JPEG or BMP image");

  {  // A PNG whose header claims 9000 x 9000 pixels (no pixel data follows).
    std::ofstream out(dir.file("huge.png"), std::ios::binary);
    const unsigned char header[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                    0,    0,   0x23, 0x28, 0, 0, 0x23, 0x28, 8, 0, 0, 0, 0, 0, 0, 0, 0};
    out.write(reinterpret_cast<const char*>(header), sizeof header);
  }
  check_load_fails(dir.file("huge.png"), "9000x9000");

  // A BMP cut short: stb would fill the missing rows with black (image/screen.hpp).
  REQUIRE(stbi_write_bmp(dir.file("cut.bmp").c_str(), 28, 28, 1, Pixels(28 * 28, 200).data()));
  fs::resize_file(dir.file("cut.bmp"), fs::file_size(dir.file("cut.bmp")) - 100);
  check_load_fails(dir.file("cut.bmp"),
                   "corrupt BMP: the pixel rows of a 28x28 24-bit image need 2406 bytes, the file has 2306 "
                   "(a truncated file?)");

  // Regression: a PNG cut before its IEND chunk got "cannot decode the image ()" from stb.
  write_png(dir.file("no-iend.png"), 28, 28, 1, Pixels(28 * 28, 90));
  fs::resize_file(dir.file("no-iend.png"), fs::file_size(dir.file("no-iend.png")) - 12);  // IEND is 12 bytes
  check_load_fails(dir.file("no-iend.png"), "truncated PNG: the file ends after");
  CHECK_THROWS_WITH(data::load_image(dir.file("no-iend.png")), Contains("before its IEND chunk") && !Contains("()"));

  // A blank sheet loads, but holds no digit; nor does a sheet with faint noise only.
  write_png(dir.file("blank.png"), 40, 30, 1, Pixels(40 * 30, 255));
  const data::GrayImage blank = data::load_image(dir.file("blank.png"));
  CHECK_THROWS_AS(data::to_mnist(blank), ember::FormatError);
  CHECK_THROWS_WITH(data::to_mnist(blank), Contains("to_mnist: " + dir.file("blank.png") + ": ") &&
                                               Contains("no digit found (the image is blank)"));
  Pixels noisy(40 * 30, 240);
  for (std::size_t i = 0; i < noisy.size(); i += 7) noisy[i] = 225;
  write_png(dir.file("noise.png"), 40, 30, 1, noisy);
  CHECK_THROWS_WITH(data::to_mnist(data::load_image(dir.file("noise.png"))),
                    Contains("no digit found (the image is blank)"));

  // In memory: no source to name.
  data::GrayImage black;
  black.width = 5, black.height = 5, black.pixels.assign(25, 0);
  CHECK_THROWS_MATCHES(data::to_mnist(black), ember::FormatError,
                       Catch::Matchers::Message("to_mnist: no digit found (the image is blank)"));
  data::GrayImage broken;
  broken.width = 5, broken.height = 5;
  CHECK_THROWS_AS(data::to_mnist(broken), ember::ValueError);
}

TEST_CASE("to_mnist handles tiny, thin and huge digits", "[data][image]") {
  // A one-pixel dot, a horizontal bar and a vertical bar on white: no crash, ink centred.
  for (auto [w, h] : {std::pair{1, 1}, std::pair{9, 1}, std::pair{1, 9}, std::pair{300, 200}}) {
    data::GrayImage img;
    img.width = 400, img.height = 300;
    img.pixels.assign(400 * 300, 255);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) img.pixels[static_cast<std::size_t>((50 + y) * 400 + 60 + x)] = 0;
    INFO(w << "x" << h);
    const Pixels got = data::to_mnist(img);
    const auto [cx, cy] = centre_of_mass(got);
    CHECK(std::abs(cx - 14.0) <= 1.0);
    CHECK(std::abs(cy - 14.0) <= 1.0);
    CHECK(*std::max_element(got.begin(), got.end()) == 255);
  }
}

// Inputs the fuzzers (tests/fuzz) found that crashed or misbehaved, kept as regression tests.
TEST_CASE("fuzz regressions: image files that crashed stb_image are refused with a FormatError", "[data][image][fuzz]") {
  const std::string dir = std::string(EMBER_TEST_DATA_DIR) + "/fuzz-regressions/";
  // fuzz_image: a JPEG Huffman table of 767 codes overflowed stb_image 2.27's 257-entry array.
  const std::string huffman = dir + "jpeg-huffman-257-codes.jpg";
  CHECK_THROWS_AS(data::load_image(huffman), ember::FormatError);
  CHECK_THROWS_WITH(data::load_image(huffman),
                    Contains("load_image: " + huffman + ": corrupt JPEG: a Huffman table declares") &&
                        Contains("codes (at most 256)"));
  // fuzz_image, again: the same table behind fill bytes before the SOI marker (FF FF ... FF D8),
  // which stb_image accepts as a JPEG.
  const std::string filled = dir + "jpeg-huffman-after-fill-bytes.jpg";
  CHECK_THROWS_WITH(data::load_image(filled), Contains("load_image: " + filled + ": corrupt JPEG: a Huffman table"));
  // fuzz_image: a PNG whose first IDAT chunk is empty made stb_image call memcpy(NULL, p, 0),
  // which UBSan stops on (stb's unit is now built without that check). It must load or be refused
  // with a FormatError, nothing else.
  const std::string empty_idat = dir + "png-empty-first-idat.png";
  try {
    (void)data::to_mnist(data::load_image(empty_idat));
    SUCCEED("decoded");
  } catch (const ember::FormatError& e) {
    CHECK_THAT(std::string(e.what()), Contains(empty_idat));
  }
  // fuzz_image: a JPEG whose scan data runs out mid-block. stb_image 2.27 then lets its bit count
  // go negative and shifts by 32 (UB that UBSan stops on; fixed upstream in 2.28). Its unit is
  // built with -fwrapv and without UBSan's integer checks (EMBER_STB_UNIT_OPTIONS): the file must
  // decode to something or be refused with a FormatError, under ASan.
  const std::string runs_out = dir + "jpeg-scan-runs-out.jpg";
  try {
    (void)data::load_image(runs_out);
    SUCCEED("decoded");
  } catch (const ember::FormatError& e) {
    CHECK_THAT(std::string(e.what()), Contains(runs_out));
  }
  // fuzz_image: a scan that uses a Huffman table the file never defines; stb read it uninitialised.
  const std::string undefined_table = dir + "jpeg-scan-uses-undefined-table.jpg";
  CHECK_THROWS_WITH(data::load_image(undefined_table),
                    Contains("load_image: " + undefined_table + ": corrupt JPEG: scan 3 uses AC Huffman table 3"));
  // fuzz_image in CI: a second IDAT chunk that declares 2,147,479,552 bytes in a 77-byte file made
  // stb_image reallocate its buffer to 2 GB before reading (libFuzzer's malloc limit stopped it).
  const std::string declares_2gb = dir + "png-idat-declares-2gb.png";
  CHECK_THROWS_AS(data::load_image(declares_2gb), ember::FormatError);
  CHECK_THROWS_WITH(data::load_image(declares_2gb),
                    Contains("load_image: " + declares_2gb + ": corrupt PNG: chunk 'IDAT' at byte 49 declares 2147479552 "
                             "bytes, but only 20 follow in the file"));
}

TEST_CASE("load_image refuses a PNG zlib bomb before stb inflates it", "[data][image][fuzz]") {
  // 28x28 grey pixels declared, 4 MB of zeros in the IDAT stream (4 KB compressed). stb_image
  // 2.27 grows its buffer with the stream: 1.5 MB of such a file made it allocate 2 GB.
  const png_bytes::Bytes bomb = png_bytes::grey_png(28, 28, png_bytes::zlib_compress(png_bytes::Bytes(4 << 20, 0)));
  TempDir dir;
  std::ofstream(dir.file("bomb.png"), std::ios::binary)
      .write(reinterpret_cast<const char*>(bomb.data()), static_cast<std::streamsize>(bomb.size()));
  CHECK_THROWS_AS(data::load_image(dir.file("bomb.png")), ember::FormatError);
  CHECK_THROWS_WITH(data::load_image(dir.file("bomb.png")),
                    Contains("corrupt PNG: the image data inflates to more than the 812 bytes of a 28x28 image"));
}

TEST_CASE("jpeg_huffman_problem accepts the tables of real JPEGs and counts as stb does", "[data][image][fuzz]") {
  // A DHT segment of one table with `codes` codes (the counts spread over lengths 1..16).
  auto jpeg_with_table = [](unsigned codes) {
    std::vector<std::uint8_t> b{0xFF, 0xD8, 0xFF, 0xC4};
    const unsigned length = 2 + 17 + codes;
    b.push_back(static_cast<std::uint8_t>(length >> 8));
    b.push_back(static_cast<std::uint8_t>(length & 0xFF));
    b.push_back(0x10);  // AC table 0
    unsigned left = codes;
    for (int k = 0; k < 16; ++k) {
      const unsigned c = std::min(left, 255u);
      b.push_back(static_cast<std::uint8_t>(k == 15 ? left : c));
      left -= k == 15 ? left : c;
      if (k == 15 && left) FAIL("too many codes for one table in this helper");
    }
    b.insert(b.end(), codes, 0);
    return b;
  };
  CHECK(data::detail::jpeg_huffman_problem(jpeg_with_table(162)).empty());  // the standard AC table
  CHECK(data::detail::jpeg_huffman_problem(jpeg_with_table(256)).empty());
  CHECK_THAT(data::detail::jpeg_huffman_problem(jpeg_with_table(257)), Contains("declares 257 codes"));
  // Real encoder output (stb_image_write's JPEG, written by the test above) passes.
  TempDir tmp;
  Pixels grey(28 * 28, 128);
  REQUIRE(stbi_write_jpg(tmp.file("grey.jpg").c_str(), 28, 28, 1, grey.data(), 90));
  CHECK_NOTHROW(data::load_image(tmp.file("grey.jpg")));
}
