#pragma once
// An ONNX model held as plain values (the graph's nodes, initializers, inputs and outputs) and
// written as an ONNX file: ModelProto on the protobuf wire (onnx.proto, IR version 8, opset 17
// by default: what onnx 1.12, Debian 12's python3-onnx, checks). The exporter of ember modules
// builds one of these; anyone may build one by hand.
//
//   ember::onnx::Model model;
//   model.graph.inputs = {{"input", {ember::onnx::Dimension::symbolic("batch"), 4}}};
//   model.graph.initializers.push_back({"fc.weight", {3, 4}, weights});
//   model.graph.nodes.push_back({"Gemm", "fc", {"input", "fc.weight"}, {"logits"},
//                                {ember::onnx::Attribute::integer("transB", 1)}});
//   model.graph.outputs = {{"logits", {ember::onnx::Dimension::symbolic("batch"), 3}}};
//   ember::onnx::save(model, "model.onnx");

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "ember/core/error.hpp"
#include "ember/io/atomic_file.hpp"
#include "ember/onnx/protobuf.hpp"
#include "ember/version.hpp"

namespace ember::onnx {

// One dimension of a tensor's shape: a size, or a name for a size known only at run time (the
// batch).
struct Dimension {
  std::int64_t size = 0;
  std::string name;  // non-empty: symbolic
  Dimension(std::int64_t s = 0) : size(s) {}  // NOLINT: sizes read as dimensions
  static Dimension symbolic(std::string n) {
    Dimension d;
    d.name = std::move(n);
    return d;
  }
};

// A graph input or output: a float tensor of the given shape.
struct ValueInfo {
  std::string name;
  std::vector<Dimension> shape;
};

// A node attribute of one of the kinds the exported operators use.
struct Attribute {
  enum class Kind { Float = 1, Int = 2, String = 3, Floats = 6, Ints = 7 };  // AttributeProto.AttributeType
  std::string name;
  Kind kind = Kind::Int;
  float f = 0;
  std::int64_t i = 0;
  std::string s;
  std::vector<float> floats;
  std::vector<std::int64_t> ints;

  static Attribute real(std::string n, float v) { return make(std::move(n), Kind::Float, [&](Attribute& a) { a.f = v; }); }
  static Attribute integer(std::string n, std::int64_t v) {
    return make(std::move(n), Kind::Int, [&](Attribute& a) { a.i = v; });
  }
  static Attribute text(std::string n, std::string v) {
    return make(std::move(n), Kind::String, [&](Attribute& a) { a.s = std::move(v); });
  }
  static Attribute integers(std::string n, std::vector<std::int64_t> v) {
    return make(std::move(n), Kind::Ints, [&](Attribute& a) { a.ints = std::move(v); });
  }
  static Attribute reals(std::string n, std::vector<float> v) {
    return make(std::move(n), Kind::Floats, [&](Attribute& a) { a.floats = std::move(v); });
  }

 private:
  template <class Set>
  static Attribute make(std::string n, Kind k, Set set) {
    Attribute a;
    a.name = std::move(n);
    a.kind = k;
    set(a);
    return a;
  }
};

// One operator application: op_type from the default ONNX domain, its inputs and outputs by name.
struct Node {
  std::string op_type, name;
  std::vector<std::string> inputs, outputs;
  std::vector<Attribute> attributes;
};

// A constant tensor of the graph: float (a parameter or buffer, under its state-dict name), or
// int64 (a shape, as Reshape reads it).
struct Initializer {
  std::string name;
  std::vector<std::int64_t> dims;
  std::vector<float> values;  // row-major, as many as the dims' product (float tensors)
  std::vector<std::int64_t> int64_values = {};  // the same, for an int64 tensor
  bool int64 = false;

