#pragma once
// ROC curves and the area under them, for binary and (one-vs-rest) multiclass problems.
//
// Inputs as in classification.hpp: labels as std::vector<std::int64_t> in [0, num_classes),
// scores as a row-major std::vector<double> [N, num_classes] (finite; they need not be
// probabilities: only their order matters, and unlike sklearn's multiclass roc_auc_score the
// rows need not sum to 1).
//
// Conventions (checked against scikit-learn 1.2.1 to 1e-9 in tests/metrics/test_metrics.cpp):
// - A curve has one point per distinct score value, in decreasing order of threshold,
//   preceded by (0, 0): sklearn's roc_curve(drop_intermediate=False). Samples with equal
//   scores enter together, so a tie between a positive and a negative is one diagonal step
//   (the ranking between them is unknown), worth half in the AUC.
// - The leading point's threshold is +infinity (no sample scores above it), as in sklearn
//   >= 1.3; sklearn 1.2 writes max(score) + 1 there, which is the same cut except when adding
//   1 does not change the maximum (|score| >= 2^53).
// - "Sample i is positive at threshold t" means score >= t.
// - A class with no positive or no negative samples has no ROC curve worth the name: its tpr
//   (no positives) or fpr (no negatives) is 0/0, filled with NaN as sklearn does, defined()
//   is false, and its AUC is std::nullopt — never a number that looks like a result. Averages
//   leave such classes out.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <vector>

#include <ember/core/error.hpp>
#include <ember/metrics/classification.hpp>

namespace ember::metrics {

struct RocCurve {
  // Same length: 1 + the number of distinct scores. fpr and tpr never decrease.
  std::vector<double> fpr, tpr;
  // thresholds[0] = +inf, then the distinct scores in decreasing order.
  std::vector<double> thresholds;
  std::int64_t positives = 0, negatives = 0;

