// io: the JSON reader and writer, safetensors files (round trips and hostile input: truncated,
// corrupted and lying files), model files (PyTorch names, validation before any change,
// architecture checks, type conversion), atomic writes, and checkpoints with their checksum.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ember/ember.hpp>
#include <ember/io/checkpoint.hpp>
#include <ember/io/json.hpp>
#include <ember/io/model_file.hpp>
#include <ember/io/safetensors.hpp>

#include "mnist/model.hpp"

namespace fs = std::filesystem;
namespace io = ember::io;
namespace json = ember::io::json;
namespace nn = ember::nn;
using ember::index_t;
using ember::io::Metadata;
using ember::Shape;
using ember::Tensor;

namespace {

// ---- helpers -------------------------------------------------------------------------------

// The message of the E thrown by f, or a marker when f returns normally. Another exception
// type escapes, and Catch reports it: the type is part of what is tested.
template <class E, class F>
std::string thrown(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no exception)";
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// A fresh directory per test, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("ember_test_io_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Names in the directory, sorted: shows any temporary file left behind.
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (auto& entry : fs::directory_iterator(path_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  // Remove first: ext4 flushes a file that is truncated and rewritten, which made the
  // corruption loops take seconds instead of milliseconds.
  std::error_code ec;
  fs::remove(path, ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string le64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int k = 0; k < 8; ++k) out[static_cast<std::size_t>(k)] = static_cast<char>((v >> (8 * k)) & 0xFF);
  return out;
}

std::uint64_t header_size_of(const std::string& bytes) {
  std::uint64_t n = 0;
  for (int k = 7; k >= 0; --k) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(k)]);
  return n;
}

// A safetensors file from a header text and a data section.
std::string make_file(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

template <class T>
bool same_bits(const Tensor<T>& a, const Tensor<T>& b) {
  if (a.shape() != b.shape()) return false;
  const std::vector<T> va = a.to_vector(), vb = b.to_vector();
  return va.empty() || std::memcmp(va.data(), vb.data(), va.size() * sizeof(T)) == 0;
}

// Every parameter and buffer value of a module, to prove that a failed load changed nothing.
template <class T>
std::vector<std::vector<T>> snapshot(const nn::Module<T>& m) {
  std::vector<std::vector<T>> out;
  for (auto& [name, t] : io::detail::module_tensors(m)) out.push_back(t.to_vector());
  return out;
}

template <class T>
bool same_state(const nn::Module<T>& a, const nn::Module<T>& b) {
  auto ta = io::detail::module_tensors(a), tb = io::detail::module_tensors(b);
  if (ta.size() != tb.size()) return false;
  for (std::size_t i = 0; i < ta.size(); ++i)
    if (ta[i].first != tb[i].first || !same_bits(ta[i].second, tb[i].second)) return false;
  return true;
}

// A small network with a convolution, a linear layer and a buffer; `classes` changes shapes.
template <class T>
struct SmallNet : nn::Module<T> {
  ember::Generator gen;
  nn::Conv2d<T> conv;
  nn::Linear<T> fc;
  Tensor<T> running;

  explicit SmallNet(std::uint64_t seed = 1, index_t classes = 3)
      : gen(seed),
        conv(1, 2, 3, {}, gen),
        fc(8, classes, true, gen),
        running(this->register_buffer("running", ember::uniform<T>({classes}, 0.0, 1.0, gen))) {
    this->register_module("conv", conv);
    this->register_module("fc", fc);
  }
  Tensor<T> forward(const Tensor<T>& x) override {  // [N, 1, 6, 6]
    return fc(ember::max_pool2d(ember::relu(conv(x)), 2).flatten(1));
  }
  std::string type_name() const override { return "SmallNet"; }
};

// The module's tensors as encoded file entries, for files written by hand.
template <class T>
std::vector<io::detail::EncodedTensor> encoded_state(const nn::Module<T>& m, const std::string& prefix = "") {
  std::vector<io::detail::EncodedTensor> out;
  for (auto& [name, t] : io::detail::module_tensors(m))
    out.push_back(io::detail::encode_tensor(prefix + name, t, "test", "-"));
  return out;
}

std::vector<io::detail::EncodedTensor> encoded_entries(const io::SafetensorsFile& file) {
  std::vector<io::detail::EncodedTensor> out;
  for (auto& e : file.entries) out.push_back({e.name, e.dtype, e.shape, e.bytes});
  return out;
}

void write_raw(const std::string& path, const std::vector<io::detail::EncodedTensor>& tensors,
               const Metadata& meta) {
  io::detail::write_safetensors(path, "test", tensors, meta);
}

}  // namespace

// =============================================================================================
// JSON
// =============================================================================================

TEST_CASE("json: parses every kind of value, keeping member order", "[io][json]") {
  auto v = json::parse(" {\"n\": null, \"t\": true, \"f\": false, \"i\": -42, \"r\": 2.5e-1, \"s\": \"x\",\n\t"
                       "\"a\": [1, [2, {}], []], \"o\": {\"k\": \"v\"}}\r\n ");
  REQUIRE(v.is_object());
  CHECK(v.find("n")->is_null());
  CHECK(v.find("t")->as_bool());
  CHECK_FALSE(v.find("f")->as_bool());
  CHECK(v.find("i")->as_integer() == -42);
  CHECK(v.find("r")->as_number() == 0.25);
  CHECK(v.find("s")->as_string() == "x");
  CHECK(v.find("a")->as_array().size() == 3);
  CHECK(v.find("a")->as_array()[1].as_array()[1].as_object().empty());
  CHECK(v.find("o")->find("k")->as_string() == "v");
  CHECK(v.find("missing") == nullptr);
  std::vector<std::string> keys;
  for (auto& [key, value] : v.as_object()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"n", "t", "f", "i", "r", "s", "a", "o"});
}

TEST_CASE("json: integers are exact 64-bit values, other numbers are reals", "[io][json]") {
  CHECK(json::parse("0").as_integer() == 0);
  CHECK(json::parse("-0").as_integer() == 0);
  CHECK(json::parse("9223372036854775807").as_integer() == std::numeric_limits<std::int64_t>::max());
  CHECK(json::parse("-9223372036854775808").as_integer() == std::numeric_limits<std::int64_t>::min());
  CHECK(json::parse("1.0").kind() == json::Value::Kind::Real);
  CHECK(json::parse("1e2").as_number() == 100.0);
  CHECK(json::parse("-2.5E+3").as_number() == -2500.0);
  CHECK(json::parse("7").as_number() == 7.0);
  CHECK(thrown<ember::FormatError>([] { json::parse("1.5").as_integer(); }) ==
        "json: expected an integer, got a non-integer number");
  CHECK(thrown<ember::FormatError>([] { json::parse("1e0").as_integer(); }) ==
        "json: expected an integer, got a non-integer number");
  CHECK(thrown<ember::FormatError>([] { json::parse("\"3\"").as_integer(); }) ==
        "json: expected an integer, got a string");
  CHECK(thrown<ember::FormatError>([] { json::parse("[]").as_object(); }) == "json: expected an object, got an array");
}

