#pragma once
// Per-epoch records and the small helpers shared by train and evaluate: accuracy counts,
// the epoch line, and history.csv / history.json (written atomically).

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <ember/ember.hpp>

#include "classes.hpp"
#include "settings.hpp"

namespace mnist {

// A run without a validation set (--val-size 0, as in PyTorch's example) has no validation
// loss or accuracy: NaN in memory, left out of the epoch line, an empty field in history.csv,
// null in history.json, and no validation curve in the report.
inline constexpr double kNoValidation = std::numeric_limits<double>::quiet_NaN();

struct EpochRecord {
  int epoch = 0;
  double lr = 0, train_loss = 0, train_accuracy = 0, val_loss = kNoValidation, val_accuracy = kNoValidation,
         seconds = 0;
  bool validated() const { return !std::isnan(val_accuracy); }
};

inline bool any_validated(const std::vector<EpochRecord>& history) {
  for (const auto& r : history)
    if (r.validated()) return true;
  return false;
}

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
    << "  train loss " << r.train_loss << "  acc " << format_percent(r.train_accuracy);
  if (r.validated()) s << "  val loss " << r.val_loss << "  acc " << format_percent(r.val_accuracy);
  s << std::setprecision(1) << "  (" << r.seconds << " s)";
  return s.str();
}

// A history value as CSV / JSON text: `missing` (empty field, null) for no validation.
inline std::string history_value(double v, const char* missing) {
  if (std::isnan(v)) return missing;
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}

inline std::string history_csv(const std::vector<EpochRecord>& history) {
  std::ostringstream s;
  s << "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n" << std::setprecision(10);
  for (auto& r : history)
    s << r.epoch << ',' << r.lr << ',' << r.train_loss << ',' << r.train_accuracy << ','
      << history_value(r.val_loss, "") << ',' << history_value(r.val_accuracy, "") << ',' << r.seconds << '\n';
  return s.str();
}

inline std::string history_json(const std::vector<EpochRecord>& history) {
  std::ostringstream s;
  s << std::setprecision(10) << "[";
  for (std::size_t i = 0; i < history.size(); ++i) {
    const auto& r = history[i];
    s << (i ? ",\n " : "\n ") << "{\"epoch\": " << r.epoch << ", \"lr\": " << r.lr << ", \"train_loss\": "
      << r.train_loss << ", \"train_accuracy\": " << r.train_accuracy
      << ", \"val_loss\": " << history_value(r.val_loss, "null")
      << ", \"val_accuracy\": " << history_value(r.val_accuracy, "null") << ", \"seconds\": " << r.seconds << "}";
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
    std::vector<std::string> fields;
    std::istringstream row(line);
    for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
    if (line.back() == ',') fields.emplace_back();  // getline drops a last empty field
    auto unreadable = [&] { return ember::FormatError("checkpoint", "unreadable history line '" + line + "'"); };
    // The whole field as a number (an int for the epoch: istream sets failbit on overflow).
    auto parse = [&](std::size_t i, auto& value) {
      std::istringstream number(fields[i]);
      if (!(number >> value) || !number.eof()) throw unreadable();
    };
    if (fields.size() != 7) throw unreadable();
    EpochRecord r;
    parse(0, r.epoch);
    parse(1, r.lr);
    parse(2, r.train_loss);
    parse(3, r.train_accuracy);
    if (!fields[4].empty() || !fields[5].empty()) {  // both empty: no validation set
      parse(4, r.val_loss);
      parse(5, r.val_accuracy);
    }
    parse(6, r.seconds);
    out.push_back(r);
  }
  return out;
}

inline void write_history(const std::vector<EpochRecord>& history, const std::string& dir) {
  ember::io::write_file_atomic(dir + "/history.csv", history_csv(history));
  ember::io::write_file_atomic(dir + "/history.json", history_json(history));
}

inline ember::io::Metadata run_metadata(const TrainSettings& s, const EpochRecord& r) {
  ember::io::Metadata m{
      {"settings", resume_key(s)}, {"train_command", train_command(s)}, {"epoch", std::to_string(r.epoch)}};
  if (r.validated()) m.emplace("val_accuracy", std::to_string(r.val_accuracy));
  if (!s.class_names.empty()) m.emplace(kClassNamesKey, class_names_metadata(s.class_names));  // classes.hpp
  return m;
}

}  // namespace mnist
