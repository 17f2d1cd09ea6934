#pragma once
// The classes a model tells apart, as the program names them to the user.
//
// The wording rule: a model trained without class names is an MNIST model, its classes are
// "0".."9" and the program calls them digits; a model trained with --class-names (stored in
// its file's metadata as "class_names", a JSON array of strings) has classes, and the word
// "digit" appears nowhere in what the program says about it (the report, predict's output).
//
// The number of classes comes from the training labels (the largest label + 1); the network
// has 10 outputs, so that is the only count train accepts, and the names must match it.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/data.hpp>

#include "class_names.hpp"
#include "settings.hpp"
#include "usage_error.hpp"

namespace mnist {

inline constexpr int kOutputs = 10;                        // the network's fc2 has 10 outputs
inline constexpr const char* kClassNamesKey = "class_names";  // the model file's metadata key

class ClassNames {
 public:
  ClassNames() {  // MNIST's digits
    for (int c = 0; c < kOutputs; ++c) names_.push_back(std::to_string(c));
  }
  explicit ClassNames(std::vector<std::string> names) : names_(std::move(names)), named_(true) {}

  bool named() const { return named_; }
  // "digit" for MNIST, "class" otherwise, and the plural.
  std::string noun() const { return named_ ? "class" : "digit"; }
  std::string nouns() const { return named_ ? "classes" : "digits"; }
  const std::string& name(std::int64_t c) const { return names_.at(static_cast<std::size_t>(c)); }
  const std::vector<std::string>& names() const { return names_; }
  std::size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  bool named_ = false;
};

// `name` cut to at most `columns` characters (UTF-8 characters, not bytes), ending in ".." when
// cut: for the places where a long name would run into its neighbours (the grid's captions,
// the confusion matrix's axes). Tables and legends show the whole name.
inline std::string shortened(const std::string& name, std::size_t columns) {
  std::vector<std::size_t> starts;  // byte offset of each character
  for (std::size_t i = 0; i < name.size(); ++i)
    if ((static_cast<unsigned char>(name[i]) & 0xC0) != 0x80) starts.push_back(i);
  if (starts.size() <= columns || columns < 3) return name;
  return name.substr(0, starts[columns - 2]) + "..";
}

// The metadata value for the names: a JSON array of strings.
inline std::string class_names_metadata(const std::vector<std::string>& names) {
  ember::io::json::Value::Array array(names.begin(), names.end());
  return ember::io::json::write(ember::io::json::Value(std::move(array)));
}

// The classes of a model file from its metadata: the digits when it records no names. Names
// that are not a JSON array of kOutputs good names make the file unusable (std::runtime_error:
// one line, exit code 1), before any output is written.
inline ClassNames class_names_of(const ember::io::Metadata& metadata, const std::string& model_path) {
  const auto it = metadata.find(kClassNamesKey);
  if (it == metadata.end()) return {};
  const std::string where = model_path + ": metadata " + kClassNamesKey;
  std::vector<std::string> names;
  try {
    const ember::io::json::Value value = ember::io::json::parse(it->second);  // outlives the loop
    for (const auto& v : value.as_array()) names.push_back(v.as_string());
  } catch (const ember::Error& e) {
    throw std::runtime_error(where + ": expected a JSON array of strings (" + e.what() + ")");
  }
  if (names.size() != static_cast<std::size_t>(kOutputs))
    throw std::runtime_error(where + " holds " + std::to_string(names.size()) + " names, but the network has " +
                             std::to_string(kOutputs) + " outputs");
  if (const std::string problem = class_names_problem(names); !problem.empty())
    throw std::runtime_error(where + ": " + problem);
  return ClassNames(std::move(names));
}

// The names train was given: --class-names as parsed, or the lines of --class-names-file (a
// file that cannot be read: exit code 1; a bad name in it: a usage error, as on the command line).
inline std::vector<std::string> train_class_names(const TrainSettings& s) {
  if (s.class_names_file.empty()) return s.class_names;
  std::error_code ec;
  std::ifstream in(s.class_names_file, std::ios::binary);
  if (!std::filesystem::is_regular_file(s.class_names_file, ec) || !in)
    throw std::runtime_error(s.class_names_file + ": cannot read the class names file (" +
                             (std::filesystem::exists(s.class_names_file, ec) ? "not a regular file" : "no such file") +
                             ")");
  std::ostringstream text;
  text << in.rdbuf();  // an empty file sets text's failbit, and gives no names below
  std::vector<std::string> names = class_names_from_lines(text.str());
  const std::string option = "--class-names-file " + s.class_names_file;
  if (names.empty()) throw UsageError(option + ": no names in the file");
  const std::string problem =
      class_names_problem(names, [](std::size_t i) { return "line " + std::to_string(i + 1); });
  if (!problem.empty()) throw UsageError(option + ": " + problem);
  return names;
}

// The number of classes of the training labels (the largest label + 1); the network's outputs
// must match it. Throws std::runtime_error naming both counts (exit code 1).
inline void check_label_classes(const ember::data::Dataset& train, const std::string& data_dir) {
  std::int64_t largest = -1;
  for (ember::index_t i = 0; i < train.size(); ++i) largest = std::max(largest, train.label(i));
  const std::int64_t classes = largest + 1;
  if (classes != kOutputs)
    throw std::runtime_error(data_dir + ": the training labels have " + std::to_string(classes) + " classes (0.." +
                             std::to_string(largest) + "), but the network has " + std::to_string(kOutputs) +
                             " outputs");
}

// The names given to train against the labels' class count (kOutputs, by check_label_classes).
inline void check_names_count(const std::vector<std::string>& names, const std::string& option) {
  if (!names.empty() && names.size() != static_cast<std::size_t>(kOutputs))
    throw UsageError(option + " gives " + std::to_string(names.size()) + " names, but the training labels have " +
                     std::to_string(kOutputs) + " classes");
}

}  // namespace mnist