TEST_CASE("json: string escapes, \\u escapes and surrogate pairs decode to UTF-8", "[io][json]") {
  CHECK(json::parse(R"("\" \\ \/ \b \f \n \r \t")").as_string() == "\" \\ / \b \f \n \r \t");
  CHECK(json::parse(R"("\u0041\u00e9\u20AC\ud83d\ude00")").as_string() == "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  CHECK(json::parse(R"("\u0000")").as_string() == std::string(1, '\0'));
  CHECK(json::parse(R"("\uFFFF\uDBFF\uDFFF")").as_string() == "\xEF\xBF\xBF\xF4\x8F\xBF\xBF");  // highest code points
  CHECK(json::parse("\"caf\xC3\xA9 \xF0\x9F\x98\x80\"").as_string() == "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST_CASE("json: malformed input is a FormatError naming the byte and the problem", "[io][json]") {
  struct Bad {
    std::string text, message;
  };
  const std::vector<Bad> cases = {
      {"", "at byte 0: expected a value, got the end of the text"},
      {"   ", "at byte 3: expected a value, got the end of the text"},
      {"{", "at byte 1: expected a string key, got the end of the text"},
      {"{\"a\" 1}", "at byte 5: expected ':' after a key, got '1'"},
      {"{\"a\":1,}", "at byte 7: expected a string key, got '}'"},
      {"{'a':1}", "at byte 1: expected a string key, got '''"},
      {"{\"a\":1 \"b\":2}", "at byte 7: expected ',' or '}' in an object, got '\"'"},
      {"[1,]", "at byte 3: expected a value, got ']'"},
      {"[1 2]", "at byte 3: expected ',' or ']' in an array, got '2'"},
      {"[1", "at byte 2: expected ',' or ']' in an array, got the end of the text"},
      {"01", "at byte 0: invalid number (leading zero)"},
      {"-", "at byte 0: invalid number (no digits after '-')"},
      {"1.", "at byte 0: invalid number (no digits after '.')"},
      {"1e+", "at byte 0: invalid number (no digits in the exponent)"},
      {"+1", "at byte 0: expected a value, got '+'"},
      {".5", "at byte 0: expected a value, got '.'"},
      {"NaN", "at byte 0: expected a value, got 'N'"},
      {"tru", "at byte 0: invalid literal (expected 'true')"},
      {"nulL", "at byte 0: invalid literal (expected 'null')"},
      {"9223372036854775808", "at byte 0: integer 9223372036854775808 does not fit in 64 bits"},
      {"-9223372036854775809", "at byte 0: integer -9223372036854775809 does not fit in 64 bits"},
      {"[18446744073709551616]", "at byte 1: integer 18446744073709551616 does not fit in 64 bits"},
      {"1e999", "at byte 0: number 1e999 is out of range"},
      {"\"abc", "at byte 0: unterminated string"},
      {"\"ab\\", "at byte 0: unterminated string"},
      {"\"a\x01\"", "at byte 2: control character byte 0x01 in a string (must be escaped)"},
      {"\"a\nb\"", "at byte 2: control character byte 0x0A in a string (must be escaped)"},
      {"\"\\x\"", "at byte 1: invalid escape \\'x'"},
      {"\"\\u12G4\"", "at byte 5: invalid hex digit 'G' in a \\u escape"},
      {"\"\\u12\"", "at byte 5: invalid hex digit '\"' in a \\u escape"},
      {"\"\\u12", "at byte 5: truncated \\u escape"},
      {"\"\\udc00\"", "at byte 1: lone low surrogate \\u escape"},
      {"\"\\ud800x\"", "at byte 1: high surrogate \\u escape without a low surrogate"},
      {"\"\\ud800\\u0041\"", "at byte 7: high surrogate followed by a non-low-surrogate \\u escape"},
      {"\"\xFF\"", "at byte 1: invalid UTF-8 (byte 0xFF) in a string"},
      {"\"\x80\"", "at byte 1: invalid UTF-8 (byte 0x80) in a string"},                // stray continuation byte
      {"\"\xC0\x80\"", "at byte 1: invalid UTF-8 (byte 0xC0) in a string"},            // overlong NUL
      {"\"\xE0\x80\xAF\"", "at byte 1: invalid UTF-8 (byte 0xE0) in a string"},        // overlong '/'
      {"\"\xED\xA0\x80\"", "at byte 1: invalid UTF-8 (byte 0xED) in a string"},        // encoded surrogate
      {"\"\xF4\x90\x80\x80\"", "at byte 1: invalid UTF-8 (byte 0xF4) in a string"},    // above U+10FFFF
      {"\"\xE2\x82\"", "at byte 1: invalid UTF-8 (byte 0xE2) in a string"},            // truncated sequence
      {"{\"a\":1,\"a\":2}", "at byte 7: duplicate key \"a\""},
      {"1 2", "at byte 2: unexpected '2' after the JSON value"},
      {"{} x", "at byte 3: unexpected 'x' after the JSON value"},
      {"/* c */ 1", "at byte 0: expected a value, got '/'"},
      {"\xEF\xBB\xBF{}", "at byte 0: expected a value, got byte 0xEF"},  // no byte-order mark
  };
  for (auto& c : cases) {
    INFO("input: " << c.text);
    CHECK(thrown<ember::FormatError>([&] { json::parse(c.text); }) == "json: " + c.message);
  }
}

TEST_CASE("json: write_pretty indents objects and nested arrays, keeps rows on a line, reads back", "[io][json]") {
  const json::Value v = json::Value::Object{
      {"accuracy", 0.5},
      {"per_class", json::Value::Array{json::Value::Object{{"class", 0}, {"f1", 1.0}}}},
      {"matrix", json::Value::Array{json::Value::Array{1, 2}, json::Value::Array{3, 4}}},
      {"row", json::Value::Array{1, 2, 3}},
      {"empty", json::Value::Object{}},
      {"none", json::Value::Array{}}};
  const std::string text = json::write_pretty(v);
  CHECK(text ==
        "{\n"
        "  \"accuracy\": 0.5,\n"
        "  \"per_class\": [\n"
        "    {\n"
        "      \"class\": 0,\n"
        "      \"f1\": 1.0\n"
        "    }\n"
        "  ],\n"
        "  \"matrix\": [\n"
        "    [1,2],\n"
        "    [3,4]\n"
        "  ],\n"
        "  \"row\": [1,2,3],\n"
        "  \"empty\": {},\n"
        "  \"none\": []\n"
        "}\n");
  CHECK(json::parse(text) == v);
  CHECK(json::write_pretty(json::Value(7)) == "7\n");
  CHECK(thrown<ember::ValueError>([] { json::write_pretty(json::Value::Object{{"a", 1}, {"a", 2}}); }) ==
        "json::write: duplicate key \"a\" in an object");
}

TEST_CASE("json: nesting is limited, so hostile input cannot exhaust the stack", "[io][json]") {
  CHECK_NOTHROW(json::parse(std::string(32, '[') + std::string(32, ']')));
  CHECK(thrown<ember::FormatError>([] { json::parse(std::string(33, '[') + std::string(33, ']')); }) ==
        "json: at byte 32: nesting deeper than 32 levels");
  CHECK(thrown<ember::FormatError>([] { json::parse(std::string(1000000, '[')); }) ==
        "json: at byte 32: nesting deeper than 32 levels");
  json::ParseOptions shallow;
  shallow.max_depth = 2;
  CHECK(thrown<ember::FormatError>([&] { json::parse("{\"a\":[[1]]}", shallow); }) ==
        "json: at byte 6: nesting deeper than 2 levels");
  json::ParseOptions in_file;
  in_file.offset_base = 8;  // as for a safetensors header
  CHECK(thrown<ember::FormatError>([&] { json::parse("{]", in_file); }) ==
        "json: at byte 9: expected a string key, got ']'");
}

TEST_CASE("json: the writer escapes strings and its output reads back", "[io][json]") {
  CHECK(json::quote("plain") == "\"plain\"");
  CHECK(json::quote("a\"b\\c/d") == R"("a\"b\\c/d")");
  CHECK(json::quote("\b\f\n\r\t") == R"("\b\f\n\r\t")");
  CHECK(json::quote(std::string("\x01\x1f\x7f", 3)) == "\"\\u0001\\u001f\x7f\"");
  CHECK(json::quote(std::string(1, '\0')) == R"("\u0000")");
  CHECK(json::quote("caf\xC3\xA9 \xF0\x9F\x98\x80") == "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");  // UTF-8 as is
  CHECK(thrown<ember::ValueError>([] { json::quote("ab\xFF"); }) ==
        "json::quote: invalid UTF-8 (byte 0xFF) at byte 2 of the string");
  CHECK(thrown<ember::ValueError>([] { json::quote("\xED\xA0\x80"); }) ==
        "json::quote: invalid UTF-8 (byte 0xED) at byte 0 of the string");

  // Every byte value that may appear in a string survives quote + parse.
  std::string all;
  for (int c = 0; c < 128; ++c) all += static_cast<char>(c);
  all += "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF";
  CHECK(json::parse(json::quote(all)).as_string() == all);

  const json::Value v = json::Value::Object{{"name", "x\"y\n\xC3\xA9"},
                                            {"shape", json::Value::Array{2, 3}},
                                            {"big", std::numeric_limits<std::int64_t>::min()},
                                            {"r", 0.1},
                                            {"whole", 3.0},
                                            {"t", true},
                                            {"n", nullptr},
                                            {"nested", json::Value::Object{{"a", json::Value::Array{}}}}};
  const std::string text = json::write(v);
  CHECK(text ==
        "{\"name\":\"x\\\"y\\n\xC3\xA9\",\"shape\":[2,3],\"big\":-9223372036854775808,\"r\":0.1,\"whole\":3.0,"
        "\"t\":true,\"n\":null,\"nested\":{\"a\":[]}}");
  CHECK(json::parse(text) == v);  // "3.0" stays a real, 0.1 reads back exactly
  CHECK(thrown<ember::ValueError>([] { json::write(json::Value(std::numeric_limits<double>::quiet_NaN())); }) ==
        "json::write: JSON has no representation for nan");
  CHECK(thrown<ember::ValueError>([] { json::write(json::Value::Object{{"a", 1}, {"a", 2}}); }) ==
        "json::write: duplicate key \"a\" in an object");
}

// =============================================================================================
// safetensors
// =============================================================================================

namespace {

// Saves the tensors, reads them back, and checks names, order, dtype, shapes, packing and bits.
template <class T>
void require_round_trip(const std::string& path, const std::vector<std::pair<std::string, Tensor<T>>>& tensors) {
  io::save_safetensors<T>(path, tensors);
  const io::SafetensorsFile file = io::read_safetensors(path);
  REQUIRE(file.entries.size() == tensors.size());
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& e = file.entries[i];
    INFO("tensor " << tensors[i].first);
    CHECK(e.name == tensors[i].first);
    CHECK(e.dtype == io::detail::dtype_name<T>());
    CHECK(e.shape == tensors[i].second.shape());
    CHECK(e.begin == offset);
    offset = e.end;
    CHECK(same_bits(io::to_tensor<T>(e), tensors[i].second.contiguous()));
  }
  const std::string bytes = read_bytes(path);
  CHECK((8 + header_size_of(bytes)) % 8 == 0);  // the data section starts 8-byte aligned
  CHECK(bytes.size() == 8 + header_size_of(bytes) + offset);
}

}  // namespace

TEST_CASE("safetensors: float, double and int64 tensors of rank 0 to 4 round-trip bitwise", "[io][safetensors]") {
  ScratchDir dir;
  ember::Generator gen(3);
  using F = std::numeric_limits<float>;
  using D = std::numeric_limits<double>;
  using I = std::numeric_limits<std::int64_t>;
  auto f2 = ember::randn<float>({3, 5}, gen);
  require_round_trip<float>(
      dir.file("f.safetensors"),
      {{"rank0", ember::scalar_tensor<float>(-1.5f)},
       {"special", ember::from_vector<float>({0.0f, -0.0f, F::infinity(), -F::infinity(), F::quiet_NaN(),
                                              F::denorm_min(), F::max(), F::lowest(), 1e-30f})},
       {"rank2", f2},
       {"rank3", ember::randn<float>({2, 3, 4}, gen)},
       {"rank4", ember::randn<float>({2, 1, 3, 2}, gen)},
       {"empty", ember::zeros<float>({0})},
       {"empty3", ember::zeros<float>({2, 0, 3})},
       {"transposed view", f2.transpose(0, 1)},  // strided: written in row-major order
       {"after empty", ember::ones<float>({1})}});
  require_round_trip<double>(
      dir.file("d.safetensors"),
      {{"rank0", ember::scalar_tensor<double>(D::epsilon())},
       {"special", ember::from_vector<double>({-0.0, D::infinity(), D::quiet_NaN(), D::denorm_min(), D::max()})},
       {"rank4", ember::randn<double>({1, 2, 3, 4}, gen)}});
  require_round_trip<std::int64_t>(
      dir.file("i.safetensors"),
      {{"rank0", ember::scalar_tensor<std::int64_t>(-1)},
       {"limits", ember::from_vector<std::int64_t>({I::min(), I::max(), 0, 1, -1, 0x0102030405060708})},
       {"rank2", ember::from_vector<std::int64_t>({1, 2, 3, 4, 5, 6}, {2, 3})}});
  CHECK(dir.listing() == std::vector<std::string>{"d.safetensors", "f.safetensors", "i.safetensors"});
}

TEST_CASE("safetensors: the bytes follow the format (little-endian, padded header, metadata)", "[io][safetensors]") {
  ScratchDir dir;
  const std::string path = dir.file("layout.safetensors");
  io::save_safetensors<float>(path, {{"w", ember::from_vector<float>({1.0f, -2.0f})}}, {{"k", "v"}});
  const std::string bytes = read_bytes(path);
  const std::uint64_t n = header_size_of(bytes);
  const std::string header = bytes.substr(8, n);
  const std::string text = R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK(header == text + std::string((8 - text.size() % 8) % 8, ' '));  // spaces pad to a multiple of 8
  CHECK(bytes.substr(8 + n) == std::string("\x00\x00\x80\x3F\x00\x00\x00\xC0", 8));  // 1.0f, -2.0f
  // Without metadata the "__metadata__" key is left out, as PyTorch's writer does.
  io::save_safetensors<float>(path, {{"w", ember::from_vector<float>({1.0f})}});
  CHECK(read_bytes(path).find("__metadata__") == std::string::npos);
}

TEST_CASE("safetensors: metadata with quotes, escapes and Unicode round-trips", "[io][safetensors]") {
  ScratchDir dir;
  const std::string path = dir.file("meta.safetensors");
  const Metadata meta{{"quote", "say \"hi\""},
                      {"backslash", "C:\\path\\"},
                      {"whitespace", "a\nb\tc\r"},
                      {"unicode", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
                      {"control", std::string("\x01\x1f\0z", 4)},
                      {"empty", ""},
                      {"", "empty key"},
                      {"json", R"({"loss": [0.5, 0.25], "name": "a\"b"})"}};
  io::save_safetensors<float>(path, {{"x", ember::zeros<float>({1})}}, meta);
  CHECK(io::read_safetensors(path).metadata == meta);
  CHECK(thrown<ember::ValueError>([&] { io::save_safetensors<float>(path, {}, {{"k", "\xC3"}}); }) ==
        "save_safetensors: " + path + ": the value of metadata key 'k' is not valid UTF-8");
  CHECK(thrown<ember::ValueError>([&] { io::save_safetensors<float>(path, {}, {{"\xFF", "v"}}); }) ==
        "save_safetensors: " + path + ": metadata key '\xFF' is not valid UTF-8");
}

TEST_CASE("safetensors: files from other writers read (any key order, padding, foreign dtypes)", "[io][safetensors]") {
  ScratchDir dir;
  const std::string path = dir.file("foreign.safetensors");
  // Header members out of data order, keys in another order, "__metadata__" last, spaces and
  // a newline around the JSON; an F16 tensor ember cannot convert but must still read past.
  const std::string header =
      " {\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[16,20]},"
      "\"b\":{\"shape\":[1],\"data_offsets\":[8,16],\"dtype\":\"F64\"},"
      "\"a\":{\"data_offsets\":[0,8],\"dtype\":\"F32\",\"shape\":[2]},\"__metadata__\":{\"format\":\"pt\"}}\n   ";
  std::string data = std::string("\x00\x00\x80\x3F\x00\x00\x00\x40", 8);  // 1.0f, 2.0f
  data += std::string("\x00\x00\x00\x00\x00\x00\x08\x40", 8);             // 3.0
  data += std::string("\x00\x3C\x00\x40", 4);                             // F16 1.0, 2.0
  write_bytes(path, make_file(header, data));
  const io::SafetensorsFile file = io::read_safetensors(path);
  CHECK(file.metadata == Metadata{{"format", "pt"}});
  REQUIRE(file.entries.size() == 3);
  CHECK(file.entries[0].name == "a");  // data order
  CHECK(file.entries[2].name == "h");
  CHECK(io::to_tensor<float>(*file.find("a")).to_vector() == std::vector<float>{1.0f, 2.0f});
  CHECK(io::to_tensor<double>(*file.find("a")).to_vector() == std::vector<double>{1.0, 2.0});
  CHECK(io::to_tensor<float>(*file.find("b")).to_vector() == std::vector<float>{3.0f});
  CHECK(thrown<ember::FormatError>([&] { io::to_tensor<float>(*file.find("h")); }) ==
        "to_tensor: tensor 'h' has dtype F16, expected F32 or F64");
  CHECK(thrown<ember::FormatError>([&] { io::to_tensor<std::int64_t>(*file.find("a")); }) ==
        "to_tensor: tensor 'a' has dtype F32, expected I64");
  CHECK(file.find("nope") == nullptr);

  // An entry built by hand with too few bytes is refused, not read past its end.
  io::SafetensorsEntry forged{"forged", "F64", Shape{4}, 0, 8, std::vector<unsigned char>(8)};
  CHECK(thrown<ember::FormatError>([&] { io::to_tensor<double>(forged); }) ==
        "to_tensor: tensor 'forged' holds 8 bytes, but dtype F64 and shape [4] need 32");
  // F64 -> float rounds to nearest; int64 stays int64.
  io::save_safetensors<double>(path, {{"third", ember::scalar_tensor<double>(1.0 / 3.0)}});
  CHECK(io::to_tensor<float>(io::read_safetensors(path).entries[0]).item() == static_cast<float>(1.0 / 3.0));
  io::save_safetensors<std::int64_t>(path, {{"i", ember::scalar_tensor<std::int64_t>(7)}});
  CHECK(thrown<ember::FormatError>([&] { io::to_tensor<float>(io::read_safetensors(path).entries[0]); }) ==
        "to_tensor: tensor 'i' has dtype I64, expected F32 or F64");
}

TEST_CASE("safetensors: malformed and lying files are FormatErrors saying what is wrong", "[io][safetensors]") {
  ScratchDir dir;
  const std::string path = dir.file("bad.safetensors");
  auto file = [](const std::string& header, std::size_t data_bytes) {
    return make_file(header, std::string(data_bytes, '\x11'));
  };
  const std::string A = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string B = R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]})";
  const std::string huge_size = R"({"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,8]}})";
  const std::string dup = "{" + A + "," + A + "}";
  const std::string bomb = "{\"__metadata__\":" + std::string(20, '[') + std::string(20, ']') + "}";
  struct Bad {
    std::string what, bytes, message;
  };
  const std::vector<Bad> cases = {
      {"empty file", "", "file of 0 bytes is too short for safetensors (at least 8 bytes)"},
      {"7 bytes", std::string(7, '\0'), "file of 7 bytes is too short for safetensors (at least 8 bytes)"},
      {"header length 0", le64(0), "invalid JSON header: at byte 8: expected a value, got the end of the text"},
      {"header length 2^64 - 1", le64(UINT64_MAX) + "{}",
       "header length 18446744073709551615 exceeds the limit of 100000000 bytes"},
      {"header length 2^63", le64(1ULL << 63) + "{}", "header length 9223372036854775808 exceeds the limit of 100000000 bytes"},
      {"header length over 100 MB", le64(100000001) + "{}", "header length 100000001 exceeds the limit of 100000000 bytes"},
      {"header length past the end", le64(100) + "{}", "header length 100 exceeds the file size (10 bytes; truncated file?)"},
      {"header not JSON", file("{x}", 0), "invalid JSON header: at byte 9: expected a string key, got 'x'"},
      {"header an array", file("[]", 0), "the header must be a JSON object, got an array"},
      {"NUL padding", make_file(std::string("{}\0\0\0\0\0\0", 8), ""),
       "invalid JSON header: at byte 10: unexpected byte 0x00 after the JSON value"},
      {"tensor not an object", file(R"({"a":[1]})", 0), "tensor 'a': expected an object, got an array"},
      {"unknown dtype", file(R"({"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}})", 8),
       "tensor 'a': unknown dtype 'F31'"},
      {"lower-case dtype", file(R"({"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})", 8),
       "tensor 'a': unknown dtype 'f32'"},
      {"dtype not a string", file(R"({"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", 8),
       "tensor 'a': dtype must be a string, got an integer"},
      {"missing dtype", file(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8), "tensor 'a': missing 'dtype'"},
      {"missing shape", file(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8), "tensor 'a': missing 'shape'"},
      {"missing offsets", file(R"({"a":{"dtype":"F32","shape":[2]}})", 8), "tensor 'a': missing 'data_offsets'"},
      {"unexpected key", file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"stride":[1]}})", 8),
       "tensor 'a': unexpected key 'stride'"},
      {"rank 5", file(R"({"a":{"dtype":"F32","shape":[1,1,1,1,2],"data_offsets":[0,8]}})", 8),
       "tensor 'a': rank 5 is not supported (ember tensors have at most 4 dimensions)"},
      {"negative size", file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
       "tensor 'a': negative size -2 in shape"},
      {"real size", file(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", 8),
       "tensor 'a': shape must hold integers, got a non-integer number"},
      {"string size", file(R"({"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})", 8),
       "tensor 'a': shape must hold integers, got a string"},
      {"shape not an array", file(R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", 8),
       "tensor 'a': shape must be an array, got an integer"},
      {"shape product overflow", file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8),
       "tensor 'a': shape [4294967296, 4294967296] is too large: its size in bytes does not fit in a signed 64-bit integer"},
      {"bytes overflow", file(R"({"a":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,8]}})", 8),
       "tensor 'a': shape [2305843009213693952] is too large: its size in bytes does not fit in a signed 64-bit integer"},
      {"size beyond 64 bits", file(huge_size, 8),
       "invalid JSON header: at byte " + std::to_string(8 + huge_size.find("1844")) +
           ": integer 18446744073709551616 does not fit in 64 bits"},
      {"offsets past the end", file("{" + A + "}", 4),
       "tensor 'a': data_offsets [0, 8] are out of range: the data section holds 4 bytes (truncated file?)"},
      {"offsets reversed", file(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8),
       "tensor 'a': data_offsets [8, 0] end before they begin"},
      {"offsets disagree with the shape", file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
       "tensor 'a': data_offsets [0, 8] span 8 bytes, but dtype F32 and shape [3] need 12"},
      {"offsets disagree with the dtype", file(R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})", 8),
       "tensor 'a': data_offsets [0, 8] span 8 bytes, but dtype F64 and shape [2] need 16"},
      {"zero size with bytes", file(R"({"a":{"dtype":"F32","shape":[0,9223372036854775807],"data_offsets":[0,8]}})", 8),
       "tensor 'a': data_offsets [0, 8] span 8 bytes, but dtype F32 and shape [0, 9223372036854775807] need 0"},
      {"three offsets", file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}})", 8),
       "tensor 'a': data_offsets must be an array of two integers [begin, end]"},
      {"negative offset", file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", 8),
       "tensor 'a': negative data offset -8"},
      {"real offset", file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}})", 8),
       "tensor 'a': data_offsets must hold integers, got a non-integer number"},
      {"overlapping tensors", file("{" + A + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
       "tensors 'a' [0, 8) and 'b' [4, 12) overlap"},
      {"two names for the same bytes", file("{" + A + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8),
       "tensors 'a' [0, 8) and 'b' [0, 8) overlap"},
      {"gap between tensors", file("{" + A + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})", 20),
       "gap of 4 bytes before tensor 'b' [12, 20): tensors must be packed without gaps"},
      {"data not starting at 0", file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
       "gap of 4 bytes before tensor 'a' [4, 12): tensors must be packed without gaps"},
      {"trailing bytes", file("{" + A + "," + B + "}", 20),
       "4 bytes after the last tensor: the tensors end at byte 16 of the data section, which has 20 bytes"},
      {"data but no tensors", file("{}", 8),
       "8 bytes after the last tensor: the tensors end at byte 0 of the data section, which has 8 bytes"},
      {"duplicate names", file(dup, 8),
       "invalid JSON header: at byte " + std::to_string(8 + A.size() + 2) + ": duplicate key \"a\""},
      {"metadata not an object", file(R"({"__metadata__":["a"]})", 0),
       "__metadata__ must be an object of strings, got an array"},
      {"metadata value not a string", file(R"({"__metadata__":{"epoch":3}})", 0),
       "__metadata__ must map strings to strings; 'epoch' holds an integer"},
      {"invalid UTF-8 in a name", file("{\"\xFF\":{}}", 0), "invalid JSON header: at byte 10: invalid UTF-8 (byte 0xFF) in a string"},
      {"nesting bomb", file(bomb, 0), "invalid JSON header: at byte 31: nesting deeper than 8 levels"},
  };
  for (auto& c : cases) {
    INFO(c.what);
    write_bytes(path, c.bytes);
    CHECK(thrown<ember::FormatError>([&] { io::read_safetensors(path); }) ==
          "read_safetensors: " + path + ": " + c.message);
  }
  // The valid neighbours of those cases do load.
  write_bytes(path, file("{" + B + "," + A + "}", 16));
  CHECK(io::read_safetensors(path).entries.size() == 2);
  write_bytes(path, file(R"({"a":{"dtype":"F32","shape":[0,9223372036854775807],"data_offsets":[0,0]}})", 0));
  CHECK(io::read_safetensors(path).entries[0].shape == Shape{0, 9223372036854775807});
}

