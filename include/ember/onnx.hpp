#pragma once
// ember::onnx: ember modules as ONNX files, written without libprotobuf (the protobuf wire
// format is ours, in onnx/protobuf.hpp). export.hpp traces a module into a graph
// (export_module, to_model); graph.hpp holds a model as plain values that anyone may also build
// by hand and save. Needs only the engine. CMake: ember::onnx; pkg-config: ember-onnx.

#include "ember/onnx/export.hpp"
#include "ember/onnx/graph.hpp"
