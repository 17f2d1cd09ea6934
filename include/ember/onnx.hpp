#pragma once
// ember::onnx: ONNX files written without libprotobuf (the protobuf wire format is ours, in
// onnx/protobuf.hpp). So far: a graph built by hand (onnx/graph.hpp); the exporter of ember
// modules is to come (issue 17). Needs only the engine.

#include "ember/onnx/graph.hpp"