TEST_CASE("safetensors: a file truncated at any byte is rejected with the reason", "[io][safetensors]") {
  ScratchDir dir;
  const std::string good = dir.file("good.safetensors"), cut = dir.file("cut.safetensors");
  ember::Generator gen(5);
  io::save_safetensors<float>(good,
                                 {{"w", ember::randn<float>({3, 4}, gen)},
                                  {"empty", ember::zeros<float>({0, 2})},
                                  {"b", ember::randn<float>({3}, gen)}},
                                 {{"note", "caf\xC3\xA9"}});
  const std::string bytes = read_bytes(good);
  const std::uint64_t n = header_size_of(bytes);
  const io::SafetensorsFile reference = io::read_safetensors(good);
  std::vector<std::string> failures;
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    write_bytes(cut, bytes.substr(0, len));
    std::string expected;
    if (len < 8) {
      expected = "file of " + std::to_string(len) + " bytes is too short for safetensors (at least 8 bytes)";
    } else if (len < 8 + n) {
      expected = "header length " + std::to_string(n) + " exceeds the file size (" + std::to_string(len) +
                 " bytes; truncated file?)";
    } else {  // the first tensor (in header order, which is data order here) that no longer fits
      const std::uint64_t data = len - 8 - n;
      for (auto& e : reference.entries)
        if (e.end > data) {
          expected = "tensor '" + e.name + "': data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                     "] are out of range: the data section holds " + std::to_string(data) + " bytes (truncated file?)";
          break;
        }
    }
    const std::string got = thrown<ember::FormatError>([&] { io::read_safetensors(cut); });
    if (got != "read_safetensors: " + cut + ": " + expected)
      failures.push_back("length " + std::to_string(len) + ": " + got);
  }
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());
}

