#pragma once
// A small, strict JSON reader and writer: enough for safetensors headers and metadata.
//
//   namespace json = ember::io::json;
//   json::Value v = json::parse(R"({"shape": [2, 3], "dtype": "F32"})");
//   v.find("shape")->as_array()[1].as_integer();   // 3
//   json::write(v);                                // {"shape":[2,3],"dtype":"F32"}
//
// Strict means: RFC 8259 grammar only (no comments, trailing commas, NaN, leading zeros or
// single quotes), valid UTF-8 only (no overlong forms, surrogates or code points above
// U+10FFFF, also not through \u escapes), no duplicate keys in an object, integers that fit
// in 64 bits, and a nesting limit. The input is untrusted file content, so every failure is
// a FormatError saying at which byte and why; nothing recurses deeper than the limit.
//
// Numbers without a fraction or an exponent are integers (Kind::Integer, exact int64);
// the others are Kind::Real (double). Objects keep their members in file order.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "ember/core/error.hpp"

namespace ember::io::json {

class Value {
 public:
  enum class Kind { Null, Bool, Integer, Real, String, Array, Object };
  using Array = std::vector<Value>;
  using Object = std::vector<std::pair<std::string, Value>>;  // file order; keys are unique

  Value() = default;  // null
  Value(std::nullptr_t) {}
  Value(bool b) : kind_(Kind::Bool), bool_(b) {}
  Value(int i) : Value(static_cast<std::int64_t>(i)) {}
  Value(std::int64_t i) : kind_(Kind::Integer), integer_(i) {}
  Value(double d) : kind_(Kind::Real), real_(d) {}
  Value(std::string s) : kind_(Kind::String), string_(std::move(s)) {}
  Value(const char* s) : Value(std::string(s)) {}
  Value(Array a) : kind_(Kind::Array), array_(std::move(a)) {}
  Value(Object o) : kind_(Kind::Object), object_(std::move(o)) {}

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_integer() const { return kind_ == Kind::Integer; }
  bool is_number() const { return kind_ == Kind::Integer || kind_ == Kind::Real; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_object() const { return kind_ == Kind::Object; }

  // Typed access; the wrong kind throws FormatError ("json: expected an integer, got a string").
  bool as_bool() const {
    expect(Kind::Bool);
    return bool_;
  }
  std::int64_t as_integer() const {
    expect(Kind::Integer);
    return integer_;
  }
  // Integers and reals alike, as a double.
  double as_number() const {
    if (kind_ == Kind::Integer) return static_cast<double>(integer_);
    expect(Kind::Real);
    return real_;
  }
  const std::string& as_string() const {
    expect(Kind::String);
    return string_;
  }
  const Array& as_array() const {
    expect(Kind::Array);
    return array_;
  }
  const Object& as_object() const {
    expect(Kind::Object);
    return object_;
  }

  // The member named key of an object, or nullptr when absent (or when this is no object).
  const Value* find(std::string_view key) const {
    if (kind_ != Kind::Object) return nullptr;
    for (auto& [name, value] : object_)
      if (name == key) return &value;
    return nullptr;
  }

  static const char* kind_name(Kind k) {
    switch (k) {
      case Kind::Null: return "null";
      case Kind::Bool: return "a boolean";
      case Kind::Integer: return "an integer";
      case Kind::Real: return "a non-integer number";
      case Kind::String: return "a string";
      case Kind::Array: return "an array";
      case Kind::Object: return "an object";
    }
    return "?";
  }

  friend bool operator==(const Value& a, const Value& b) {
    if (a.kind_ != b.kind_) return false;
    switch (a.kind_) {
      case Kind::Null: return true;
      case Kind::Bool: return a.bool_ == b.bool_;
      case Kind::Integer: return a.integer_ == b.integer_;
      case Kind::Real: return a.real_ == b.real_;
      case Kind::String: return a.string_ == b.string_;
      case Kind::Array: return a.array_ == b.array_;
      case Kind::Object: return a.object_ == b.object_;
    }
    return false;
  }
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  void expect(Kind k) const {
    EMBER_CHECK(kind_ == k, FormatError, "json", "expected ", kind_name(k), ", got ", kind_name(kind_));
  }

  Kind kind_ = Kind::Null;
  bool bool_ = false;
  std::int64_t integer_ = 0;
  double real_ = 0.0;
  std::string string_;
  Array array_;
  Object object_;
};

// ---- UTF-8 -------------------------------------------------------------------------------

namespace detail {

// Length of the well-formed UTF-8 sequence starting at s[i] (1 to 4), or 0 when the bytes
// there are not one (stray continuation byte, overlong form, surrogate, above U+10FFFF,
// truncated). Follows the table of well-formed sequences in the Unicode standard (3.9).
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100u;  // 0x100: past the end
  };
  auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  const unsigned b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (in(b0, 0xC2, 0xDF)) return in(byte(1), 0x80, 0xBF) ? 2 : 0;
  if (in(b0, 0xE0, 0xEF)) {
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;  // no overlongs, no surrogates
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;  // U+10000..U+10FFFF
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// 'x' for printable ASCII, else 0xNN: error messages must stay readable whatever the input.
inline std::string describe_byte(unsigned char c) {
  if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
  const char* hex = "0123456789ABCDEF";
  return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
}

}  // namespace detail

// Index of the first byte of s that is not part of well-formed UTF-8, or npos when s is valid.
inline std::size_t find_invalid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = detail::utf8_sequence_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

// ---- reader ------------------------------------------------------------------------------

struct ParseOptions {
  int max_depth = 32;           // nested arrays/objects; safetensors headers need 3
  std::size_t offset_base = 0;  // added to byte offsets in messages (8 for a safetensors header)
};

namespace detail {

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options) : s_(text), options_(options) {}

