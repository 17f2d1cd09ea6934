#pragma once
// Classification metrics on plain arrays: accuracy, top-k accuracy, the confusion matrix,
// per-class precision / recall / F1 with their macro and weighted averages, and log loss.
//
// Inputs are what a training loop already has: labels and predictions as
// std::vector<std::int64_t> (class indices in [0, num_classes)), and scores or probabilities
// as a row-major std::vector<double> of shape [N, num_classes]. No tensors, so that the
// metrics work on anything (arg-maxed model outputs, a CSV, another library's results).
//
// Every function follows scikit-learn 1.2.1 (Debian 12's python3-sklearn), against which
// tests/metrics/test_metrics.cpp checks them to 1e-9; where this code chooses differently,
// the comment of the function says so. Bad input throws ember::ShapeError (lengths that do
// not match) or ember::ValueError (no samples, labels outside [0, num_classes), non-finite
// scores, bad k or eps), each naming the function, the expected and the actual value.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <ember/core/error.hpp>

namespace ember::metrics {

namespace detail {

inline void check_num_classes(const char* op, std::int64_t num_classes, std::int64_t minimum = 1) {
  EMBER_CHECK(num_classes >= minimum, ValueError, op, "expected num_classes >= ", minimum, ", got ", num_classes);
}

// An average over no samples is 0/0; refusing it is clearer than a NaN far downstream.
inline void check_not_empty(const char* op, std::size_t n) {
  EMBER_CHECK(n > 0, ValueError, op, "expected at least one sample, got 0");
}

inline void check_same_length(const char* op, const std::vector<std::int64_t>& y_true, std::size_t n,
                              const char* name) {
  EMBER_CHECK(n == y_true.size(), ShapeError, op, "expected ", name, " of the same length as y_true (",
              y_true.size(), "), got ", n);
}

// Names the first offending element, e.g. "expected labels in [0, 3), got y_true[5] = 7".
inline void check_labels(const char* op, const std::vector<std::int64_t>& labels, std::int64_t num_classes,
                         const char* name) {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    EMBER_CHECK(labels[i] >= 0 && labels[i] < num_classes, ValueError, op, "expected labels in [0, ", num_classes,
                "), got ", name, "[", i, "] = ", labels[i]);
  }
}

// scores must be [n, num_classes] and finite: a NaN would silently poison every comparison
// (sort orders, ranks) instead of failing.
inline void check_scores(const char* op, const std::vector<double>& scores, std::size_t n, std::int64_t num_classes,
                         const char* what) {
  const std::size_t c = static_cast<std::size_t>(num_classes);
  EMBER_CHECK(scores.size() == n * c, ShapeError, op, "expected ", what, " of shape [", n, ", ", num_classes, "] (",
              n * c, " values), got ", scores.size(), " values");
  for (std::size_t i = 0; i < scores.size(); ++i) {
    EMBER_CHECK(std::isfinite(scores[i]), ValueError, op, "expected finite ", what, ", got ", scores[i], " in row ",
                i / c, " (column ", i % c, ")");
  }
}

}  // namespace detail

// ---- accuracy ---------------------------------------------------------------------------

// The fraction of samples with y_pred[i] == y_true[i] (sklearn's accuracy_score). Any
// int64 values are accepted: without a class count there is no range to check.
inline double accuracy(const std::vector<std::int64_t>& y_true, const std::vector<std::int64_t>& y_pred) {
  const char* op = "accuracy";
  detail::check_same_length(op, y_true, y_pred.size(), "y_pred");
  detail::check_not_empty(op, y_true.size());
  std::size_t correct = 0;
  for (std::size_t i = 0; i < y_true.size(); ++i) correct += y_true[i] == y_pred[i];
  return static_cast<double>(correct) / static_cast<double>(y_true.size());
}

// The fraction of samples whose true class is among the k highest-scoring classes of its
// row of scores ([N, num_classes], row-major, finite).
//
// Ties follow sklearn's top_k_accuracy_score, which ranks the classes of a row with a
// stable ascending sort reversed: among equal scores the larger class index ranks first.
// So the true class t counts as a hit when
//   #{j : s[j] > s[t]} + #{j > t : s[j] == s[t]} < k.
// A row of all-equal scores thus "predicts" classes num_classes-1, num_classes-2, ... in that
// order. k >= num_classes gives 1 (sklearn warns; this accepts it silently). For
// num_classes == 2 the same ranking rule applies; sklearn instead refuses two score columns
// for a binary problem and thresholds a single one.
inline double top_k_accuracy(const std::vector<std::int64_t>& y_true, const std::vector<double>& scores,
                             std::int64_t num_classes, std::int64_t k) {
  const char* op = "top_k_accuracy";
  detail::check_num_classes(op, num_classes);
  EMBER_CHECK(k >= 1, ValueError, op, "expected k >= 1, got ", k);
  detail::check_not_empty(op, y_true.size());
  detail::check_labels(op, y_true, num_classes, "y_true");
  detail::check_scores(op, scores, y_true.size(), num_classes, "scores");
  const std::size_t c = static_cast<std::size_t>(num_classes);
  std::size_t hits = 0;
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    const double* row = scores.data() + i * c;
    const std::size_t t = static_cast<std::size_t>(y_true[i]);
    std::int64_t ahead = 0;  // classes ranked before the true one
    for (std::size_t j = 0; j < c; ++j) ahead += row[j] > row[t] || (row[j] == row[t] && j > t);
    hits += ahead < k;
  }
  return static_cast<double>(hits) / static_cast<double>(y_true.size());
}