TEST_CASE("safetensors: corrupted header bytes never load, random corruption never crashes", "[io][safetensors]") {
  ScratchDir dir;
  const std::string good = dir.file("good.safetensors"), bad = dir.file("bad.safetensors");
  ember::Generator gen(9);
  io::save_safetensors<float>(good, {{"weight", ember::randn<float>({4, 8}, gen)}, {"bias", ember::randn<float>({4}, gen)}},
                                 {{"architecture", "caf\xC3\xA9"}});
  const std::string bytes = read_bytes(good);
  const std::size_t header_end = 8 + header_size_of(bytes);
  // Setting the top bit of any length or header byte breaks the length, the JSON or its UTF-8.
  std::vector<std::string> failures;
  for (std::size_t i = 0; i < header_end; ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x80);
    write_bytes(bad, flipped);
    const std::string got = thrown<ember::FormatError>([&] { io::read_safetensors(bad); });
    if (!starts_with(got, "read_safetensors: " + bad + ": ")) failures.push_back("byte " + std::to_string(i) + ": " + got);
  }
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());

  // Random bytes at random places (mostly in the header): a clean load or a FormatError,
  // nothing else (sanitizer builds check that no read goes astray).
  int loaded = 0, rejected = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    std::string mutated = bytes;
    const auto edits = 1 + gen.randint(3);
    for (std::uint64_t k = 0; k < edits; ++k) {
      const std::size_t span = gen.randint(4) == 0 ? mutated.size() : header_end;
      mutated[gen.randint(span)] = static_cast<char>(gen.randint(256));
    }
    write_bytes(bad, mutated);
    try {
      io::read_safetensors(bad);
      ++loaded;
    } catch (const ember::FormatError&) {
      ++rejected;
    }
  }
  CHECK(loaded + rejected == 1500);
  CHECK(rejected > 1000);
}