  // Both kinds of sample present: the rates, and so the AUC, are defined.
  bool defined() const { return positives > 0 && negatives > 0; }
};

// A curve without thresholds: the macro average of several ROC curves.
struct RocPoints {
  std::vector<double> fpr, tpr;
};

namespace detail {

// The curve of `scores` against `positive` (both length n): sort by decreasing score, walk
// down, and emit a point after each group of equal scores.
inline RocCurve binary_roc(const std::vector<double>& scores, const std::vector<unsigned char>& positive) {
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  // The order inside a group of equal scores does not matter: a group enters as a whole.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });

  RocCurve curve;
  for (unsigned char p : positive) (p ? curve.positives : curve.negatives) += 1;
  std::vector<std::int64_t> tps{0}, fps{0};
  curve.thresholds.push_back(std::numeric_limits<double>::infinity());
  std::int64_t tp = 0, fp = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t s = order[i];
    (positive[s] ? tp : fp) += 1;
    if (i + 1 == n || scores[order[i + 1]] != scores[s]) {
      tps.push_back(tp);
      fps.push_back(fp);
      curve.thresholds.push_back(scores[s]);
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t k = 0; k < tps.size(); ++k) {
    // One division per point, as sklearn's tps / tps[-1], so the rates are bit-identical.
    curve.fpr.push_back(curve.negatives > 0 ? static_cast<double>(fps[k]) / static_cast<double>(curve.negatives) : nan);
    curve.tpr.push_back(curve.positives > 0 ? static_cast<double>(tps[k]) / static_cast<double>(curve.positives) : nan);
  }
  return curve;
}

inline void check_multiclass(const char* op, const std::vector<std::int64_t>& y_true, const std::vector<double>& scores,
                             std::int64_t num_classes) {
  check_num_classes(op, num_classes);
  check_not_empty(op, y_true.size());
  check_labels(op, y_true, num_classes, "y_true");
  check_scores(op, scores, y_true.size(), num_classes, "scores");
}

// Class `cls` against the rest, inputs already checked.
inline RocCurve one_vs_rest(const std::vector<std::int64_t>& y_true, const std::vector<double>& scores,
                            std::int64_t num_classes, std::int64_t cls) {
  const std::size_t n = y_true.size(), c = static_cast<std::size_t>(num_classes);
  std::vector<double> column(n);
  std::vector<unsigned char> positive(n);
  for (std::size_t i = 0; i < n; ++i) {
    column[i] = scores[i * c + static_cast<std::size_t>(cls)];
    positive[i] = y_true[i] == cls;
  }
  return binary_roc(column, positive);
}

}  // namespace detail

// ---- curves -----------------------------------------------------------------------------

// ROC curve of a binary problem: y_true[i] in {0, 1} (1 = positive), scores[i] finite, higher
// meaning "more positive".
inline RocCurve roc_curve_binary(const std::vector<std::int64_t>& y_true, const std::vector<double>& scores) {
  const char* op = "roc_curve_binary";
  detail::check_not_empty(op, y_true.size());
  detail::check_labels(op, y_true, 2, "y_true");
  detail::check_same_length(op, y_true, scores.size(), "scores");
  for (std::size_t i = 0; i < scores.size(); ++i)
    EMBER_CHECK(std::isfinite(scores[i]), ValueError, op, "expected finite scores, got ", scores[i], " at index ", i);
  std::vector<unsigned char> positive(y_true.begin(), y_true.end());
  return detail::binary_roc(scores, positive);
}

// One-vs-rest ROC curve of class `cls`: positives are the samples with y_true == cls, ranked
// by column cls of scores ([N, num_classes]).
inline RocCurve roc_curve(const std::vector<std::int64_t>& y_true, const std::vector<double>& scores,
                          std::int64_t num_classes, std::int64_t cls) {
  const char* op = "roc_curve";
  detail::check_multiclass(op, y_true, scores, num_classes);
  EMBER_CHECK(cls >= 0 && cls < num_classes, IndexError, op, "expected class in [0, ", num_classes, "), got ", cls);
  return detail::one_vs_rest(y_true, scores, num_classes, cls);
}

// The one-vs-rest curve of every class, in class order.
inline std::vector<RocCurve> roc_curves(const std::vector<std::int64_t>& y_true, const std::vector<double>& scores,
                                        std::int64_t num_classes) {
  detail::check_multiclass("roc_curves", y_true, scores, num_classes);
  std::vector<RocCurve> curves;
  for (std::int64_t k = 0; k < num_classes; ++k) curves.push_back(detail::one_vs_rest(y_true, scores, num_classes, k));
  return curves;
}

// Micro average: one curve over all N * num_classes (sample, class) pairs, with the one-hot
// labels as positives and the flattened scores. Defined whenever num_classes >= 2.
inline RocCurve micro_roc_curve(const std::vector<std::int64_t>& y_true, const std::vector<double>& scores,
                                std::int64_t num_classes) {
  detail::check_multiclass("micro_roc_curve", y_true, scores, num_classes);
  const std::size_t c = static_cast<std::size_t>(num_classes);
  std::vector<unsigned char> positive(scores.size(), 0);
  for (std::size_t i = 0; i < y_true.size(); ++i) positive[i * c + static_cast<std::size_t>(y_true[i])] = 1;
  return detail::binary_roc(scores, positive);
}

// ---- areas ------------------------------------------------------------------------------

// Area under the piecewise-linear curve through (x[i], y[i]) by the trapezoid rule, as
// sklearn's auc: x must be monotonic, either non-decreasing or non-increasing (then the
// area is still positive for positive y); at least 2 finite points.
inline double auc(const std::vector<double>& x, const std::vector<double>& y) {
  const char* op = "auc";
  EMBER_CHECK(y.size() == x.size(), ShapeError, op, "expected y of the same length as x (", x.size(), "), got ",
              y.size());
  EMBER_CHECK(x.size() >= 2, ValueError, op, "expected at least 2 points, got ", x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    EMBER_CHECK(std::isfinite(x[i]) && std::isfinite(y[i]), ValueError, op, "expected finite points, got (", x[i],
                ", ", y[i], ") at index ", i);
  }
  int direction = 0;  // +1 increasing, -1 decreasing, 0 not known yet
  for (std::size_t i = 1; i < x.size(); ++i) {
    int step = x[i] > x[i - 1] ? 1 : (x[i] < x[i - 1] ? -1 : 0);
    if (step == 0) continue;
    EMBER_CHECK(direction == 0 || step == direction, ValueError, op,
                "expected x non-decreasing or non-increasing, got x[", i, "] = ", x[i], " after x[", i - 1,
                "] = ", x[i - 1], " in a", direction > 0 ? "n increasing" : " decreasing", " sequence");
    direction = step;
  }
  double area = 0.0;
  for (std::size_t i = 1; i < x.size(); ++i) area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2.0;
  return direction < 0 ? -area : area;
}

// The AUC of a curve, or std::nullopt when the curve is not defined() (a class absent from
// y_true, or present in every sample). All scores equal gives the diagonal: 0.5.
inline std::optional<double> roc_auc(const RocCurve& curve) {
  if (!curve.defined()) return std::nullopt;
  return auc(curve.fpr, curve.tpr);
}

// Macro average: the mean AUC of the classes whose curve is defined, i.e. the classes
// present in y_true but not in every sample. sklearn's roc_auc_score(multi_class="ovr",
// average="macro") refuses (ValueError) when a class is absent from y_true; this leaves
// the class out instead and averages the others. std::nullopt when no class is defined
// (a single class present, or N = 1).
inline std::optional<double> macro_roc_auc(const std::vector<RocCurve>& curves) {
  double sum = 0.0;
  std::int64_t count = 0;
  for (const RocCurve& curve : curves) {
    if (auto a = roc_auc(curve)) {
      sum += *a;
      ++count;
    }
  }
  if (count == 0) return std::nullopt;
  return sum / static_cast<double>(count);
}

inline std::optional<double> macro_roc_auc(const std::vector<std::int64_t>& y_true, const std::vector<double>& scores,
                                           std::int64_t num_classes) {
  return macro_roc_auc(roc_curves(y_true, scores, num_classes));
}

// Micro average AUC (sklearn's roc_auc_score(multi_class="ovr", average="micro")):
// std::nullopt only for num_classes == 1, where there is no negative pair.
inline std::optional<double> micro_roc_auc(const std::vector<std::int64_t>& y_true, const std::vector<double>& scores,
                                           std::int64_t num_classes) {
  return roc_auc(micro_roc_curve(y_true, scores, num_classes));
}

// ---- the macro-average curve ------------------------------------------------------------

namespace detail {

// A curve's points grouped by fpr: at each distinct fpr, the lowest and highest tpr (the
// bottom and top of a vertical run).
struct FprGroup {
  double fpr, low, high;
};

inline std::vector<FprGroup> fpr_groups(const RocCurve& curve) {
  std::vector<FprGroup> groups;
  for (std::size_t i = 0; i < curve.fpr.size(); ++i) {
    if (!groups.empty() && groups.back().fpr == curve.fpr[i]) {
      groups.back().low = std::min(groups.back().low, curve.tpr[i]);
      groups.back().high = std::max(groups.back().high, curve.tpr[i]);
    } else {
      groups.push_back({curve.fpr[i], curve.tpr[i], curve.tpr[i]});
    }
  }
  return groups;
}

}  // namespace detail

// Macro-average ROC curve: the mean of the defined class curves, each taken as the
// piecewise-linear curve through its points, sampled at every fpr value any of them has.
// Between two of its points a class curve runs straight from the top of the first to the
// bottom of the next, so at each fpr the average needs both the mean of the lowest tprs and
// the mean of the highest: the result has the point (fpr, mean low) and, when a class jumps
// there, (fpr, mean high) too. It starts at (0, 0), ends at (1, 1), and its area is exactly
// the mean of the class AUCs (macro_roc_auc), up to rounding.
//
// (The recipe in sklearn's documentation, np.interp of each curve on the union of fprs,
// reads every vertical jump at its top and so slightly overstates the mean between points;
// it has no library function to compare with. tests/fixtures/make_metrics_fixtures.py
// computes this definition independently.) std::nullopt when no curve is defined.
inline std::optional<RocPoints> macro_roc_curve(const std::vector<RocCurve>& curves) {
  const char* op = "macro_roc_curve";
  std::vector<std::vector<detail::FprGroup>> classes;
  std::vector<double> grid;
  for (std::size_t k = 0; k < curves.size(); ++k) {
    const RocCurve& curve = curves[k];
    if (!curve.defined()) continue;
    EMBER_CHECK(curve.fpr.size() == curve.tpr.size() && curve.fpr.size() >= 2, ShapeError, op, "curve ", k,
                ": expected fpr and tpr of the same length >= 2, got ", curve.fpr.size(), " and ", curve.tpr.size());
    EMBER_CHECK(curve.fpr.front() == 0.0 && curve.fpr.back() == 1.0, ValueError, op, "curve ", k,
                ": expected fpr from 0 to 1, got ", curve.fpr.front(), " to ", curve.fpr.back());
    for (std::size_t i = 1; i < curve.fpr.size(); ++i) {
      EMBER_CHECK(curve.fpr[i] >= curve.fpr[i - 1], ValueError, op, "curve ", k,
                  ": expected non-decreasing fpr, got fpr[", i, "] = ", curve.fpr[i], " after ", curve.fpr[i - 1]);
    }
    classes.push_back(detail::fpr_groups(curve));
    for (const auto& g : classes.back()) grid.push_back(g.fpr);
  }
  if (classes.empty()) return std::nullopt;
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());