  Value parse_document() {
    skip_whitespace();
    Value v = parse_value(0);
    skip_whitespace();
    if (pos_ < s_.size()) fail("unexpected ", describe_byte(byte()), " after the JSON value");
    return v;
  }

 private:
  template <class... Parts>
  [[noreturn]] void fail_at(std::size_t pos, const Parts&... parts) const {
    ember::detail::throw_error<FormatError>("json", "at byte ", pos + options_.offset_base, ": ", parts...);
  }
  template <class... Parts>
  [[noreturn]] void fail(const Parts&... parts) const {
    fail_at(pos_, parts...);
  }

  bool at_end() const { return pos_ >= s_.size(); }
  unsigned char byte() const { return static_cast<unsigned char>(s_[pos_]); }
  std::string found() const { return at_end() ? std::string("the end of the text") : describe_byte(byte()); }

  // Steps over c when it is the next byte.
  bool consume(char c) {
    if (at_end() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  void skip_whitespace() {
    while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }

  void expect_literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) fail("invalid literal (expected '", word, "')");
    pos_ += word.size();
  }

  Value parse_value(int depth) {
    if (at_end()) fail("expected a value, got the end of the text");
    switch (s_[pos_]) {
      case '{': return parse_object(depth + 1);
      case '[': return parse_array(depth + 1);
      case '"': return Value(parse_string());
      case 't': expect_literal("true"); return Value(true);
      case 'f': expect_literal("false"); return Value(false);
      case 'n': expect_literal("null"); return Value();
      default:
        if (s_[pos_] == '-' || (s_[pos_] >= '0' && s_[pos_] <= '9')) return parse_number();
        fail("expected a value, got ", found());
    }
  }

  void enter(int depth) const {
    if (depth > options_.max_depth) fail("nesting deeper than ", options_.max_depth, " levels");
  }

  Value parse_object(int depth) {
    enter(depth);
    ++pos_;  // '{'
    Value::Object members;
    std::set<std::string> seen;  // duplicate keys would make "which tensor?" ambiguous
    skip_whitespace();
    if (consume('}')) return Value(std::move(members));
    while (true) {
      skip_whitespace();
      if (at_end() || s_[pos_] != '"') fail("expected a string key, got ", found());
      const std::size_t key_pos = pos_;
      std::string key = parse_string();
      if (!seen.insert(key).second) fail_at(key_pos, "duplicate key \"", key, "\"");
      skip_whitespace();
      if (at_end() || s_[pos_] != ':') fail("expected ':' after a key, got ", found());
      ++pos_;
      skip_whitespace();
      Value v = parse_value(depth);
      members.emplace_back(std::move(key), std::move(v));
      skip_whitespace();
      if (consume(',')) continue;
      if (consume('}')) return Value(std::move(members));
      fail("expected ',' or '}' in an object, got ", found());
    }
  }