TEST_CASE("safetensors: missing files, directories and devices are reported, never read", "[io][safetensors]") {
  ScratchDir dir;
  const std::string missing = dir.file("missing.safetensors");
  CHECK(thrown<ember::FormatError>([&] { io::read_safetensors(missing); }) ==
        "read_safetensors: " + missing + ": no such file");
  const std::string in_missing_dir = dir.file("no/such/dir/m.safetensors");
  CHECK(thrown<ember::FormatError>([&] { io::read_safetensors(in_missing_dir); }) ==
        "read_safetensors: " + in_missing_dir + ": no such file");
  CHECK(thrown<ember::FormatError>([&] { io::read_safetensors(""); }) == "read_safetensors: : no such file");
  CHECK(thrown<ember::FormatError>([&] { io::read_safetensors(dir.path()); }) ==
        "read_safetensors: " + dir.path() + ": is a directory, not a file");
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(thrown<ember::FormatError>([&] { io::read_safetensors(fifo); }) ==
        "read_safetensors: " + fifo + ": is not a regular file");  // and does not block
  CHECK(thrown<ember::FormatError>([&] { io::read_safetensors("/dev/null"); }) ==
        "read_safetensors: /dev/null: is not a regular file");
  mnist::Net<float> net;
  const auto before = snapshot(net);
  CHECK(thrown<ember::FormatError>([&] { io::load_model(net, missing); }) ==
        "load_model: " + missing + ": no such file");
  CHECK(snapshot(net) == before);
}

// =============================================================================================
// Model files
// =============================================================================================

TEST_CASE("model files: mnist::Net round-trips bitwise under PyTorch's names", "[io][model]") {
  ScratchDir dir;
  const std::string path = dir.file("mnist.safetensors");
  ember::Generator g1(1), g2(2);
  mnist::Net<float> a(g1), b(g2);
  io::save_model(a, path, "mnist::Net", {{"note", "0 epochs"}});

  const io::SafetensorsFile file = io::read_safetensors(path);
  std::vector<std::string> names;
  for (auto& e : file.entries) {
    names.push_back(e.name);
    CHECK(e.dtype == "F32");
  }
  CHECK(names == std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
                                          "fc1.bias", "fc2.weight", "fc2.bias"});
  CHECK(file.find("conv2.weight")->shape == Shape{64, 32, 3, 3});
  CHECK(file.find("fc1.weight")->shape == Shape{128, 9216});
  CHECK(file.metadata == Metadata{{"format", "ember-model"},
                                  {"format_version", "1"},
                                  {"architecture", "mnist::Net"},
                                  {"ember_version", ember::version()},
                                  {"note", "0 epochs"}});

  REQUIRE_FALSE(same_state(a, b));
  const Tensor<float> handle = b.fc1.weight;  // optimizers hold such handles
  const Metadata meta = io::load_model(b, path, "mnist::Net");
  CHECK(meta.at("note") == "0 epochs");
  CHECK(same_state(a, b));
  CHECK(handle.shares_storage_with(b.fc1.weight));  // loaded in place
  CHECK(same_bits(handle, a.fc1.weight));
  CHECK(b.fc1.weight.requires_grad());
  a.eval();
  b.eval();
  ember::Generator gx(3);
  const auto x = ember::randn<float>({2, 1, 28, 28}, gx);
  CHECK(same_bits(a(x), b(x)));
}

TEST_CASE("model files: buffers and Sequential names are saved and loaded", "[io][model]") {
  ScratchDir dir;
  const std::string path = dir.file("small.safetensors");
  SmallNet<float> a(1), b(2);
  io::save_model(a, path, "SmallNet");
  std::vector<std::string> names;
  for (auto& e : io::read_safetensors(path).entries) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"conv.weight", "conv.bias", "fc.weight", "fc.bias", "running"});
  io::load_model(b, path, "SmallNet");
  CHECK(same_state(a, b));

  nn::Sequential<float> s1{std::make_shared<nn::Linear<float>>(3, 4), std::make_shared<nn::ReLU<float>>(),
                           std::make_shared<nn::Linear<float>>(4, 2)};
  nn::Sequential<float> s2{std::make_shared<nn::Linear<float>>(3, 4), std::make_shared<nn::ReLU<float>>(),
                           std::make_shared<nn::Linear<float>>(4, 2)};
  io::save_model(s1, path, "seq");
  names.clear();
  for (auto& e : io::read_safetensors(path).entries) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  io::load_model(s2, path);  // no architecture asked: not checked
  CHECK(same_state(s1, s2));
}

TEST_CASE("model files: a wrong architecture, shape, name set or dtype is refused and changes nothing",
          "[io][model]") {
  ScratchDir dir;
  const std::string path = dir.file("m.safetensors");
  SmallNet<float> saved(1), target(2);
  const auto before = snapshot(target);
  auto load = [&](const std::string& arch = "") { io::load_model(target, path, arch); };

  SECTION("architecture") {
    io::save_model(saved, path, "SmallNet");
    CHECK(thrown<ember::FormatError>([&] { load("mnist::Net"); }) ==
          "load_model: " + path + ": the file holds a model of architecture 'SmallNet', expected 'mnist::Net'");
  }
  SECTION("shape: the error names the tensor, the file's and the module's shape") {
    SmallNet<float> wider(1, 4);
    io::save_model(wider, path, "SmallNet");
    CHECK(thrown<ember::ShapeError>([&] { load("SmallNet"); }) ==
          "load_model: " + path + ": tensor 'fc.weight' has shape [4, 8] in the file, expected [3, 8]");
  }
  SECTION("one missing tensor") {
    auto tensors = encoded_state(saved);
    tensors.erase(tensors.begin() + 3);  // fc.bias
    write_raw(path, tensors, {});
    CHECK(thrown<ember::FormatError>([&] { load(); }) ==
          "load_model: " + path + ": missing tensor 'fc.bias' (the module has 5 tensors, the file 4)");
  }
  SECTION("several missing tensors") {
    auto tensors = encoded_state(saved);
    tensors.resize(2);
    write_raw(path, tensors, {});
    CHECK(thrown<ember::FormatError>([&] { load(); }) ==
          "load_model: " + path +
              ": missing tensors 'fc.weight', 'fc.bias', 'running' (the module has 5 tensors, the file 2)");
  }
  SECTION("unexpected tensors") {
    auto tensors = encoded_state(saved);
    tensors.push_back(io::detail::encode_tensor("extra.weight", ember::ones<float>({2}), "test", path));
    tensors.push_back(io::detail::encode_tensor("fc.scale", ember::ones<float>({2}), "test", path));
    write_raw(path, tensors, {});
    CHECK(thrown<ember::FormatError>([&] { load(); }) ==
          "load_model: " + path + ": unexpected tensors 'extra.weight', 'fc.scale' not in the module");
  }
  SECTION("a tensor of an integer dtype") {
    auto tensors = encoded_state(saved);
    tensors[3] = io::detail::encode_tensor("fc.bias", ember::from_vector<std::int64_t>({1, 2, 3}), "test", path);
    write_raw(path, tensors, {});
    CHECK(thrown<ember::FormatError>([&] { load(); }) ==
          "load_model: " + path + ": tensor 'fc.bias' has dtype I64, expected F32 or F64");
  }
  SECTION("a checkpoint") {
    io::save_checkpoint<float>(path, saved, {}, 1, ember::Generator(1).state(), {}, "SmallNet");
    CHECK(thrown<ember::FormatError>([&] { load(); }) ==
          "load_model: " + path + ": the file is an ember checkpoint; load it with load_checkpoint");
  }
  SECTION("a newer format version") {
    write_raw(path, encoded_state(saved),
              {{"format", "ember-model"}, {"format_version", "2"}, {"architecture", "SmallNet"}});
    CHECK(thrown<ember::FormatError>([&] { load(); }) ==
          "load_model: " + path + ": the file has format_version 2, but ember " + ember::version() +
              " reads format versions up to 1 (the file was written by a newer ember)");
  }
  SECTION("a bad or missing format version") {
    write_raw(path, encoded_state(saved), {{"format", "ember-model"}, {"format_version", "one"}});
    CHECK(thrown<ember::FormatError>([&] { load(); }) ==
          "load_model: " + path + ": metadata 'format_version' is 'one', expected a positive integer");
    write_raw(path, encoded_state(saved), {{"format", "ember-model"}});
    CHECK(thrown<ember::FormatError>([&] { load(); }) ==
          "load_model: " + path + ": metadata 'format_version' is missing");
  }
  CHECK(snapshot(target) == before);  // no half-loaded model
}

