#pragma once
// `mnist evaluate`: test loss and accuracy of a saved model, predictions.csv with the class
// probabilities of every test image, the report folder (report.hpp), and with --logits the raw
// logits (to compare another runtime's, e.g. of the `mnist export` file, with ember's).

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

#include <ember/ember.hpp>
#include <ember/data.hpp>

#include "classes.hpp"
#include "history.hpp"
#include "model.hpp"
#include "report.hpp"
#include "settings.hpp"
#include "test_run.hpp"
#include "threads.hpp"
#include "usage_error.hpp"

namespace mnist {

// The history the training run left next to the model, or none.
inline std::vector<EpochRecord> history_next_to(const std::string& model_path) {
  const std::filesystem::path csv = std::filesystem::path(model_path).parent_path() / "history.csv";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(csv, ec)) return {};
  std::ifstream in(csv, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse_history_csv(text.str());
  } catch (const ember::Error& e) {  // the report is still worth having without curves
    std::cerr << "mnist: warning: ignoring " << csv.string() << ": " << e.what() << "\n";
    return {};
  }
}

// Tests `net` (loaded from model_path, with that metadata) on the test set and writes
// OUT/predictions.csv and the report folder OUT/report. Shared by evaluate and train; defined in
// evaluate.cpp, so that the report code is compiled once.
void evaluate_and_report(ember::nn::Module<float>& net, const ember::data::Dataset& test, const std::string& model_path,
                         const ember::io::Metadata& metadata, const std::string& out_dir, long batch_size,
                         const std::string& data_dir);
// The same for a test pass already made (by the ranks of a distributed run, gathered on rank 0)
// of a model with `parameters` parameters.
void report_test_run(const TestRun& run, ember::index_t parameters, const std::string& model_path,
                     const ember::io::Metadata& metadata, const std::string& out_dir, long batch_size,
                     const std::string& data_dir);

inline ember::data::Dataset load_test_set(const std::string& data_dir, long limit) {
  ember::data::Dataset test = ember::data::load_mnist(data_dir, ember::data::Split::Test);
  if (limit > 0 && limit < test.size()) test = test.subset(first_indices(limit));
  return test;
}

inline int run_evaluate(const EvaluateSettings& s) {
  use_threads(s.threads);
  // conv/linear GEMMs in bf16 for the whole run when asked (training, validation, test pass).
  const ember::PrecisionGuard precision(ember::parse_precision(s.precision, "mnist"));
  const std::string variant = s.model.empty() ? model_variant_of(s.model_path) : s.model;
  auto net = make_model(variant);
  const auto metadata = ember::io::load_model(*net, s.model_path, architecture_name(variant));
  class_names_of(metadata, s.model_path);  // bad names in the file: stop before the test pass
  const ember::data::Dataset test = load_test_set(s.data_dir, s.limit);
  const TestRun run = run_test_set(*net, test, s.batch_size);
  report_test_run(run, net->num_parameters(), s.model_path, metadata, s.out_dir, s.batch_size, s.data_dir);
  if (!s.logits_path.empty()) {
    ember::io::write_file_atomic(s.logits_path, logits_csv(run));
    std::cout << "logits: " << s.logits_path << "\n";
  }
  return 0;
}

}  // namespace mnist