  Value parse_array(int depth) {
    enter(depth);
    ++pos_;  // '['
    Value::Array items;
    skip_whitespace();
    if (consume(']')) return Value(std::move(items));
    while (true) {
      skip_whitespace();
      items.push_back(parse_value(depth));
      skip_whitespace();
      if (consume(',')) continue;
      if (consume(']')) return Value(std::move(items));
      fail("expected ',' or ']' in an array, got ", found());
    }
  }

  // Four hex digits after "\u".
  std::uint32_t parse_hex4() {
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k, ++pos_) {
      if (at_end()) fail("truncated \\u escape");
      const char c = s_[pos_];
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) fail("invalid hex digit ", describe_byte(byte()), " in a \\u escape");
      v = v * 16 + static_cast<std::uint32_t>(d);
    }
    return v;
  }

  // A \uXXXX escape (pos_ at the 'u'), combining a UTF-16 surrogate pair into one code point.
  std::uint32_t parse_unicode_escape(std::size_t escape_pos) {
    ++pos_;  // 'u'
    std::uint32_t cp = parse_hex4();
    if (cp >= 0xDC00 && cp <= 0xDFFF) fail_at(escape_pos, "lone low surrogate \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (s_.substr(pos_, 2) != "\\u") fail_at(escape_pos, "high surrogate \\u escape without a low surrogate");
      const std::size_t low_pos = pos_;
      pos_ += 2;
      const std::uint32_t low = parse_hex4();
      if (low < 0xDC00 || low > 0xDFFF) fail_at(low_pos, "high surrogate followed by a non-low-surrogate \\u escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    return cp;
  }

  std::string parse_string() {
    const std::size_t start = pos_;
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (at_end()) fail_at(start, "unterminated string");
      const unsigned char c = byte();
      if (consume('"')) return out;
      if (c < 0x20) fail("control character ", describe_byte(c), " in a string (must be escaped)");
      if (c == '\\') {
        const std::size_t escape_pos = pos_++;
        if (at_end()) fail_at(start, "unterminated string");
        switch (s_[pos_]) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': append_utf8(out, parse_unicode_escape(escape_pos)); continue;  // pos_ already advanced
          default: fail_at(escape_pos, "invalid escape \\", describe_byte(byte()));
        }
        ++pos_;
        continue;
      }
      const std::size_t n = utf8_sequence_length(s_, pos_);
      if (n == 0) fail("invalid UTF-8 (", describe_byte(c), ") in a string");
      out.append(s_.substr(pos_, n));
      pos_ += n;
    }
  }

  // RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  Value parse_number() {
    const std::size_t start = pos_;
    auto digits = [&] {
      std::size_t n = 0;
      while (!at_end() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_, ++n;
      return n;
    };
    const bool negative = s_[pos_] == '-';
    if (negative) ++pos_;
    const std::size_t int_start = pos_;
    const std::size_t int_digits = digits();
    if (int_digits == 0) fail_at(start, "invalid number (no digits after '-')");
    if (int_digits > 1 && s_[int_start] == '0') fail_at(start, "invalid number (leading zero)");
    bool integral = true;
    if (!at_end() && s_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) fail_at(start, "invalid number (no digits after '.')");
      integral = false;
    }
    if (!at_end() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (!at_end() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) fail_at(start, "invalid number (no digits in the exponent)");
      integral = false;
    }
    const std::string_view text = s_.substr(start, pos_ - start);
    if (integral) {
      // Accumulate towards the negative side: |INT64_MIN| does not fit as a positive value.
      std::int64_t v = 0;
      for (std::size_t i = int_start; i < pos_; ++i) {
        const int d = s_[i] - '0';
        if (v < (std::numeric_limits<std::int64_t>::min() + d) / 10)
          fail_at(start, "integer ", text, " does not fit in 64 bits");
        v = v * 10 - d;
      }
      if (!negative) {
        if (v == std::numeric_limits<std::int64_t>::min()) fail_at(start, "integer ", text, " does not fit in 64 bits");
        v = -v;
      }
      return Value(v);
    }
    double d = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);  // locale-independent
    if (ec != std::errc() || end != text.data() + text.size()) fail_at(start, "number ", text, " is out of range");
    return Value(d);
  }

  std::string_view s_;
  ParseOptions options_;
  std::size_t pos_ = 0;
};

}  // namespace detail