TEST_CASE("model files: PyTorch-style files without ember metadata load by names and shapes", "[io][model]") {
  ScratchDir dir;
  const std::string path = dir.file("torch.safetensors");
  SmallNet<float> a(1), b(2);
  auto tensors = io::detail::module_tensors(a);
  std::reverse(tensors.begin(), tensors.end());  // PyTorch's writer orders by dtype and name, not ours
  io::save_safetensors<float>(path, tensors);
  io::load_model(b, path, "SmallNet");  // the file says nothing about its architecture
  CHECK(same_state(a, b));
  SmallNet<float> c(3);
  io::save_safetensors<float>(path, tensors, {{"format", "pt"}});  // Hugging Face's marker
  io::load_model(c, path, "SmallNet");
  CHECK(same_state(a, c));
}

TEST_CASE("model files: float files load into double models and back", "[io][model]") {
  ScratchDir dir;
  const std::string path = dir.file("convert.safetensors");
  SmallNet<float> f(1);
  SmallNet<double> d(2);
  io::save_model(f, path, "SmallNet");
  io::load_model(d, path, "SmallNet");
  const auto tf = io::detail::module_tensors(f);
  const auto td = io::detail::module_tensors(d);
  for (std::size_t i = 0; i < tf.size(); ++i) {
    INFO(tf[i].first);
    CHECK(same_bits(td[i].second, tf[i].second.cast<double>()));  // exact widening
  }
  SmallNet<double> d2(4);
  SmallNet<float> f2(5);
  io::save_model(d2, path, "SmallNet");
  CHECK(io::read_safetensors(path).entries[0].dtype == "F64");
  io::load_model(f2, path, "SmallNet");
  const auto sd = io::detail::module_tensors(d2);
  const auto sf = io::detail::module_tensors(f2);
  for (std::size_t i = 0; i < sd.size(); ++i) {
    INFO(sd[i].first);
    CHECK(same_bits(sf[i].second, sd[i].second.cast<float>()));  // rounded to nearest
  }
}

TEST_CASE("model files: reserved metadata keys are refused before writing", "[io][model]") {
  ScratchDir dir;
  const std::string path = dir.file("m.safetensors");
  SmallNet<float> net;
  CHECK(thrown<ember::ValueError>([&] { io::save_model(net, path, "SmallNet", {{"format", "mine"}}); }) ==
        "save_model: " + path + ": metadata key 'format' is reserved by the file format");
  CHECK(dir.listing().empty());
}

// =============================================================================================
// Atomic writes
// =============================================================================================

namespace {

// Lowers the file-size limit so that write() fails midway (as on a full disk), even for root.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_) == 0);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG instead of killing us
    rlimit lowered = old_;
    lowered.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lowered) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit old_{};
  void (*old_handler_)(int) = SIG_DFL;
};

}  // namespace

