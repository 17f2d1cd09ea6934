// ember::onnx's writer: the protobuf wire format byte for byte (the encoding examples of the
// protobuf documentation), and the graph checks that keep a malformed file from being written.
// Whether runtimes read the files: tests/onnx/check_onnx_sample.py (onnx's checker, OpenCV).

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include <ember/onnx.hpp>

using ember::onnx::detail::ProtoWriter;

namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s.push_back(static_cast<char>(v));
  return s;
}

ember::onnx::Model gemm_model() {
  ember::onnx::Model m;
  m.graph.inputs = {{"input", {ember::onnx::Dimension::symbolic("batch"), 2}}};
  m.graph.initializers = {{"fc.weight", {3, 2}, {1, 2, 3, 4, 5, 6}}, {"fc.bias", {3}, {0, 0, 1}}};
  m.graph.nodes = {{"Gemm", "fc", {"input", "fc.weight", "fc.bias"}, {"logits"},
                    {ember::onnx::Attribute::integer("transB", 1)}}};
  m.graph.outputs = {{"logits", {ember::onnx::Dimension::symbolic("batch"), 3}}};
  return m;
}

}  // namespace

TEST_CASE("ProtoWriter writes protobuf's wire format", "[onnx]") {
  ProtoWriter varint;
  varint.int_field(1, 150);
  CHECK(varint.bytes() == bytes({0x08, 0x96, 0x01}));

  ProtoWriter text;
  text.bytes_field(2, "testing");
  CHECK(text.bytes() == bytes({0x12, 0x07}) + "testing");

  ProtoWriter negative;  // int64 -1: ten bytes of two's complement
  negative.int_field(1, -1);
  CHECK(negative.bytes() == bytes({0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));

  ProtoWriter real;  // 1.0f = 0x3f800000, little-endian
  real.float_field(2, 1.0f);
  CHECK(real.bytes() == bytes({0x15, 0x00, 0x00, 0x80, 0x3f}));

  ProtoWriter packed;
  packed.packed_ints_field(4, {3, 270, 86942});
  CHECK(packed.bytes() == bytes({0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05}));

  ProtoWriter floats;
  floats.packed_floats_field(7, {1.0f, -2.0f});
  CHECK(floats.bytes() == bytes({0x3a, 0x08, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0}));

  ProtoWriter outer, inner;  // a nested message is a length-delimited field
  inner.int_field(1, 150);
  outer.message_field(3, inner);
  CHECK(outer.bytes() == bytes({0x1a, 0x03, 0x08, 0x96, 0x01}));
}

TEST_CASE("onnx::serialize starts with the model's IR version and producer", "[onnx]") {
  const std::string file = ember::onnx::serialize(gemm_model());
  CHECK(file.substr(0, 2) == bytes({0x08, 0x08}));  // ir_version 8
  CHECK(file.substr(2, 7) == bytes({0x12, 0x05}) + "ember");
  CHECK(file.find("fc.weight") != std::string::npos);
  CHECK(file.find("transB") != std::string::npos);
}

TEST_CASE("onnx::serialize refuses malformed graphs, naming what is wrong", "[onnx]") {
  auto m = gemm_model();
  SECTION("an input nothing defines") {
    m.graph.nodes[0].inputs[2] = "fc.bais";
    CHECK_THROWS_WITH(ember::onnx::serialize(m), Catch::Contains("reads 'fc.bais'"));
  }
  SECTION("a name defined twice") {
    m.graph.initializers.push_back({"fc.bias", {1}, {0}});
    CHECK_THROWS_WITH(ember::onnx::serialize(m), Catch::Contains("'fc.bias' is defined twice"));
  }
  SECTION("an output the graph does not compute") {
    m.graph.outputs[0].name = "probabilities";
    CHECK_THROWS_WITH(ember::onnx::serialize(m), Catch::Contains("graph output 'probabilities'"));
  }
  SECTION("an initializer whose values do not fill its dims") {
    m.graph.initializers[0].values.pop_back();
    CHECK_THROWS_AS(ember::onnx::serialize(m), ember::ValueError);
    CHECK_THROWS_WITH(ember::onnx::serialize(m), Catch::Contains("hold 6 values, it has 5"));
  }
}

TEST_CASE("onnx::save writes nothing for a malformed graph", "[onnx]") {
  auto m = gemm_model();
  m.graph.outputs[0].name = "nowhere";
  const std::string path = "onnx_test_malformed.onnx";
  std::remove(path.c_str());
  CHECK_THROWS_AS(ember::onnx::save(m, path), ember::ValueError);
  CHECK_FALSE(std::ifstream(path).good());
}