  const double count = static_cast<double>(classes.size());
  std::vector<std::size_t> at(classes.size(), 0);  // per class: its last group with fpr <= u
  RocPoints out;
  for (double u : grid) {
    double low = 0.0, high = 0.0;
    for (std::size_t k = 0; k < classes.size(); ++k) {
      const auto& g = classes[k];
      std::size_t& j = at[k];
      while (j + 1 < g.size() && g[j + 1].fpr <= u) ++j;
      if (g[j].fpr == u) {
        low += g[j].low;
        high += g[j].high;
      } else {  // strictly between groups j and j + 1 (every curve spans [0, 1])
        const detail::FprGroup& a = g[j];
        const detail::FprGroup& b = g[j + 1];
        double v = a.high + (b.low - a.high) * (u - a.fpr) / (b.fpr - a.fpr);
        low += v;
        high += v;
      }
    }
    out.fpr.push_back(u);
    out.tpr.push_back(low / count);
    if (high != low) {
      out.fpr.push_back(u);
      out.tpr.push_back(high / count);
    }
  }
  return out;
}

inline std::optional<RocPoints> macro_roc_curve(const std::vector<std::int64_t>& y_true,
                                                const std::vector<double>& scores, std::int64_t num_classes) {
  return macro_roc_curve(roc_curves(y_true, scores, num_classes));
}

// ---- everything at once -----------------------------------------------------------------

// What a report needs: every class curve and AUC, and both averages with their curves.
struct RocSummary {
  std::vector<RocCurve> per_class;
  std::vector<std::optional<double>> per_class_auc;  // std::nullopt for undefined classes
  RocCurve micro;
  std::optional<double> micro_auc;
  std::optional<double> macro_auc;
  std::int64_t macro_classes = 0;  // how many classes the macro average is over
  std::optional<RocPoints> macro;
};

inline RocSummary roc_one_vs_rest(const std::vector<std::int64_t>& y_true, const std::vector<double>& scores,
                                  std::int64_t num_classes) {
  RocSummary s;
  s.per_class = roc_curves(y_true, scores, num_classes);  // checks the inputs
  for (const RocCurve& curve : s.per_class) {
    s.per_class_auc.push_back(roc_auc(curve));
    s.macro_classes += curve.defined();
  }
  s.micro = micro_roc_curve(y_true, scores, num_classes);
  s.micro_auc = roc_auc(s.micro);
  s.macro_auc = macro_roc_auc(s.per_class);
  s.macro = macro_roc_curve(s.per_class);
  return s;
}

}  // namespace ember::metrics