TEST_CASE("atomic writes: a failed save leaves the existing file intact and no temporary file", "[io][atomic]") {
  ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  SmallNet<float> net(1);
  io::save_model(net, path, "SmallNet");
  const std::string original = read_bytes(path);
  const auto t = ember::ones<float>({2});
  auto require_intact = [&] {
    CHECK(read_bytes(path) == original);
    CHECK(dir.listing() == std::vector<std::string>{"model.safetensors"});
  };

  SECTION("duplicate tensor names") {
    CHECK(thrown<ember::ValueError>([&] { io::save_safetensors<float>(path, {{"a", t}, {"b", t}, {"a", t}}); }) ==
          "save_safetensors: " + path + ": duplicate tensor name 'a'");
  }
  SECTION("a reserved tensor name") {
    CHECK(thrown<ember::ValueError>([&] { io::save_safetensors<float>(path, {{"__metadata__", t}}); }) ==
          "save_safetensors: " + path + ": '__metadata__' is reserved and cannot name a tensor");
  }
  SECTION("an undefined tensor") {
    CHECK(thrown<ember::ValueError>([&] { io::save_safetensors<float>(path, {{"a", Tensor<float>()}}); }) ==
          "save_safetensors: " + path + ": tensor 'a' is undefined");
  }
  SECTION("a write that fails midway (file size limit)") {
    const auto big = ember::zeros<float>({100000});
    {
      FileSizeLimit limit(4096);
      CHECK(thrown<ember::FormatError>([&] { io::save_safetensors<float>(path, {{"big", big}}); }) ==
            "save_safetensors: " + path + ": cannot write: File too large");
    }
    io::save_safetensors<float>(dir.file("other.safetensors"), {{"big", big}});  // the limit is gone again
    fs::remove(dir.file("other.safetensors"));
  }
  SECTION("an unwritable directory") {
    const std::string ro = dir.file("ro");
    fs::create_directory(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    if (::geteuid() == 0) {
      WARN("running as root: permissions do not stop writes; the failure paths are covered by the other sections");
    } else {
      const std::string inside = ro + "/m.safetensors";
      CHECK(thrown<ember::FormatError>([&] { io::save_model(net, inside, "SmallNet"); }) ==
            "save_model: " + inside + ": cannot create a temporary file in directory '" + ro +
                "': Permission denied");
      CHECK(fs::is_empty(ro));
    }
    fs::permissions(ro, fs::perms::owner_all);
    fs::remove(ro);
  }
  require_intact();

  SECTION("the destination is a directory") {
    const std::string taken = dir.file("taken");
    fs::create_directory(taken);
    CHECK(thrown<ember::FormatError>([&] { io::save_model(net, taken, "SmallNet"); }) ==
          "save_model: " + taken + ": cannot replace the file: Is a directory");
    CHECK(fs::is_directory(taken));
    CHECK(dir.listing() == std::vector<std::string>{"model.safetensors", "taken"});  // the full temp file is gone
  }
  SECTION("the directory does not exist") {
    const std::string nowhere = dir.file("missing/model.safetensors");
    CHECK(thrown<ember::FormatError>([&] { io::save_model(net, nowhere, "SmallNet"); }) ==
          "save_model: " + nowhere + ": cannot create a temporary file in directory '" + dir.file("missing") +
              "': No such file or directory");
    require_intact();
  }
  SECTION("no file name") {
    const std::string slash = dir.path() + "/";
    CHECK(thrown<ember::FormatError>([&] { io::save_model(net, slash, "SmallNet"); }) ==
          "save_model: " + slash + ": expected a file name");
    require_intact();
  }
  SECTION("a successful save replaces the file") {
    SmallNet<float> other(7);
    io::save_model(other, path, "SmallNet");
    CHECK(read_bytes(path) != original);
    CHECK(dir.listing() == std::vector<std::string>{"model.safetensors"});
    SmallNet<float> loaded(8);
    io::load_model(loaded, path, "SmallNet");
    CHECK(same_state(loaded, other));
  }
}

TEST_CASE("atomic writes: write_file_atomic writes any contents the same way", "[io][atomic]") {
  ScratchDir dir;
  const std::string path = dir.file("history.csv");
  io::write_file_atomic(path, "epoch,loss\n1,0.5\n");
  CHECK(read_bytes(path) == "epoch,loss\n1,0.5\n");
  io::write_file_atomic(path, std::string("a\0b\xFF", 4));  // binary-safe, and replaces
  CHECK(read_bytes(path) == std::string("a\0b\xFF", 4));
  io::write_file_atomic(path, "");
  CHECK(fs::is_regular_file(path));
  CHECK(fs::file_size(path) == 0);

  // The umask decides the permissions, as for any file the program creates (not 0600).
  const std::string plain = dir.file("plain.txt");
  write_bytes(plain, "x");
  CHECK(fs::status(path).permissions() == fs::status(plain).permissions());

  io::write_file_atomic(path, "kept");
  const std::string taken = dir.file("taken");
  fs::create_directory(taken);
  CHECK(thrown<ember::FormatError>([&] { io::write_file_atomic(taken, "x"); }) ==
        "write_file_atomic: " + taken + ": cannot replace the file: Is a directory");
  {
    FileSizeLimit limit(4096);
    CHECK(thrown<ember::FormatError>([&] { io::write_file_atomic(path, std::string(10000, 'z')); }) ==
          "write_file_atomic: " + path + ": cannot write: File too large");
  }
  CHECK(read_bytes(path) == "kept");
  CHECK(dir.listing() == std::vector<std::string>{"history.csv", "plain.txt", "taken"});
}

// =============================================================================================
// Checkpoints
// =============================================================================================

namespace {

std::vector<std::pair<std::string, Tensor<float>>> optimizer_state_for(const SmallNet<float>& net) {
  std::vector<std::pair<std::string, Tensor<float>>> state;
  int i = 0;
  for (auto& p : net.parameters()) {
    state.emplace_back(std::to_string(i) + ".exp_avg", ember::full<float>(p.shape(), 0.25f * static_cast<float>(i + 1)));
    ++i;
  }
  state.emplace_back("step", ember::scalar_tensor<float>(120.0f));
  return state;
}

}  // namespace

TEST_CASE("checkpoints: model, optimizer state, epoch, RNG and extras round-trip", "[io][checkpoint]") {
  ScratchDir dir;
  const std::string path = dir.file("ck.safetensors");
  SmallNet<float> net(1), resumed(2);
  const auto optim = optimizer_state_for(net);
  ember::Generator gen(42);
  for (int i = 0; i < 17; ++i) gen.next_u64();
  const Metadata extra{{"history", R"({"loss": [0.5, 0.25], "accuracy": [0.9, 0.95]})"},
                       {"scheduler_last_epoch", "6"},
                       {"settings", "lr=0.01 batch=64"}};
  io::save_checkpoint(path, net, optim, 7, gen.state(), extra, "SmallNet");

  const io::SafetensorsFile file = io::read_safetensors(path);
  CHECK(file.entries.front().name == "model.conv.weight");
  CHECK(file.find("model.running") != nullptr);
  CHECK(file.find("optim.step") != nullptr);
  CHECK(file.metadata.at("format") == "ember-checkpoint");
  CHECK(file.metadata.at("format_version") == "1");
  CHECK(file.metadata.at("epoch") == "7");
  CHECK(file.metadata.at("ember_version") == ember::version());
  const auto s = gen.state();
  CHECK(file.metadata.at("rng_state") ==
        std::to_string(s[0]) + " " + std::to_string(s[1]) + " " + std::to_string(s[2]) + " " + std::to_string(s[3]));
  CHECK(starts_with(file.metadata.at("checksum"), "crc32:"));

  const io::Checkpoint<float> ck = io::load_checkpoint(path, resumed, "SmallNet");
  CHECK(same_state(net, resumed));
  CHECK(ck.epoch == 7);
  CHECK(ck.rng == gen.state());
  CHECK(ck.architecture == "SmallNet");
  CHECK(ck.extra == extra);
  REQUIRE(ck.optimizer_state.size() == optim.size());
  for (std::size_t i = 0; i < optim.size(); ++i) {
    CHECK(ck.optimizer_state[i].first == optim[i].first);  // saved order, prefix removed
    CHECK(same_bits(ck.optimizer_state[i].second, optim[i].second));
  }
  ember::Generator continued;
  continued.set_state(ck.rng);
  for (int i = 0; i < 5; ++i) CHECK(continued.next_u64() == gen.next_u64());  // the same random sequence

  SmallNet<double> as_double(3);  // a float checkpoint resumes a double model
  const io::Checkpoint<double> ckd = io::load_checkpoint(path, as_double);
  CHECK(same_bits(as_double.fc.weight, net.fc.weight.cast<double>()));
  CHECK(ckd.optimizer_state.back().second.item() == 120.0);
}

TEST_CASE("checkpoints: CRC-32 is the standard one", "[io][checkpoint]") {
  io::detail::Crc32 crc;
  const std::string check = "123456789";
  crc.update(reinterpret_cast<const unsigned char*>(check.data()), check.size());
  CHECK(crc.value() == 0xCBF43926u);  // the catalogued check value of CRC-32/ISO-HDLC (zlib)
  CHECK(crc.text() == "crc32:cbf43926");
  CHECK(io::detail::Crc32().text() == "crc32:00000000");
}

TEST_CASE("checkpoints: a flipped byte anywhere in the data is detected and changes nothing", "[io][checkpoint]") {
  ScratchDir dir;
  const std::string good = dir.file("ck.safetensors"), bad = dir.file("bad.safetensors");
  SmallNet<float> net(1), target(2);
  io::save_checkpoint(good, net, optimizer_state_for(net), 3, ember::Generator(5).state(), {}, "SmallNet");
  const std::string bytes = read_bytes(good);
  const std::size_t data_start = 8 + header_size_of(bytes);
  const std::string recorded = io::read_safetensors(good).metadata.at("checksum");
  const auto before = snapshot(target);
  std::vector<std::string> failures;
  for (std::size_t i = data_start; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ (1 << (i % 8)));  // one bit, a different one each time
    write_bytes(bad, flipped);
    const std::string got = thrown<ember::FormatError>([&] { io::load_checkpoint(bad, target, "SmallNet"); });
    const std::string expected = "load_checkpoint: " + bad +
                                 ": checksum mismatch: the data section is corrupted (the file records " + recorded +
                                 ", the data gives crc32:";
    if (!starts_with(got, expected)) failures.push_back("byte " + std::to_string(i) + ": " + got);
  }
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());
  CHECK(bytes.size() - data_start > 200);  // every byte of a real data section was tried
  CHECK(snapshot(target) == before);
  CHECK_NOTHROW(io::load_checkpoint(good, target, "SmallNet"));
  CHECK(same_state(net, target));
}