// ---- confusion matrix -------------------------------------------------------------------

struct ConfusionMatrix {
  std::int64_t num_classes = 0;
  // [num_classes, num_classes] row-major: counts[t * num_classes + p] samples of true class t
  // predicted as p (rows true, columns predicted, as sklearn's confusion_matrix).
  std::vector<std::int64_t> counts;

  std::int64_t operator()(std::int64_t true_class, std::int64_t predicted_class) const {
    EMBER_CHECK(true_class >= 0 && true_class < num_classes && predicted_class >= 0 &&
                    predicted_class < num_classes,
                IndexError, "ConfusionMatrix", "expected classes in [0, ", num_classes, "), got (", true_class, ", ",
                predicted_class, ")");
    return counts[static_cast<std::size_t>(true_class * num_classes + predicted_class)];
  }

  // Each row divided by its sum: row t is the distribution of predictions for true class t,
  // so the diagonal holds the per-class recall. A row with no samples (a class absent from
  // y_true) is all zeros rather than 0/0, as sklearn's confusion_matrix(normalize="true").
  std::vector<double> row_normalized() const {
    const std::size_t c = static_cast<std::size_t>(num_classes);
    std::vector<double> out(c * c, 0.0);
    for (std::size_t t = 0; t < c; ++t) {
      std::int64_t total = 0;
      for (std::size_t p = 0; p < c; ++p) total += counts[t * c + p];
      if (total == 0) continue;
      for (std::size_t p = 0; p < c; ++p)
        out[t * c + p] = static_cast<double>(counts[t * c + p]) / static_cast<double>(total);
    }
    return out;
  }
};

inline ConfusionMatrix confusion_matrix(const std::vector<std::int64_t>& y_true,
                                        const std::vector<std::int64_t>& y_pred, std::int64_t num_classes) {
  const char* op = "confusion_matrix";
  detail::check_num_classes(op, num_classes);
  detail::check_same_length(op, y_true, y_pred.size(), "y_pred");
  detail::check_not_empty(op, y_true.size());
  detail::check_labels(op, y_true, num_classes, "y_true");
  detail::check_labels(op, y_pred, num_classes, "y_pred");
  ConfusionMatrix cm;
  cm.num_classes = num_classes;
  cm.counts.assign(static_cast<std::size_t>(num_classes * num_classes), 0);
  for (std::size_t i = 0; i < y_true.size(); ++i) ++cm.counts[static_cast<std::size_t>(y_true[i] * num_classes + y_pred[i])];
  return cm;
}

// ---- precision, recall, F1 --------------------------------------------------------------

struct AveragedScores {
  double precision = 0, recall = 0, f1 = 0;
};

// Per-class scores and their averages, as sklearn's precision_recall_fscore_support with
// labels = range(num_classes) and zero_division = 0.
struct ClassificationReport {
  std::int64_t num_classes = 0;
  std::vector<double> precision;       // tp / (tp + fp); 0 for a class never predicted
  std::vector<double> recall;          // tp / (tp + fn); 0 for a class absent from y_true
  std::vector<double> f1;              // 2 p r / (p + r); 0 when p + r == 0
  std::vector<std::int64_t> support;   // samples of each class in y_true (tp + fn)
  AveragedScores macro;     // unweighted mean over all num_classes classes, absent ones included (as 0)
  AveragedScores weighted;  // mean weighted by support: absent classes drop out
};

