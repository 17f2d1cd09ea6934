// `mnist evaluate`, and the test pass + report that `mnist train` ends with.
#include "settings.hpp"
#include "evaluate.hpp"

namespace mnist {

// Tests `net` (loaded from model_path, with that metadata) on the test set and writes
// OUT/predictions.csv and the report folder OUT/report. Shared by evaluate and train.
void evaluate_and_report(ember::nn::Module<float>& net, const ember::data::Dataset& test, const std::string& model_path,
                         const ember::io::Metadata& metadata, const std::string& out_dir, long batch_size,
                         const std::string& data_dir) {
  report_test_run(run_test_set(net, test, batch_size), net.num_parameters(), model_path, metadata, out_dir,
                  batch_size, data_dir);
}

void report_test_run(const TestRun& run, ember::index_t parameters, const std::string& model_path,
                     const ember::io::Metadata& metadata, const std::string& out_dir, long batch_size,
                     const std::string& data_dir) {
  std::filesystem::create_directories(out_dir);
  const std::string predictions = out_dir + "/predictions.csv";
  ember::io::write_file_atomic(predictions, predictions_csv(run));
  ReportContext ctx;
  ctx.model_path = model_path;
  ctx.model_metadata = metadata;
  ctx.classes = class_names_of(metadata, model_path);
  ctx.parameters = parameters;
  ctx.history = history_next_to(model_path);
  ctx.evaluation_settings = {{"test data", data_dir}, {"evaluation batch size", std::to_string(batch_size)}};
  const std::string report = write_report(out_dir + "/report", run, ctx);
  const double n = static_cast<double>(run.size());
  std::cout << "test loss " << std::fixed << std::setprecision(4) << run.loss << "  accuracy "
            << format_percent(run.correct() / n) << " (" << run.correct() << "/" << run.size() << ")\n"
            << "predictions: " << predictions << "\n"
            << "report: " << report << "\n";
}

int evaluate_main(const EvaluateSettings& s) { return run_evaluate(s); }

}  // namespace mnist
