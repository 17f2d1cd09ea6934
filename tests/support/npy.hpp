#pragma once
// A small, strict reader for the .npy fixtures in tests/data/fixtures (written by
// tests/fixtures/make_fixtures.py from PyTorch), plus loaders into ember tensors.
//
// Accepted: format version 1.0 or 2.0, C order, dtype '<f4', '<f8' or '<i8', any rank,
// data exactly numel * itemsize bytes. Anything else throws std::runtime_error with a
// message that starts "read_npy: <path>: ".
//
// Fixture paths: fixture_path("conv2d_basic", "input") with EMBER_TEST_DATA_DIR defined
// (by CMake) as the absolute path to tests/data.

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <ember/ember.hpp>

namespace ember_test {

struct NpyArray {
  std::string path;
  std::string dtype;                // "<f4", "<f8" or "<i8"
  std::vector<std::int64_t> shape;  // empty for a scalar
  std::vector<double> data;         // every dtype, converted to double (exact for f4/f8)
  std::vector<std::int64_t> int_data;  // '<i8' only: the exact values

  std::int64_t numel() const {
    std::int64_t n = 1;
    for (std::int64_t d : shape) n *= d;
    return n;
  }
  bool is_float() const { return dtype == "<f4" || dtype == "<f8"; }
};

namespace npy_detail {

[[noreturn]] inline void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("read_npy: " + path + ": " + what);
}

// Parser for the header, a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(const std::string& path, const std::string& text) : path_(path), s_(text) {}

  void parse(std::string& descr, bool& fortran_order, std::vector<std::int64_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        if (have_descr) error("duplicate key 'descr'");
        descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_order) error("duplicate key 'fortran_order'");
        fortran_order = boolean();
        have_order = true;
      } else if (key == "shape") {
        if (have_shape) error("duplicate key 'shape'");
        shape = tuple();
        have_shape = true;
      } else {
        error("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') error("expected ',' or '}'");
    }
    expect('}');
    skip_space();
    if (pos_ != s_.size()) error("trailing characters after the dictionary");
    if (!have_descr || !have_order || !have_shape)
      error("missing key (need 'descr', 'fortran_order' and 'shape')");
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    fail(path_, "malformed header (" + what + " at offset " + std::to_string(pos_) + "): " + s_);
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) error(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    char quote = peek();
    if (quote != '\'' && quote != '"') error("expected a string");
    std::size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string::npos) error("unterminated string");
    std::string out = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_space();
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    error("expected True or False");
  }
  std::int64_t integer() {
    skip_space();
    std::size_t start = pos_;
    std::int64_t v = 0;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      if (v > (std::numeric_limits<std::int64_t>::max() - 9) / 10) error("dimension too large");
      v = v * 10 + (s_[pos_] - '0');
      ++pos_;
    }
    if (pos_ == start) error("expected a non-negative integer");
    return v;
  }
  std::vector<std::int64_t> tuple() {
    std::vector<std::int64_t> dims;
    bool trailing_comma = false;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (!dims.empty() && !trailing_comma) error("expected ',' or ')' in shape");
      dims.push_back(integer());
      skip_space();
      trailing_comma = peek() == ',';
      if (trailing_comma) ++pos_;
    }
    ++pos_;
    // Python needs the comma in a one-element tuple: "(3)" is the integer 3, not a shape.
    if (dims.size() == 1 && !trailing_comma) error("one-element shape without its trailing comma");
    return dims;
  }

  const std::string& path_;
  const std::string& s_;
  std::size_t pos_ = 0;
};

[[noreturn]] inline void config_fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("read_config: " + path + ": " + what);
}

inline std::uint64_t little_endian(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int b = bytes - 1; b >= 0; --b) v = (v << 8) | p[b];
  return v;
}

}  // namespace npy_detail

// Reads a .npy file; throws std::runtime_error naming the file on anything unexpected.
inline NpyArray read_npy(const std::string& path) {
  using npy_detail::fail;
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(path, "read error");
  auto u = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };

  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 8 || bytes.compare(0, 6, kMagic, 6) != 0) fail(path, "bad magic (not a .npy file)");
  int major = u(6), minor = u(7);
  std::size_t len_bytes = 0;
  if (major == 1 && minor == 0) {
    len_bytes = 2;
  } else if (major == 2 && minor == 0) {
    len_bytes = 4;
  } else {
    fail(path, "unsupported format version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (expected 1.0 or 2.0)");
  }
  if (bytes.size() < 8 + len_bytes) fail(path, "truncated header");
  std::size_t header_len = static_cast<std::size_t>(
      npy_detail::little_endian(reinterpret_cast<const unsigned char*>(bytes.data()) + 8, static_cast<int>(len_bytes)));
  std::size_t data_start = 8 + len_bytes + header_len;
  if (bytes.size() < data_start) fail(path, "truncated header");
  std::string header = bytes.substr(8 + len_bytes, header_len);
  if (header.empty() || header.back() != '\n') fail(path, "header does not end with a newline");

  NpyArray arr;
  arr.path = path;
  bool fortran_order = false;
  npy_detail::HeaderParser(path, header).parse(arr.dtype, fortran_order, arr.shape);
  if (fortran_order) fail(path, "fortran_order True is not supported (expected C order)");
  int itemsize = 0;
  if (arr.dtype == "<f4") {
    itemsize = 4;
  } else if (arr.dtype == "<f8" || arr.dtype == "<i8") {
    itemsize = 8;
  } else {
    fail(path, "unsupported dtype '" + arr.dtype + "' (expected '<f4', '<f8' or '<i8')");
  }

  std::int64_t n = 1;
  for (std::int64_t d : arr.shape) {
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / itemsize / d) fail(path, "shape too large");
    n *= d;
  }
  std::size_t expected = static_cast<std::size_t>(n) * static_cast<std::size_t>(itemsize);
  std::size_t actual = bytes.size() - data_start;
  if (actual != expected)
    fail(path, (actual < expected ? "truncated data: " : "trailing data: ") + std::to_string(actual) +
                   " data bytes, expected " + std::to_string(expected) + " for " + std::to_string(n) +
                   " elements of " + arr.dtype);

  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + data_start;
  arr.data.resize(static_cast<std::size_t>(n));
  if (arr.dtype == "<i8") arr.int_data.resize(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i, p += itemsize) {
    std::uint64_t bits = npy_detail::little_endian(p, itemsize);
    if (arr.dtype == "<f4") {
      std::uint32_t b32 = static_cast<std::uint32_t>(bits);
      float f;
      std::memcpy(&f, &b32, sizeof f);
      arr.data[i] = static_cast<double>(f);
    } else if (arr.dtype == "<f8") {
      double d;
      std::memcpy(&d, &bits, sizeof d);
      arr.data[i] = d;
    } else {
      std::int64_t v;
      std::memcpy(&v, &bits, sizeof v);
      arr.int_data[i] = v;
      arr.data[i] = static_cast<double>(v);
    }
  }
  return arr;
}

