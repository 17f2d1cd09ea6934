#pragma once
// Per-epoch records and the small helpers shared by train and evaluate: accuracy counts,
// the epoch line, and history.csv / history.json (written atomically).

#include <cstdio>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include <ember/ember.hpp>

#include "settings.hpp"

namespace mnist {

struct EpochRecord {
  int epoch = 0;
  double lr = 0, train_loss = 0, train_accuracy = 0, val_loss = 0, val_accuracy = 0, seconds = 0;
};

inline long count_correct(const ember::Tensor<float>& logits, const ember::Tensor<std::int64_t>& labels) {
  auto predicted = logits.argmax(1);
  long correct = 0;
  for (ember::index_t i = 0; i < labels.numel(); ++i) correct += predicted.data()[i] == labels.data()[i];
  return correct;
}

inline std::vector<ember::index_t> first_indices(long n) {
  std::vector<ember::index_t> idx(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) idx[static_cast<std::size_t>(i)] = i;
  return idx;
}

inline std::string format_percent(double fraction) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << 100.0 * fraction << "%";
  return s.str();
}

inline std::string architecture_name(const std::string& model) { return "mnist-" + model; }

inline std::string format_epoch(const EpochRecord& r, long epochs) {
  std::ostringstream s;
  s << "epoch " << r.epoch << "/" << epochs << std::fixed << std::setprecision(4) << "  lr " << r.lr
    << "  train loss " << r.train_loss << "  acc " << format_percent(r.train_accuracy) << "  val loss " << r.val_loss
    << "  acc " << format_percent(r.val_accuracy) << std::setprecision(1) << "  (" << r.seconds << " s)";
  return s.str();
}

inline std::string history_csv(const std::vector<EpochRecord>& history) {
  std::ostringstream s;
  s << "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n" << std::setprecision(10);
  for (auto& r : history)
    s << r.epoch << ',' << r.lr << ',' << r.train_loss << ',' << r.train_accuracy << ',' << r.val_loss << ','
      << r.val_accuracy << ',' << r.seconds << '\n';
  return s.str();
}

inline std::string history_json(const std::vector<EpochRecord>& history) {
  std::ostringstream s;
  s << std::setprecision(10) << "[";
  for (std::size_t i = 0; i < history.size(); ++i) {
    const auto& r = history[i];
    s << (i ? ",\n " : "\n ") << "{\"epoch\": " << r.epoch << ", \"lr\": " << r.lr << ", \"train_loss\": "
      << r.train_loss << ", \"train_accuracy\": " << r.train_accuracy << ", \"val_loss\": " << r.val_loss
      << ", \"val_accuracy\": " << r.val_accuracy << ", \"seconds\": " << r.seconds << "}";
  }
  s << "\n]\n";
  return s.str();
}

// Parses history.csv text back (the checkpoint keeps the history in this form).
inline std::vector<EpochRecord> parse_history_csv(const std::string& text) {
  std::vector<EpochRecord> out;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    EpochRecord r;
    char c1, c2, c3, c4, c5, c6;
    std::istringstream row(line);
    row >> r.epoch >> c1 >> r.lr >> c2 >> r.train_loss >> c3 >> r.train_accuracy >> c4 >> r.val_loss >> c5 >>
        r.val_accuracy >> c6 >> r.seconds;
    if (!row || c1 != ',' || c6 != ',') throw ember::FormatError("checkpoint", "unreadable history line '" + line + "'");
    out.push_back(r);
  }
  return out;
}

inline void write_history(const std::vector<EpochRecord>& history, const std::string& dir) {
  ember::io::write_file_atomic(dir + "/history.csv", history_csv(history));
  ember::io::write_file_atomic(dir + "/history.json", history_json(history));
}

inline ember::io::Metadata run_metadata(const TrainSettings& s, const EpochRecord& r) {
  return {{"settings", resume_key(s)},
          {"train_command", train_command(s)},
          {"epoch", std::to_string(r.epoch)},
          {"val_accuracy", std::to_string(r.val_accuracy)}};
}

}  // namespace mnist
