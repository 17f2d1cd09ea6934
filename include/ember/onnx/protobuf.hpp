#pragma once
// The write side of the protocol-buffers wire format, as much as ONNX files need: varints,
// little-endian 32-bit floats, length-delimited fields (strings, bytes, nested messages) and
// packed repeated scalars. ONNX is protobuf on the wire; this keeps libprotobuf out of ember.
// Wire types: 0 varint, 2 length-delimited, 5 fixed 32-bit.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ember::onnx::detail {

// Appends fields to a message; message_field nests a finished writer in another.
class ProtoWriter {
 public:
  // A varint field (int32, int64, enum): negative values as their 64-bit two's complement, as
  // protobuf encodes int64 (ten bytes).
  void int_field(int field, std::int64_t value) {
    tag(field, 0);
    varint(static_cast<std::uint64_t>(value));
  }
  void float_field(int field, float value) {
    tag(field, 5);
    fixed32(value);
  }
  void bytes_field(int field, std::string_view bytes) {
    tag(field, 2);
    varint(bytes.size());
    out_.append(bytes.data(), bytes.size());
  }
  void message_field(int field, const ProtoWriter& message) { bytes_field(field, message.bytes()); }
  // Repeated int64 / float fields, packed into one length-delimited field.
  void packed_ints_field(int field, const std::vector<std::int64_t>& values) {
    ProtoWriter body;
    for (std::int64_t v : values) body.varint(static_cast<std::uint64_t>(v));
    bytes_field(field, body.bytes());
  }
  void packed_floats_field(int field, const std::vector<float>& values) {
    ProtoWriter body;
    for (float v : values) body.fixed32(v);
    bytes_field(field, body.bytes());
  }
  // Little-endian IEEE floats, what TensorProto's raw_data holds for FLOAT tensors.
  static std::string float_bytes(const float* values, std::size_t n) {
    ProtoWriter body;
    for (std::size_t i = 0; i < n; ++i) body.fixed32(values[i]);
    return body.out_;
  }
  // Little-endian 64-bit integers, raw_data of INT64 tensors.
  static std::string int64_bytes(const std::int64_t* values, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
      const auto bits = static_cast<std::uint64_t>(values[i]);
      for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((bits >> (8 * b)) & 0xff));
    }
    return out;
  }

  const std::string& bytes() const { return out_; }

 private:
  void tag(int field, int wire_type) { varint((static_cast<std::uint64_t>(field) << 3) | static_cast<unsigned>(wire_type)); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  // Byte by byte, so that the file is little-endian on any host.
  void fixed32(float value) {
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    for (int b = 0; b < 4; ++b) out_.push_back(static_cast<char>((bits >> (8 * b)) & 0xff));
  }

  std::string out_;
};

}  // namespace ember::onnx::detail