// A float fixture ('<f4' or '<f8', rank 0..4) as a Tensor<float> or Tensor<double>.
template <class T>
ember::Tensor<T> load_tensor(const std::string& path) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "load_tensor<T>: T must be float or double (use load_labels for int64)");
  NpyArray arr = read_npy(path);
  if (!arr.is_float()) npy_detail::fail(path, "dtype " + arr.dtype + " is not a float dtype");
  if (arr.shape.size() > static_cast<std::size_t>(ember::Shape::kMaxRank))
    npy_detail::fail(path, "rank " + std::to_string(arr.shape.size()) + " is not supported (at most 4)");
  std::vector<T> values(arr.data.begin(), arr.data.end());
  return ember::Tensor<T>::from_vector(values, ember::Shape(arr.shape));
}

// An int64 fixture ('<i8', rank 0..4) as a Tensor<std::int64_t>, e.g. class labels.
inline ember::Tensor<std::int64_t> load_labels(const std::string& path) {
  NpyArray arr = read_npy(path);
  if (arr.dtype != "<i8") npy_detail::fail(path, "dtype " + arr.dtype + " is not '<i8' (int64 labels)");
  if (arr.shape.size() > static_cast<std::size_t>(ember::Shape::kMaxRank))
    npy_detail::fail(path, "rank " + std::to_string(arr.shape.size()) + " is not supported (at most 4)");
  return ember::Tensor<std::int64_t>::from_vector(arr.int_data, ember::Shape(arr.shape));
}

// Reads a fixture's config.json: a flat JSON object whose values are all integers, such as
// {"N": 2, "kernel_size": 3, "stride": 1}. Throws std::runtime_error naming the file otherwise.
inline std::map<std::string, std::int64_t> read_config(const std::string& path) {
  auto fail = [&](const std::string& what) { npy_detail::config_fail(path, what); };
  std::ifstream in(path);
  if (!in) fail("cannot open file");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t i = 0;
  auto space = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  auto expect = [&](char c) {
    space();
    if (i >= s.size() || s[i] != c) fail(std::string("expected '") + c + "' at offset " + std::to_string(i));
    ++i;
  };
  std::map<std::string, std::int64_t> out;
  expect('{');
  space();
  if (i < s.size() && s[i] == '}') {
    ++i;
  } else {
    while (true) {
      expect('"');
      std::size_t end = s.find('"', i);
      if (end == std::string::npos) fail("unterminated key");
      std::string key = s.substr(i, end - i);
      i = end + 1;
      expect(':');
      space();
      bool negative = i < s.size() && s[i] == '-';
      if (negative) ++i;
      std::size_t start = i;
      std::int64_t v = 0;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        if (v > (std::numeric_limits<std::int64_t>::max() - 9) / 10) fail("integer too large for key '" + key + "'");
        v = v * 10 + (s[i] - '0');
        ++i;
      }
      if (i == start) fail("value of key '" + key + "' is not an integer");
      if (!out.emplace(key, negative ? -v : v).second) fail("duplicate key '" + key + "'");
      space();
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      expect('}');
      break;
    }
  }
  space();
  if (i != s.size()) fail("trailing characters after the object");
  return out;
}

// The value of key in a config read by read_config, or a std::runtime_error naming the key.
inline std::int64_t config_value(const std::map<std::string, std::int64_t>& config, const std::string& key) {
  auto it = config.find(key);
  if (it == config.end()) throw std::runtime_error("config has no key '" + key + "'");
  return it->second;
}

#ifdef EMBER_TEST_DATA_DIR
// Absolute path of tests/data/fixtures.
inline std::string fixtures_dir() { return std::string(EMBER_TEST_DATA_DIR) + "/fixtures"; }

// Absolute path of tests/data/fixtures/<fixture_case>/<name>.npy.
inline std::string fixture_path(const std::string& fixture_case, const std::string& name) {
  return fixtures_dir() + "/" + fixture_case + "/" + name + ".npy";
}

// Absolute path of tests/data/fixtures/<fixture_case>/config.json.
inline std::string fixture_config_path(const std::string& fixture_case) {
  return fixtures_dir() + "/" + fixture_case + "/config.json";
}
#endif

}  // namespace ember_test
