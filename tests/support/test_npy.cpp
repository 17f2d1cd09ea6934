// Tests of the .npy fixture reader (tests/support/npy.hpp): the committed PyTorch fixtures
// load with the right shapes, dtypes and values, and malformed files are rejected with a
// std::runtime_error that names the file.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <ember/ember.hpp>

#include "npy.hpp"

#ifndef EMBER_TEST_DATA_DIR
#error "EMBER_TEST_DATA_DIR must be defined as the absolute path of tests/data"
#endif

using Catch::Matchers::Contains;
using ember_test::fixture_path;
using ember_test::load_labels;
using ember_test::load_tensor;
using ember_test::read_npy;

namespace {

// The reference_cnn parameter formula (tests/data/fixtures/README.md):
// value[i] = float((1/sqrt(fan_in)) * sin(0.37 * i + 0.11 * k)), computed in double.
float formula(std::int64_t i, int fan_in, int k) {
  return static_cast<float>((1.0 / std::sqrt(static_cast<double>(fan_in))) *
                            std::sin(0.37 * static_cast<double>(i) + 0.11 * static_cast<double>(k)));
}

// Equal within 2 float ulps: with -march=native the compiler may fuse 0.37 * i + 0.11 * k into
// one FMA, which moves sin's argument (up to 4e5 rad) by an ulp and the float result by one.
bool same_float(float a, float b) {
  return std::abs(a - b) <= 2 * std::numeric_limits<float>::epsilon() * std::max(std::abs(a), std::abs(b));
}

std::vector<std::int64_t> dims(const ember::Shape& s) { return s.to_vector(); }

// A scratch directory for hand-made files, removed at the end of the test case.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("ember_test_npy_" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Writes bytes to <dir>/<name> and returns the full path.
  std::string write(const std::string& name, const std::string& bytes) const {
    std::string p = (path_ / name).string();
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

 private:
  std::filesystem::path path_;
};

// The bytes of a .npy file with the given header dictionary and raw data, laid out as
// numpy does: magic, version, little-endian header length, header padded with spaces to a
// multiple of 64 bytes and ending in '\n', then the data.
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  std::size_t len_bytes = major == 1 ? 2 : 4;
  std::string header = dict;
  while ((6 + 2 + len_bytes + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t b = 0; b < len_bytes; ++b) out += static_cast<char>((header.size() >> (8 * b)) & 0xff);
  return out + header + data;
}

// n little-endian float32 values 0, 1, 2, ...
std::string float_data(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    float f = static_cast<float>(i);
    unsigned char b[4];
    std::memcpy(b, &f, 4);  // the tests run on little-endian hosts (x86-64, aarch64)
    out.append(reinterpret_cast<const char*>(b), 4);
  }
  return out;
}

}  // namespace

TEST_CASE("npy: conv2d fixture shapes, dtypes and config", "[npy]") {
  auto x = read_npy(fixture_path("conv2d_basic", "input"));
  CHECK(x.dtype == "<f4");
  CHECK(x.shape == std::vector<std::int64_t>{2, 3, 7, 9});
  CHECK(x.numel() == 2 * 3 * 7 * 9);
  CHECK(x.data.size() == 378u);
  CHECK(x.int_data.empty());

  CHECK(dims(load_tensor<float>(fixture_path("conv2d_basic", "weight")).shape()) ==
        std::vector<std::int64_t>{4, 3, 3, 3});
  CHECK(dims(load_tensor<float>(fixture_path("conv2d_basic", "bias")).shape()) == std::vector<std::int64_t>{4});
  CHECK(dims(load_tensor<float>(fixture_path("conv2d_basic", "output")).shape()) ==
        std::vector<std::int64_t>{2, 4, 5, 7});
  CHECK(dims(load_tensor<float>(fixture_path("conv2d_stride2_dilation2", "output")).shape()) ==
        std::vector<std::int64_t>{2, 5, 3, 2});

  auto cfg = ember_test::read_config(ember_test::fixture_config_path("conv2d_stride2_dilation2"));
  CHECK(ember_test::config_value(cfg, "stride") == 2);
  CHECK(ember_test::config_value(cfg, "padding") == 0);
  CHECK(ember_test::config_value(cfg, "dilation") == 2);
  CHECK(ember_test::config_value(cfg, "kernel_size") == 3);
  CHECK(ember_test::config_value(cfg, "out_channels") == 5);
  CHECK_THROWS_WITH(ember_test::config_value(cfg, "groups"), Contains("groups"));
}

TEST_CASE("npy: float and double tensors hold the same float32 values", "[npy]") {
  auto f = load_tensor<float>(fixture_path("linear", "weight"));
  auto d = load_tensor<double>(fixture_path("linear", "weight"));
  auto raw = read_npy(fixture_path("linear", "weight"));
  REQUIRE(f.shape() == d.shape());
  CHECK(dims(f.shape()) == std::vector<std::int64_t>{3, 7});
  auto fv = f.to_vector();
  auto dv = d.to_vector();
  for (std::size_t i = 0; i < fv.size(); ++i) {
    CHECK(static_cast<double>(fv[i]) == dv[i]);
    CHECK(dv[i] == raw.data[i]);
  }
}

