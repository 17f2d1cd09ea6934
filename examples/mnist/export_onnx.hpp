#pragma once
// `mnist export --model M [--out model.onnx]`: the saved model as an ONNX file, traced by
// ember::onnx on an example batch of two 1x28x28 images. The graph takes the normalised images
// that the network trains on ([N, 1, 28, 28], (pixel / 255 - 0.1307) / 0.3081) as `input` and
// gives the 10 logits as `logits`, with a dynamic batch N. Any failure (an unreadable model, a
// path that cannot be written) is one line and exit code 1, with no file written.

#include <iostream>
#include <string>

#include <ember/ember.hpp>
#include <ember/onnx.hpp>

#include "history.hpp"
#include "model.hpp"
#include "settings.hpp"

namespace mnist {

// The default --out: the model's path with .onnx for its extension.
inline std::string onnx_path_for(const std::string& model_path) {
  const std::string suffix = ".safetensors";
  const bool has_suffix =
      model_path.size() > suffix.size() && model_path.compare(model_path.size() - suffix.size(), suffix.size(), suffix) == 0;
  return (has_suffix ? model_path.substr(0, model_path.size() - suffix.size()) : model_path) + ".onnx";
}

inline int run_export(const ExportSettings& s) {
  const std::string variant = s.arch.empty() ? model_variant_of(s.model_path) : s.arch;
  auto net = make_model(variant);
  ember::io::load_model(*net, s.model_path, architecture_name(variant));
  const std::string out = s.out_path.empty() ? onnx_path_for(s.model_path) : s.out_path;
  const ember::onnx::Model model = ember::onnx::to_model(*net, ember::zeros<float>(ember::Shape{2, 1, 28, 28}));
  ember::onnx::save(model, out);
  std::cout << "wrote " << out << " (" << variant << ", ONNX opset " << model.opset << ", " << model.graph.nodes.size()
            << " nodes, " << net->num_parameters() << " parameters; input 'input' [N, 1, 28, 28] normalised as in "
            << "training, output 'logits' [N, 10])\n";
  return 0;
}

}  // namespace mnist
