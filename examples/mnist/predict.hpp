#pragma once
// `mnist predict --model M image.png [more...]`: classifies the user's own digit images.
// Each image is turned into an MNIST-like input (ember::data::to_mnist: grayscale, light ink on
// dark, cropped, scaled into 20x20, centred by centre of mass in 28x28). An unreadable image
// gives one line on stderr and the others are still processed; the exit code is then 1.
//
// A model trained with class names (classes.hpp) answers with the names, in JSON as
// "class" (the index) and "name"; an MNIST model keeps "digit" (the index) and its old output.

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/image.hpp>

#include "classes.hpp"
#include "history.hpp"
#include "model.hpp"
#include "settings.hpp"
#include "usage_error.hpp"

namespace mnist {

// The three most likely classes, best first, with their probabilities.
inline std::vector<std::pair<int, double>> top3(const ember::Tensor<float>& probs) {
  std::vector<int> order(10);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return probs.at(0, a) > probs.at(0, b); });
  std::vector<std::pair<int, double>> out;
  for (int i = 0; i < 3; ++i) out.emplace_back(order[static_cast<std::size_t>(i)], probs.at(0, order[static_cast<std::size_t>(i)]));
  return out;
}

inline int run_predict(const PredictSettings& s) {
  const std::string variant = s.arch.empty() ? model_variant_of(s.model_path) : s.arch;
  auto model = make_model(variant);
  const ClassNames classes =
      class_names_of(ember::io::load_model(*model, s.model_path, architecture_name(variant)), s.model_path);
  ember::nn::Module<float>& net = *model;
  net.eval();
  ember::NoGradGuard no_grad;
  const ember::PrecisionGuard precision(ember::parse_precision(s.precision, "mnist"));
  int failures = 0;
  for (const std::string& path : s.images) {
    try {
      auto digit = ember::data::to_mnist(ember::data::load_image(path));
      auto probs = ember::softmax(net(ember::data::to_input(digit)), 1);
      auto best = top3(probs);
      std::ostringstream line;
      // {"digit": 7} for MNIST; {"class": 3, "name": "ring"} with class names.
      auto json_class = [&](int c) {
        if (!classes.named()) return "\"digit\": " + std::to_string(c);
        return "\"class\": " + std::to_string(c) + ", \"name\": " + ember::io::json::quote(classes.name(c));
      };
      if (s.json) {
        line << "{\"image\": " << ember::io::json::quote(path) << ", " << json_class(best[0].first) << ", \"top3\": [";
        for (std::size_t i = 0; i < best.size(); ++i)
          line << (i ? ", " : "") << "{" << json_class(best[i].first) << ", \"probability\": " << best[i].second << "}";
        line << "]}";
      } else {
        line << path << ": " << classes.name(best[0].first) << "  (";
        for (std::size_t i = 0; i < best.size(); ++i)
          line << (i ? ", " : "") << classes.name(best[i].first) << ": " << format_percent(best[i].second);
        line << ")";
      }
      std::cout << line.str() << std::endl;
    } catch (const ember::Error& e) {
      std::cerr << "mnist: " << e.what() << "\n";
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace mnist