TEST_CASE("npy: cross_entropy labels, scalars, and loss values consistent with the logits", "[npy]") {
  auto target = load_labels(fixture_path("cross_entropy", "target"));
  auto raw = read_npy(fixture_path("cross_entropy", "target"));
  CHECK(raw.dtype == "<i8");
  CHECK(dims(target.shape()) == std::vector<std::int64_t>{6});
  CHECK(raw.int_data == target.to_vector());

  auto loss_mean = load_tensor<double>(fixture_path("cross_entropy", "loss_mean"));
  CHECK(loss_mean.dim() == 0);
  CHECK(loss_mean.numel() == 1);

  // Recompute the per-sample loss from the stored logits: -log_softmax(logits)[target].
  auto logits = read_npy(fixture_path("cross_entropy", "logits"));
  auto loss_none = read_npy(fixture_path("cross_entropy", "loss_none"));
  REQUIRE(logits.shape == std::vector<std::int64_t>{6, 10});
  double sum = 0;
  for (std::size_t n = 0; n < 6; ++n) {
    double m = -INFINITY, z = 0;
    for (std::size_t c = 0; c < 10; ++c) m = std::max(m, logits.data[n * 10 + c]);
    for (std::size_t c = 0; c < 10; ++c) z += std::exp(logits.data[n * 10 + c] - m);
    auto t = static_cast<std::size_t>(raw.int_data[n]);
    REQUIRE(t < 10);
    double loss = m + std::log(z) - logits.data[n * 10 + t];
    CHECK(loss == Approx(loss_none.data[n]).epsilon(1e-6));
    sum += loss;
  }
  CHECK(sum / 6 == Approx(loss_mean.to_vector()[0]).epsilon(1e-6));
}

TEST_CASE("npy: reference_cnn parameters follow the documented formula", "[npy]") {
  struct Param {
    const char* name;
    int fan_in;
    std::vector<std::int64_t> shape;
  };
  const std::vector<Param> params = {
      {"conv1.weight", 9, {32, 1, 3, 3}}, {"conv1.bias", 9, {32}},  {"conv2.weight", 288, {64, 32, 3, 3}},
      {"conv2.bias", 288, {64}},          {"fc1.weight", 9216, {}}, {"fc1.bias", 9216, {128}},
      {"fc2.weight", 128, {10, 128}},     {"fc2.bias", 128, {10}}};
  for (int k = 0; k < static_cast<int>(params.size()); ++k) {
    const Param& p = params[static_cast<std::size_t>(k)];
    INFO(p.name);
    if (std::string(p.name) == "fc1.weight") {
      // Only every 997th element is stored, to check the formula at large indices.
      auto sample = read_npy(fixture_path("reference_cnn", "fc1.weight.sample"));
      REQUIRE(sample.shape == std::vector<std::int64_t>{1184});
      for (std::size_t j = 0; j < sample.data.size(); ++j)
        REQUIRE(same_float(static_cast<float>(sample.data[j]), formula(static_cast<std::int64_t>(j) * 997, p.fan_in, k)));
      continue;
    }
    auto t = load_tensor<float>(fixture_path("reference_cnn", p.name));
    REQUIRE(dims(t.shape()) == p.shape);
    auto v = t.to_vector();
    for (std::size_t i = 0; i < v.size(); ++i) REQUIRE(same_float(v[i], formula(static_cast<std::int64_t>(i), p.fan_in, k)));
  }

  // The gradient files have the parameters' shapes; fc1.weight's is summarised.
  CHECK(dims(load_tensor<float>(fixture_path("reference_cnn", "grad.conv2.weight")).shape()) ==
        std::vector<std::int64_t>{64, 32, 3, 3});
  auto sum = read_npy(fixture_path("reference_cnn", "grad.fc1.weight.sum"));
  CHECK(sum.dtype == "<f8");
  CHECK(sum.shape.empty());
  CHECK(std::isfinite(sum.data.at(0)));
  auto sumsq = read_npy(fixture_path("reference_cnn", "grad.fc1.weight.sumsq"));
  CHECK(sumsq.data.at(0) > 0);
  CHECK(read_npy(fixture_path("reference_cnn", "grad.fc1.weight.sample")).shape == std::vector<std::int64_t>{1184});

  auto input = load_tensor<float>(fixture_path("reference_cnn", "input"));
  CHECK(dims(input.shape()) == std::vector<std::int64_t>{2, 1, 28, 28});
  CHECK(dims(load_labels(fixture_path("reference_cnn", "target")).shape()) == std::vector<std::int64_t>{2});
  CHECK(dims(load_tensor<float>(fixture_path("reference_cnn", "logits")).shape()) == std::vector<std::int64_t>{2, 10});
  CHECK(load_tensor<float>(fixture_path("reference_cnn", "loss")).dim() == 0);
}