TEST_CASE("checkpoints: wrong or damaged metadata and tensors are refused and change nothing", "[io][checkpoint]") {
  ScratchDir dir;
  const std::string good = dir.file("ck.safetensors"), path = dir.file("edited.safetensors");
  SmallNet<float> net(1), target(2);
  io::save_checkpoint(good, net, optimizer_state_for(net), 3, ember::Generator(5).state(), {{"note", "x"}},
                         "SmallNet");
  const io::SafetensorsFile file = io::read_safetensors(good);
  const auto before = snapshot(target);
  // The checkpoint with one metadata key changed ("" value: removed). The data, and so its
  // checksum, stay as they were.
  auto edited = [&](const std::string& key, const std::string& value) {
    Metadata meta = file.metadata;
    if (value.empty()) meta.erase(key);
    else meta[key] = value;
    write_raw(path, encoded_entries(file), meta);
    return thrown<ember::FormatError>([&] { io::load_checkpoint(path, target, "SmallNet"); });
  };
  const std::string at = "load_checkpoint: " + path + ": ";
  CHECK(edited("format", "") == at + "not an ember checkpoint (metadata 'format' is missing)");
  CHECK(edited("format", "ember-model") == at + "the file is an ember model file; load it with load_model");
  CHECK(edited("format", "pt") == at + "not an ember checkpoint (metadata 'format' is 'pt')");
  CHECK(edited("format_version", "2") == at + "the file has format_version 2, but ember " + ember::version() +
                                             " reads format versions up to 1 (the file was written by a newer ember)");
  CHECK(edited("checksum", "") == at + "metadata 'checksum' is missing");
  CHECK(edited("checksum", "crc32:zz") == at + "metadata 'checksum' is 'crc32:zz', expected 'crc32:' and 8 hex digits");
  CHECK(starts_with(edited("checksum", "crc32:00000000"), at + "checksum mismatch"));
  CHECK(edited("architecture", "mnist::Net") ==
        at + "the file holds a model of architecture 'mnist::Net', expected 'SmallNet'");
  for (const char* epoch : {"-1", "1.5", " 3", "+3", "2147483648", "99999999999999999999999"})
    CHECK(edited("epoch", epoch) == at + "metadata 'epoch' is '" + epoch + "', expected a non-negative integer");
  CHECK(edited("epoch", "") == at + "metadata 'epoch' is missing");
  for (const char* rng : {"1 2 3", "0 0 0 0", "1 2 3 4 5", "1  2 3 4", "1 2 3 18446744073709551616", "1 2 3 x", "1 2 3 4 "})
    CHECK(edited("rng_state", rng) == at + "metadata 'rng_state' is '" + rng +
                                          "', expected four space-separated decimal words, not all zero");
  CHECK(edited("rng_state", "") == at + "metadata 'rng_state' is missing");

  // Tensors: a stray name, an integer optimizer tensor, a missing model tensor.
  auto with_tensors = [&](std::vector<io::detail::EncodedTensor> tensors) {
    Metadata meta = file.metadata;
    meta["checksum"] = io::detail::checksum_of(tensors);
    write_raw(path, tensors, meta);
    return thrown<ember::FormatError>([&] { io::load_checkpoint(path, target, "SmallNet"); });
  };
  auto tensors = encoded_entries(file);
  tensors.push_back(io::detail::encode_tensor("other.x", ember::ones<float>({1}), "test", path));
  CHECK(with_tensors(tensors) == at + "unexpected tensor 'other.x' (checkpoint tensors are named model.* or optim.*)");
  tensors.back() = io::detail::encode_tensor("optim.count", ember::scalar_tensor<std::int64_t>(3), "test", path);
  CHECK(with_tensors(tensors) == at + "tensor 'optim.count' has dtype I64, expected F32 or F64");
  tensors = encoded_entries(file);
  tensors.erase(tensors.begin() + 1);  // model.conv.bias
  CHECK(with_tensors(tensors) == at + "missing tensor 'model.conv.bias' (the module has 5 tensors, the file 4)");
  SmallNet<float> wider(1, 4);
  io::save_checkpoint<float>(path, wider, {}, 0, ember::Generator(1).state());
  CHECK(thrown<ember::ShapeError>([&] { io::load_checkpoint(path, target); }) ==
        at + "tensor 'model.fc.weight' has shape [4, 8] in the file, expected [3, 8]");
  io::save_model(net, path, "SmallNet");
  CHECK(thrown<ember::FormatError>([&] { io::load_checkpoint(path, target); }) ==
        at + "the file is an ember model file; load it with load_model");
  CHECK(snapshot(target) == before);
}

TEST_CASE("checkpoints: bad arguments are refused before writing; the old checkpoint survives", "[io][checkpoint]") {
  ScratchDir dir;
  const std::string path = dir.file("ck.safetensors");
  SmallNet<float> net(1);
  const auto rng = ember::Generator(1).state();
  io::save_checkpoint<float>(path, net, {}, 1, rng);
  const std::string original = read_bytes(path);
  const auto t = ember::ones<float>({1});
  CHECK(thrown<ember::ValueError>([&] { io::save_checkpoint<float>(path, net, {{"m", t}, {"m", t}}, 2, rng); }) ==
        "save_checkpoint: " + path + ": duplicate tensor name 'optim.m'");
  CHECK(thrown<ember::ValueError>([&] { io::save_checkpoint<float>(path, net, {}, 2, rng, {{"epoch", "9"}}); }) ==
        "save_checkpoint: " + path + ": metadata key 'epoch' is reserved by the file format");
  CHECK(thrown<ember::ValueError>([&] { io::save_checkpoint<float>(path, net, {}, -1, rng); }) ==
        "save_checkpoint: " + path + ": epoch must be non-negative, got -1");
  CHECK(thrown<ember::ValueError>([&] { io::save_checkpoint<float>(path, net, {}, 2, ember::Generator::State{}); }) ==
        "save_checkpoint: " + path + ": the all-zero rng state is not a Generator state");
  CHECK(read_bytes(path) == original);
  CHECK(dir.listing() == std::vector<std::string>{"ck.safetensors"});
}

// ---- compatibility: files written by ember 0.1.0 (format_version 1) ---------------------------

namespace {

// SmallNet with every tensor set to exact, RNG-free values: tensor t, element k holds
// (t + 1) * 0.5 - k * 0.125 (all exactly representable), so a test can tell what the file
// must hold without trusting any code that wrote it.
void set_compat_values(SmallNet<float>& net) {
  float t = 0;
  auto tensors = net.named_parameters();
  for (auto& named : net.named_buffers()) tensors.push_back(named);
  for (auto& [name, tensor] : tensors) {
    ++t;
    for (index_t k = 0; k < tensor.numel(); ++k) tensor.data()[k] = t * 0.5f - static_cast<float>(k) * 0.125f;
  }
}

const std::string kCompatDir = std::string(EMBER_TEST_DATA_DIR) + "/compat/";
const ember::Generator::State kCompatRng{1, 22, 333, 4444};

}  // namespace

// The model file and checkpoint of format version 1 in `dir` load back as the values
// set_compat_values gives (and the metadata, epoch, RNG and optimizer state written with them).
// Returns the model file's metadata.
namespace {
io::Metadata check_compat_files(const std::string& dir) {
  SmallNet<float> expected(1), model(2), resumed(3);
  set_compat_values(expected);

  const io::Metadata meta = io::load_model(model, dir + "model-v1.safetensors", "SmallNet");
  CHECK(same_state(model, expected));
  CHECK(meta.at("format_version") == "1");
  CHECK(meta.at("note") == "written by ember 0.1.0");

  const io::Checkpoint<float> ck = io::load_checkpoint(dir + "checkpoint-v1.safetensors", resumed, "SmallNet");
  CHECK(same_state(resumed, expected));
  CHECK(ck.epoch == 3);
  CHECK(ck.rng == kCompatRng);
  CHECK(ck.extra.at("history") == "epoch,loss\n1,0.5\n2,0.25\n");
  const auto optim = optimizer_state_for(expected);
  REQUIRE(ck.optimizer_state.size() == optim.size());
  for (std::size_t i = 0; i < optim.size(); ++i) {
    CHECK(ck.optimizer_state[i].first == optim[i].first);
    CHECK(same_bits(ck.optimizer_state[i].second, optim[i].second));
  }
  return meta;
}
}  // namespace

// The compat files as this version writes them: into a scratch folder, where they must load
// back as written, or, with EMBER_WRITE_COMPAT=1 (by hand, once per new format version), into
// tests/data/compat/ itself, then checked the same way.
TEST_CASE("compat: this version writes model files and checkpoints that load back as written", "[io][compat]") {
  const bool into_repo = std::getenv("EMBER_WRITE_COMPAT") && std::string(std::getenv("EMBER_WRITE_COMPAT")) == "1";
  ScratchDir scratch;
  const std::string dir = into_repo ? kCompatDir : scratch.path() + "/";
  SmallNet<float> net(1);
  set_compat_values(net);
  io::save_model(net, dir + "model-v1.safetensors", "SmallNet", {{"note", "written by ember 0.1.0"}});
  io::save_checkpoint(dir + "checkpoint-v1.safetensors", net, optimizer_state_for(net), 3, kCompatRng,
                      {{"history", "epoch,loss\n1,0.5\n2,0.25\n"}}, "SmallNet");
  check_compat_files(dir);
}

TEST_CASE("compat: model files and checkpoints of format version 1 (ember 0.1.0) still load", "[io][compat]") {
  const io::Metadata meta = check_compat_files(kCompatDir);
  CHECK(meta.at("ember_version") == "0.1.0");
}

TEST_CASE("atomic writes: remove_stale_temporaries removes a dead writer's files only", "[io][atomic]") {
  ScratchDir dir;
  auto touch = [&](const std::string& name) { std::ofstream(dir.file(name)) << "x"; };
  const std::string own = std::to_string(::getpid());
  touch(".model.safetensors.tmp-999999999-0");  // beyond pid_max: no such process
  touch(".history.csv.tmp-999999998-12");
  touch(".checkpoint.safetensors.tmp-" + own + "-3");  // a live writer (this process)
  touch("model.safetensors");
  touch(".hidden");
  touch("notes.tmp-1-2");  // not a hidden temporary name
  CHECK(io::remove_stale_temporaries(dir.path()) == 2);
  CHECK_FALSE(std::filesystem::exists(dir.file(".model.safetensors.tmp-999999999-0")));
  CHECK_FALSE(std::filesystem::exists(dir.file(".history.csv.tmp-999999998-12")));
  CHECK(std::filesystem::exists(dir.file(".checkpoint.safetensors.tmp-" + own + "-3")));
  CHECK(std::filesystem::exists(dir.file("model.safetensors")));
  CHECK(std::filesystem::exists(dir.file(".hidden")));
  CHECK(std::filesystem::exists(dir.file("notes.tmp-1-2")));
  CHECK(io::remove_stale_temporaries(dir.file("missing-dir")) == 0);
}