// Parses one JSON document (surrounding whitespace allowed). Throws FormatError with op "json":
// "json: at byte 12: expected ',' or '}' in an object, got 'x'".
inline Value parse(std::string_view text, const ParseOptions& options = {}) {
  return detail::Parser(text, options).parse_document();
}

// ---- writer ------------------------------------------------------------------------------

// s as a JSON string literal, quotes included. Escapes '"', '\\' and control characters;
// other UTF-8 is written as is. Invalid UTF-8 throws ValueError: a file we write must be
// one we (and every other reader) can read back.
inline std::string quote(std::string_view s) {
  const std::size_t bad = find_invalid_utf8(s);
  EMBER_CHECK(bad == std::string_view::npos, ValueError, "json::quote", "invalid UTF-8 (",
              detail::describe_byte(static_cast<unsigned char>(s[bad])), ") at byte ", bad, " of the string");
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

namespace detail {

inline void write_to(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Null: out += "null"; return;
    case Value::Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::Integer: out += std::to_string(v.as_integer()); return;
    case Value::Kind::Real: {
      const double d = v.as_number();
      EMBER_CHECK(d - d == 0.0, ValueError, "json::write", "JSON has no representation for ", d);  // inf, nan
      char buf[32];  // the shortest round-trip form of a double needs at most 24
      std::string text(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);  // shortest form that reads back exactly
      // "3" would read back as an integer; "3.0" keeps the value a real.
      if (text.find_first_of(".eE") == std::string::npos) text += ".0";
      out += text;
      return;
    }
    case Value::Kind::String: out += quote(v.as_string()); return;
    case Value::Kind::Array: {
      out += '[';
      bool first = true;
      for (auto& item : v.as_array()) {
        if (!first) out += ',';
        first = false;
        write_to(out, item);
      }
      out += ']';
      return;
    }
    case Value::Kind::Object: {
      out += '{';
      bool first = true;
      std::set<std::string> seen;  // the reader rejects duplicate keys: never write them
      for (auto& [key, item] : v.as_object()) {
        EMBER_CHECK(seen.insert(key).second, ValueError, "json::write", "duplicate key ", quote(key), " in an object");
        if (!first) out += ',';
        first = false;
        out += quote(key);
        out += ':';
        write_to(out, item);
      }
      out += '}';
      return;
    }
  }
}

inline bool is_container(const Value& v) { return v.is_array() || v.is_object(); }

// Like write_to, with one object member or nested container per line, indented by depth;
// arrays of plain values (a row of numbers) stay on one line.
inline void write_pretty_to(std::string& out, const Value& v, int depth) {
  const bool nested_array = v.is_array() && std::any_of(v.as_array().begin(), v.as_array().end(), is_container);
  if (!v.is_object() && !nested_array) return write_to(out, v);
  if (v.is_object() && v.as_object().empty()) return write_to(out, v);
  const std::string inner(static_cast<std::size_t>(2 * (depth + 1)), ' ');
  out += v.is_object() ? "{\n" : "[\n";
  std::set<std::string> seen;
  const std::size_t n = v.is_object() ? v.as_object().size() : v.as_array().size();
  for (std::size_t i = 0; i < n; ++i) {
    out += inner;
    if (v.is_object()) {
      const auto& [key, item] = v.as_object()[i];
      EMBER_CHECK(seen.insert(key).second, ValueError, "json::write", "duplicate key ", quote(key), " in an object");
      out += quote(key) + ": ";
      write_pretty_to(out, item, depth + 1);
    } else {
      write_pretty_to(out, v.as_array()[i], depth + 1);
    }
    out += i + 1 < n ? ",\n" : "\n";
  }
  out += std::string(static_cast<std::size_t>(2 * depth), ' ') + (v.is_object() ? "}" : "]");
}

}  // namespace detail

// Compact JSON text (no whitespace), members in their stored order.
inline std::string write(const Value& v) {
  std::string out;
  detail::write_to(out, v);
  return out;
}

// The same document for people: two-space indentation, arrays of plain values on one line,
// a final newline. parse(write_pretty(v)) == v, as for write.
inline std::string write_pretty(const Value& v) {
  std::string out;
  detail::write_pretty_to(out, v, 0);
  return out + "\n";
}

}  // namespace ember::io::json