TEST_CASE("npy: hand-written files in both header versions are read", "[npy]") {
  ScratchDir dir;
  auto v1 = read_npy(dir.write("v1.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                                                   float_data(6))));
  CHECK(v1.shape == std::vector<std::int64_t>{2, 3});
  CHECK(v1.data == std::vector<double>{0, 1, 2, 3, 4, 5});
  auto v2 = read_npy(
      dir.write("v2.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", float_data(3), 2)));
  CHECK(v2.shape == std::vector<std::int64_t>{3});
  auto empty = read_npy(
      dir.write("empty.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", "")));
  CHECK(empty.numel() == 0);
  CHECK(empty.data.empty());
  auto scalar = load_tensor<double>(
      dir.write("scalar.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", float_data(1))));
  CHECK(scalar.dim() == 0);
}

TEST_CASE("npy: malformed files throw a runtime_error naming the file", "[npy]") {
  ScratchDir dir;
  const std::string ok_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

  auto expect_error = [&](const std::string& name, const std::string& bytes, const std::string& reason) {
    std::string path = dir.write(name, bytes);
    INFO(name);
    CHECK_THROWS_AS(read_npy(path), std::runtime_error);
    CHECK_THROWS_WITH(read_npy(path), Contains(path) && Contains(reason));
  };

  expect_error("truncated.npy", npy_bytes(ok_dict, float_data(5)), "truncated data");
  expect_error("trailing.npy", npy_bytes(ok_dict, float_data(7)), "trailing data");
  std::string bad_magic = npy_bytes(ok_dict, float_data(6));
  bad_magic[1] = 'X';
  expect_error("bad_magic.npy", bad_magic, "bad magic");
  expect_error("short.npy", "\x93NUM", "bad magic");
  expect_error("empty.npy", "", "bad magic");
  std::string bad_version = npy_bytes(ok_dict, float_data(6));
  bad_version[6] = 9;
  expect_error("version.npy", bad_version, "unsupported format version 9.0");
  expect_error("fortran.npy", npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", float_data(6)),
               "fortran_order");
  expect_error("big_endian.npy",
               npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", float_data(6)),
               "unsupported dtype '>f4'");
  expect_error("float16.npy", npy_bytes("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", float_data(3)),
               "unsupported dtype '<f2'");
  expect_error("missing_key.npy", npy_bytes("{'descr': '<f4', 'shape': (2, 3), }", float_data(6)), "missing key");
  expect_error("extra_key.npy",
               npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1, }", float_data(6)),
               "unexpected key 'x'");
  expect_error("not_a_tuple.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", float_data(6)),
               "trailing comma");
  expect_error("negative.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }", float_data(6)),
               "non-negative integer");
  std::string truncated_header = npy_bytes(ok_dict, float_data(6)).substr(0, 40);
  expect_error("truncated_header.npy", truncated_header, "truncated header");

  CHECK_THROWS_WITH(read_npy(dir.write("x", "") + ".missing"), Contains(".missing") && Contains("cannot open"));
}

TEST_CASE("npy: loaders check dtype and rank", "[npy]") {
  ScratchDir dir;
  std::string rank5 =
      dir.write("rank5.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 2, 3), }",
                                       float_data(6)));
  CHECK(read_npy(rank5).shape.size() == 5u);  // the reader itself accepts any rank
  CHECK_THROWS_WITH(load_tensor<float>(rank5), Contains(rank5) && Contains("rank 5"));

  CHECK_THROWS_WITH(load_labels(fixture_path("cross_entropy", "logits")), Contains("logits.npy") && Contains("'<i8'"));
  CHECK_THROWS_WITH(load_tensor<float>(fixture_path("cross_entropy", "target")),
                    Contains("target.npy") && Contains("not a float dtype"));
}

TEST_CASE("npy: read_config rejects anything but a flat object of integers", "[npy]") {
  ScratchDir dir;
  auto ok = ember_test::read_config(dir.write("ok.json", "{\"a\": 1, \"b\": -2}\n"));
  CHECK(ok.size() == 2u);
  CHECK(ok.at("b") == -2);
  CHECK(ember_test::read_config(dir.write("empty.json", "{}")).empty());
  std::string nested = dir.write("nested.json", "{\"a\": {\"b\": 1}}");
  CHECK_THROWS_WITH(ember_test::read_config(nested), Contains(nested) && Contains("not an integer"));
  std::string dup = dir.write("dup.json", "{\"a\": 1, \"a\": 2}");
  CHECK_THROWS_WITH(ember_test::read_config(dup), Contains("duplicate key 'a'"));
  std::string trailing = dir.write("trailing.json", "{\"a\": 1} x");
  CHECK_THROWS_WITH(ember_test::read_config(trailing), Contains("trailing characters"));
}
