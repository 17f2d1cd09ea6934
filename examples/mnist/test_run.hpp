#pragma once
// One pass of a model over the MNIST test set, keeping what the report needs: every label,
// prediction and class probability, the mean loss and the time it took.

#include <chrono>
#include <cstdint>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/data.hpp>

#include "model.hpp"

namespace mnist {

inline constexpr int kClasses = 10;

struct TestRun {
  ember::data::Dataset images;
  std::vector<std::int64_t> labels, predicted;
  std::vector<double> probabilities;  // [n, 10] row-major, softmax of the logits
  std::vector<float> logits;          // [n, 10] row-major, the network's outputs
  double loss = 0;                    // mean cross-entropy
  double seconds = 0;                 // wall time of the pass (batching, forward, softmax)

  std::size_t size() const { return labels.size(); }
  double probability(std::size_t i, std::int64_t cls) const {
    return probabilities[i * kClasses + static_cast<std::size_t>(cls)];
  }
  long correct() const {
    long n = 0;
    for (std::size_t i = 0; i < size(); ++i) n += labels[i] == predicted[i];
    return n;
  }
};

inline TestRun run_test_set(ember::nn::Module<float>& net, const ember::data::Dataset& test, long batch_size) {
  const auto start = std::chrono::steady_clock::now();
  TestRun run;
  run.images = test;
  ember::Generator unused(0);
  ember::data::DataLoaderOptions options;
  options.batch_size = batch_size;
  options.shuffle = false;
  ember::data::DataLoader loader(test, options, unused);
  loader.start_epoch();
  ember::NoGradGuard no_grad;
  const bool was_training = net.is_training();
  net.eval();
  double loss_sum = 0;
  for (ember::index_t b = 0; b < loader.num_batches(); ++b) {
    auto batch = loader.batch(b);
    auto logits = net(batch.images);
    loss_sum += ember::cross_entropy(logits, batch.labels, ember::Reduction::Sum).item();
    auto probs = ember::softmax(logits, 1);
    auto predicted = logits.argmax(1);
    for (ember::index_t i = 0; i < batch.labels.numel(); ++i) {
      run.labels.push_back(batch.labels.data()[i]);
      run.predicted.push_back(predicted.data()[i]);
      for (int c = 0; c < kClasses; ++c) {
        run.probabilities.push_back(probs.at(i, c));
        run.logits.push_back(logits.at(i, c));
      }
    }
  }
  net.train(was_training);
  run.loss = run.size() ? loss_sum / static_cast<double>(run.size()) : 0.0;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

// logits.csv (evaluate --logits): index, label, z0 ... z9, each logit with the 9 significant
// digits that give its float back exactly (to compare other runtimes with ember).
inline std::string logits_csv(const TestRun& run) {
  std::ostringstream csv;
  csv << "index,label";
  for (int c = 0; c < kClasses; ++c) csv << ",z" << c;
  csv << "\n" << std::setprecision(9);
  for (std::size_t i = 0; i < run.size(); ++i) {
    csv << i << ',' << run.labels[i];
    for (std::size_t c = 0; c < static_cast<std::size_t>(kClasses); ++c) csv << ',' << run.logits[i * kClasses + c];
    csv << '\n';
  }
  return csv.str();
}

// predictions.csv: index, label, predicted, p0 ... p9 (for analysis elsewhere).
inline std::string predictions_csv(const TestRun& run) {
  std::ostringstream csv;
  csv << "index,label,predicted";
  for (int c = 0; c < kClasses; ++c) csv << ",p" << c;
  csv << "\n" << std::setprecision(6);
  for (std::size_t i = 0; i < run.size(); ++i) {
    csv << i << ',' << run.labels[i] << ',' << run.predicted[i];
    for (int c = 0; c < kClasses; ++c) csv << ',' << static_cast<float>(run.probability(i, c));
    csv << '\n';
  }
  return csv.str();
}

}  // namespace mnist