  static Initializer int64s(std::string n, std::vector<std::int64_t> d, std::vector<std::int64_t> v) {
    Initializer t{std::move(n), std::move(d), {}};
    t.int64_values = std::move(v);
    t.int64 = true;
    return t;
  }
  std::size_t count() const { return int64 ? int64_values.size() : values.size(); }
};

struct Graph {
  std::string name = "ember";
  std::vector<Node> nodes;  // in an order where each node's inputs exist before it
  std::vector<Initializer> initializers;
  std::vector<ValueInfo> inputs, outputs;
};

struct Model {
  Graph graph;
  std::int64_t ir_version = 8, opset = 17;
  std::string producer_name = "ember", producer_version = ember::version();
};

namespace detail {

inline ProtoWriter value_info_message(const ValueInfo& v) {
  ProtoWriter shape;
  for (const Dimension& d : v.shape) {
    ProtoWriter dim;
    if (d.name.empty()) {
      dim.int_field(1, d.size);  // dim_value
    } else {
      dim.bytes_field(2, d.name);  // dim_param
    }
    shape.message_field(1, dim);
  }
  ProtoWriter tensor_type;
  tensor_type.int_field(1, 1);  // elem_type FLOAT
  tensor_type.message_field(2, shape);
  ProtoWriter type;
  type.message_field(1, tensor_type);
  ProtoWriter out;
  out.bytes_field(1, v.name);
  out.message_field(2, type);
  return out;
}

inline ProtoWriter attribute_message(const Attribute& a) {
  ProtoWriter out;
  out.bytes_field(1, a.name);
  switch (a.kind) {
    case Attribute::Kind::Float: out.float_field(2, a.f); break;
    case Attribute::Kind::Int: out.int_field(3, a.i); break;
    case Attribute::Kind::String: out.bytes_field(4, a.s); break;
    case Attribute::Kind::Floats: out.packed_floats_field(7, a.floats); break;
    case Attribute::Kind::Ints: out.packed_ints_field(8, a.ints); break;
  }
  out.int_field(20, static_cast<std::int64_t>(a.kind));
  return out;
}

inline ProtoWriter node_message(const Node& n) {
  ProtoWriter out;
  for (const auto& i : n.inputs) out.bytes_field(1, i);
  for (const auto& o : n.outputs) out.bytes_field(2, o);
  if (!n.name.empty()) out.bytes_field(3, n.name);
  out.bytes_field(4, n.op_type);
  for (const auto& a : n.attributes) out.message_field(5, attribute_message(a));
  return out;
}

inline ProtoWriter initializer_message(const Initializer& t) {
  ProtoWriter out;
  out.packed_ints_field(1, t.dims);
  out.int_field(2, t.int64 ? 7 : 1);  // data_type INT64 or FLOAT
  out.bytes_field(8, t.name);
  out.bytes_field(9, t.int64 ? ProtoWriter::int64_bytes(t.int64_values.data(), t.int64_values.size())
                             : ProtoWriter::float_bytes(t.values.data(), t.values.size()));  // raw_data
  return out;
}

// Throws ValueError unless the graph is well formed: every tensor named once, each node's
// inputs a graph input, an initializer or an earlier node's output, every graph output
// produced, and each initializer's values matching its dims.
inline void check_graph(const Graph& g) {
  std::set<std::string> known;
  auto define = [&known](const std::string& name, const char* what) {
    EMBER_CHECK(!name.empty(), ValueError, "onnx::save", "a ", what, " without a name");
    EMBER_CHECK(known.insert(name).second, ValueError, "onnx::save", "the name '", name, "' is defined twice (",
                what, ")");
  };
  for (const auto& v : g.inputs) define(v.name, "graph input");
  for (const auto& t : g.initializers) {
    define(t.name, "initializer");
    std::int64_t count = 1;
    for (std::int64_t d : t.dims) {
      EMBER_CHECK(d >= 0, ValueError, "onnx::save", "initializer '", t.name, "' has a negative dimension ", d);
      count *= d;
    }
    EMBER_CHECK(count == static_cast<std::int64_t>(t.count()), ValueError, "onnx::save", "initializer '", t.name,
                "': its dims hold ", count, " values, it has ", t.count());
  }
  for (const auto& n : g.nodes) {
    EMBER_CHECK(!n.op_type.empty(), ValueError, "onnx::save", "node '", n.name, "' has no op_type");
    for (const auto& i : n.inputs) {
      EMBER_CHECK(i.empty() || known.count(i), ValueError, "onnx::save", "node '", n.name, "' (", n.op_type,
                  ") reads '", i, "', which no graph input, initializer or earlier node defines");
    }
    for (const auto& o : n.outputs) define(o, "node output");
  }
  EMBER_CHECK(!g.outputs.empty(), ValueError, "onnx::save", "the graph has no output");
  for (const auto& v : g.outputs) {
    EMBER_CHECK(known.count(v.name), ValueError, "onnx::save", "graph output '", v.name, "' is not computed by the graph");
  }
}

}  // namespace detail

// The model as the bytes of an ONNX file. Throws ValueError for a malformed graph
// (detail::check_graph says which name is wrong).
inline std::string serialize(const Model& model) {
  detail::check_graph(model.graph);
  detail::ProtoWriter graph;
  for (const auto& n : model.graph.nodes) graph.message_field(1, detail::node_message(n));
  graph.bytes_field(2, model.graph.name);
  for (const auto& t : model.graph.initializers) graph.message_field(5, detail::initializer_message(t));
  for (const auto& v : model.graph.inputs) graph.message_field(11, detail::value_info_message(v));
  for (const auto& v : model.graph.outputs) graph.message_field(12, detail::value_info_message(v));
  detail::ProtoWriter opset;
  opset.bytes_field(1, "");  // the default domain, ai.onnx
  opset.int_field(2, model.opset);
  detail::ProtoWriter out;
  out.int_field(1, model.ir_version);
  out.bytes_field(2, model.producer_name);
  out.bytes_field(3, model.producer_version);
  out.message_field(7, graph);
  out.message_field(8, opset);
  return out.bytes();
}

// Writes the model to `path` atomically (the old file or the complete new one, never a partial
// file). Throws ValueError for a malformed graph (nothing written), FormatError when the file
// cannot be written.
inline void save(const Model& model, const std::string& path) { io::write_file_atomic(path, serialize(model)); }

}  // namespace ember::onnx
