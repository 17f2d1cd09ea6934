#pragma once
// `mnist evaluate`: test loss and accuracy of a saved model, and predictions.csv with the
// class probabilities of every test image, for later analysis.

#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

#include <ember/ember.hpp>

#include "cli.hpp"
#include "history.hpp"
#include "model.hpp"

namespace mnist {

struct EvaluateSettings {
  std::string data_dir, model_path, out_dir, model;
  long batch_size, threads, limit;
};

inline void declare_evaluate_options(ArgParser& p) {
  p.option("data", "data/mnist", "directory with the MNIST IDX files (raw or .gz)");
  p.option("model", "runs/mnist/model.safetensors", "model file written by train");
  p.option("out", "runs/mnist", "where predictions.csv goes");
  p.option("batch-size", "1000", "evaluation batch size");
  p.option("threads", "0", "threads (0: OMP_NUM_THREADS or all cores)");
  p.option("limit", "0", "evaluate only the first N test images (0: all)");
  p.option("arch", "reference", "model variant the file must hold");
}

inline EvaluateSettings read_evaluate_settings(const ArgParser& p) {
  return {p.str("data"),
          p.str("model"),
          p.str("out"),
          p.choice("arch", {"reference"}),
          p.integer("batch-size", 1, 65536),
          p.integer("threads", 0, 1024),
          p.integer("limit", 0, 10000)};
}

inline int run_evaluate(const EvaluateSettings& s) {
  if (s.threads > 0) ember::set_num_threads(static_cast<int>(s.threads));
  Net<float> net;
  ember::io::load_model(net, s.model_path, architecture_name(s.model));
  net.eval();
  ember::data::Dataset test = ember::data::load_mnist(s.data_dir, ember::data::Split::Test);
  if (s.limit > 0 && s.limit < test.size()) test = test.subset(first_indices(s.limit));

  ember::Generator unused(0);
  ember::data::DataLoaderOptions options;
  options.batch_size = s.batch_size;
  options.shuffle = false;
  ember::data::DataLoader loader(test, options, unused);
  loader.start_epoch();
  ember::NoGradGuard no_grad;
  std::ostringstream csv;
  csv << "index,label,predicted";
  for (int c = 0; c < 10; ++c) csv << ",p" << c;
  csv << "\n" << std::setprecision(6);
  double loss_sum = 0;
  long correct = 0, index = 0;
  for (ember::index_t b = 0; b < loader.num_batches(); ++b) {
    auto batch = loader.batch(b);
    auto logits = net(batch.images);
    loss_sum += ember::cross_entropy(logits, batch.labels, ember::Reduction::Sum).item();
    correct += count_correct(logits, batch.labels);
    auto probs = ember::softmax(logits, 1);
    auto predicted = logits.argmax(1);
    for (ember::index_t i = 0; i < batch.labels.numel(); ++i, ++index) {
      csv << index << ',' << batch.labels.data()[i] << ',' << predicted.data()[i];
      for (int c = 0; c < 10; ++c) csv << ',' << probs.at(i, c);
      csv << '\n';
    }
  }
  std::filesystem::create_directories(s.out_dir);
  const std::string predictions = s.out_dir + "/predictions.csv";
  ember::io::write_file_atomic(predictions, csv.str());
  const double n = static_cast<double>(test.size());
  std::cout << "test loss " << std::fixed << std::setprecision(4) << loss_sum / n << "  accuracy "
            << format_percent(correct / n) << " (" << correct << "/" << test.size() << ")\n"
            << "predictions: " << predictions << "\n";
  return 0;
}

}  // namespace mnist