// From a confusion matrix with at least one sample. Every 0/0 is 0 (zero_division = 0), so
// nothing is NaN; note that this lowers the macro average for classes that never occur.
inline ClassificationReport precision_recall_f1(const ConfusionMatrix& cm) {
  const char* op = "precision_recall_f1";
  detail::check_num_classes(op, cm.num_classes);
  const std::size_t c = static_cast<std::size_t>(cm.num_classes);
  EMBER_CHECK(cm.counts.size() == c * c, ShapeError, op, "expected ", c * c, " counts for ", c, " classes, got ",
              cm.counts.size());
  std::int64_t total = 0;
  for (std::int64_t n : cm.counts) {
    EMBER_CHECK(n >= 0, ValueError, op, "expected non-negative counts, got ", n);
    total += n;
  }
  detail::check_not_empty(op, static_cast<std::size_t>(total));

  ClassificationReport r;
  r.num_classes = cm.num_classes;
  r.precision.assign(c, 0.0);
  r.recall.assign(c, 0.0);
  r.f1.assign(c, 0.0);
  r.support.assign(c, 0);
  auto ratio = [](std::int64_t num, std::int64_t den) {
    return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
  };
  for (std::size_t k = 0; k < c; ++k) {
    std::int64_t tp = cm.counts[k * c + k], predicted = 0, actual = 0;
    for (std::size_t j = 0; j < c; ++j) {
      predicted += cm.counts[j * c + k];
      actual += cm.counts[k * c + j];
    }
    double p = ratio(tp, predicted), rec = ratio(tp, actual);
    r.precision[k] = p;
    r.recall[k] = rec;
    // From p and r rather than 2tp / (2tp + fp + fn): the same value, computed as sklearn does.
    r.f1[k] = p + rec == 0.0 ? 0.0 : 2.0 * p * rec / (p + rec);
    r.support[k] = actual;
  }
  for (std::size_t k = 0; k < c; ++k) {
    double w = static_cast<double>(r.support[k]);
    r.macro.precision += r.precision[k];
    r.macro.recall += r.recall[k];
    r.macro.f1 += r.f1[k];
    r.weighted.precision += w * r.precision[k];
    r.weighted.recall += w * r.recall[k];
    r.weighted.f1 += w * r.f1[k];
  }
  const double n_classes = static_cast<double>(c), n_samples = static_cast<double>(total);
  r.macro = {r.macro.precision / n_classes, r.macro.recall / n_classes, r.macro.f1 / n_classes};
  r.weighted = {r.weighted.precision / n_samples, r.weighted.recall / n_samples, r.weighted.f1 / n_samples};
  return r;
}

inline ClassificationReport precision_recall_f1(const std::vector<std::int64_t>& y_true,
                                                const std::vector<std::int64_t>& y_pred, std::int64_t num_classes) {
  return precision_recall_f1(confusion_matrix(y_true, y_pred, num_classes));
}

// ---- log loss ---------------------------------------------------------------------------

// sklearn 1.2's default eps ("auto"): the machine epsilon of float64, 2.220446049250313e-16.
// (sklearn before 1.2 used 1e-15; pass it explicitly to reproduce those numbers.)
inline constexpr double kLogLossEps = 2.220446049250313e-16;

// Mean negative log-likelihood of the true class, -1/N sum_i log q[i, y_true[i]], where q is
// `probabilities` ([N, num_classes], row-major) after sklearn 1.2.1's two steps:
//   1. clip every value to [eps, 1 - eps] (so a confident wrong answer costs about -log(eps),
//      36.04 with the default eps, not infinity), then
//   2. divide each row by its sum (rows that do not sum to 1, e.g. rounded probabilities,
//      are renormalised silently, as sklearn 1.2 does; later versions warn).
// Values outside [0, 1] are clipped like any other, not rejected (as in sklearn); non-finite
// values are a ValueError naming the row. num_classes >= 2 as in sklearn (one class has no
// loss to speak of), and 0 < eps < 0.5 so that the clipping interval is not empty.
inline double log_loss(const std::vector<std::int64_t>& y_true, const std::vector<double>& probabilities,
                       std::int64_t num_classes, double eps = kLogLossEps) {
  const char* op = "log_loss";
  detail::check_num_classes(op, num_classes, 2);
  EMBER_CHECK(eps > 0.0 && eps < 0.5, ValueError, op, "expected 0 < eps < 0.5, got ", eps);
  detail::check_not_empty(op, y_true.size());
  detail::check_labels(op, y_true, num_classes, "y_true");
  detail::check_scores(op, probabilities, y_true.size(), num_classes, "probabilities");
  const std::size_t c = static_cast<std::size_t>(num_classes);
  auto clip = [eps](double p) { return p < eps ? eps : (p > 1.0 - eps ? 1.0 - eps : p); };
  double total = 0.0;
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    const double* row = probabilities.data() + i * c;
    double row_sum = 0.0;
    for (std::size_t j = 0; j < c; ++j) row_sum += clip(row[j]);
    total -= std::log(clip(row[static_cast<std::size_t>(y_true[i])]) / row_sum);
  }
  return total / static_cast<double>(y_true.size());
}

}  // namespace ember::metrics
