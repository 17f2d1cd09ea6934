// Classification metrics and ROC curves (include/ember/metrics/) against scikit-learn 1.2.1
// (tests/data/metrics_fixtures, written by tests/fixtures/make_metrics_fixtures.py): every
// function on every fixture case to 1e-9, then the documented values of the degenerate
// cases, hand-worked examples of the tie rules, and the validation messages.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/metrics/classification.hpp>
#include <ember/metrics/roc.hpp>

#include "npy.hpp"

using Catch::Matchers::Equals;
namespace metrics = ember::metrics;

// Both the type and the exact message.
#define CHECK_ERROR(expr, ErrorType, message) \
  do {                                        \
    CHECK_THROWS_AS(expr, ErrorType);         \
    CHECK_THROWS_WITH(expr, Equals(message)); \
  } while (false)

namespace {

// ---- fixtures ---------------------------------------------------------------------------

const std::vector<std::string> kCases = {"random_c10",      "random_c3",    "random_c3_rounded", "binary",
                                         "ties",            "class_absent", "never_predicted",   "all_scores_equal",
                                         "perfect",         "perfectly_wrong", "single_sample",  "single_class"};

std::string fixtures_root() { return std::string(EMBER_TEST_DATA_DIR) + "/metrics_fixtures"; }

struct Case {
  std::string name;
  std::string dir;
  std::int64_t num_classes = 0;
  bool has_top_k = false, has_micro_auc = false, has_macro_auc = false;
  std::vector<std::int64_t> y_true, y_pred;
  std::vector<double> scores;

  ember_test::NpyArray expected(const std::string& file) const { return ember_test::read_npy(dir + "/" + file + ".npy"); }
  double scalar(const std::string& file) const {
    auto a = expected(file);
    REQUIRE(a.shape.empty());
    return a.data[0];
  }
};

Case load_case(const std::string& name) {
  Case c;
  c.name = name;
  c.dir = fixtures_root() + "/" + name;
  auto config = ember_test::read_config(c.dir + "/config.json");
  c.num_classes = ember_test::config_value(config, "num_classes");
  c.has_top_k = ember_test::config_value(config, "has_top_k") != 0;
  c.has_micro_auc = ember_test::config_value(config, "has_micro_auc") != 0;
  c.has_macro_auc = ember_test::config_value(config, "has_macro_auc") != 0;
  c.y_true = c.expected("y_true").int_data;
  c.y_pred = c.expected("y_pred").int_data;
  c.scores = c.expected("scores").data;
  return c;
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const auto& name : kCases) cases.push_back(load_case(name));
  return cases;
}

// The agreement the issue asks for: 1e-9, absolute for values up to 1 (rates, AUCs, small
// losses), relative above. NaN matches NaN only (sklearn's undefined rates).
bool close(double got, double expected) {
  if (std::isnan(expected) || std::isnan(got)) return std::isnan(expected) && std::isnan(got);
  return std::abs(got - expected) <= 1e-9 * std::max(1.0, std::abs(expected));
}

// "" when got matches expected[begin, end) element by element, else the first difference.
std::string first_difference(const std::vector<double>& got, const std::vector<double>& expected, std::size_t begin,
                     std::size_t end) {
  std::ostringstream out;
  out.precision(17);
  if (got.size() != end - begin) {
    out << "size " << got.size() << " vs expected " << end - begin;
    return out.str();
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!close(got[i], expected[begin + i])) {
      out << "element " << i << ": got " << got[i] << ", expected " << expected[begin + i];
      return out.str();
    }
  }
  return "";
}

std::string first_difference(const std::vector<double>& got, const ember_test::NpyArray& expected) {
  return first_difference(got, expected.data, 0, expected.data.size());
}

}  // namespace

// ---- every function against scikit-learn ------------------------------------------------

TEST_CASE("the fixture directory holds exactly the cases this test knows", "[metrics]") {
  // A case added by the script but not listed here would otherwise go untested.
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(fixtures_root()))
    if (entry.is_directory()) found.push_back(entry.path().filename().string());
  std::sort(found.begin(), found.end());
  std::vector<std::string> known = kCases;
  std::sort(known.begin(), known.end());
  CHECK(found == known);
}

TEST_CASE("accuracy and top-k accuracy match sklearn", "[metrics]") {
  for (const Case& c : all_cases()) {
    INFO("case " << c.name);
    CHECK(close(metrics::accuracy(c.y_true, c.y_pred), c.scalar("accuracy")));
    if (!c.has_top_k) continue;  // 2 classes: sklearn's binary top-k is a different rule
    auto expected = c.expected("top_k");
    CHECK(close(metrics::top_k_accuracy(c.y_true, c.scores, c.num_classes, 1), expected.data[0]));
    CHECK(close(metrics::top_k_accuracy(c.y_true, c.scores, c.num_classes, 3), expected.data[1]));
  }
}

TEST_CASE("confusion matrix and its row-normalised form match sklearn", "[metrics]") {
  for (const Case& c : all_cases()) {
    INFO("case " << c.name);
    auto cm = metrics::confusion_matrix(c.y_true, c.y_pred, c.num_classes);
    CHECK(cm.num_classes == c.num_classes);
    CHECK(cm.counts == c.expected("confusion").int_data);
    CHECK(first_difference(cm.row_normalized(), c.expected("confusion_normalized")) == "");
  }
}

TEST_CASE("precision, recall, F1, support and their averages match sklearn (zero_division=0)", "[metrics]") {
  for (const Case& c : all_cases()) {
    INFO("case " << c.name);
    auto r = metrics::precision_recall_f1(c.y_true, c.y_pred, c.num_classes);
    CHECK(first_difference(r.precision, c.expected("precision")) == "");
    CHECK(first_difference(r.recall, c.expected("recall")) == "");
    CHECK(first_difference(r.f1, c.expected("f1")) == "");
    CHECK(r.support == c.expected("support").int_data);
    CHECK(first_difference({r.macro.precision, r.macro.recall, r.macro.f1}, c.expected("macro")) == "");
    CHECK(first_difference({r.weighted.precision, r.weighted.recall, r.weighted.f1}, c.expected("weighted")) == "");
    // the confusion-matrix overload is the same computation
    auto from_cm = metrics::precision_recall_f1(metrics::confusion_matrix(c.y_true, c.y_pred, c.num_classes));
    CHECK(from_cm.f1 == r.f1);
    CHECK(from_cm.weighted.f1 == r.weighted.f1);
  }
}

TEST_CASE("log loss matches sklearn 1.2.1 with its default eps and with eps = 1e-15", "[metrics]") {
  for (const Case& c : all_cases()) {
    INFO("case " << c.name);
    CHECK(close(metrics::log_loss(c.y_true, c.scores, c.num_classes), c.scalar("log_loss")));
    CHECK(close(metrics::log_loss(c.y_true, c.scores, c.num_classes, 1e-15), c.scalar("log_loss_eps15")));
  }
}

TEST_CASE("one-vs-rest ROC curves and AUCs match sklearn's roc_curve(drop_intermediate=False)", "[metrics][roc]") {
  const double inf = std::numeric_limits<double>::infinity();
  for (const Case& c : all_cases()) {
    INFO("case " << c.name);
    auto offsets = c.expected("roc_offsets").int_data;
    auto fpr = c.expected("roc_fpr"), tpr = c.expected("roc_tpr"), thresholds = c.expected("roc_thresholds");
    auto aucs = c.expected("roc_auc");
    auto defined = c.expected("roc_auc_defined").int_data;
    auto curves = metrics::roc_curves(c.y_true, c.scores, c.num_classes);
    REQUIRE(curves.size() == static_cast<std::size_t>(c.num_classes));
    for (std::int64_t k = 0; k < c.num_classes; ++k) {
      INFO("class " << k);
      const auto& curve = curves[static_cast<std::size_t>(k)];
      auto begin = static_cast<std::size_t>(offsets[static_cast<std::size_t>(k)]);
      auto end = static_cast<std::size_t>(offsets[static_cast<std::size_t>(k) + 1]);
      CHECK(first_difference(curve.fpr, fpr.data, begin, end) == "");
      CHECK(first_difference(curve.tpr, tpr.data, begin, end) == "");
      // Thresholds are the scores themselves: exact. The leading one is ember's +inf where
      // sklearn 1.2 writes max(score) + 1.
      REQUIRE(curve.thresholds.size() == end - begin);
      CHECK(curve.thresholds[0] == inf);
      CHECK(thresholds.data[begin] == thresholds.data[begin + 1] + 1.0);
      CHECK(std::equal(curve.thresholds.begin() + 1, curve.thresholds.end(), thresholds.data.begin() + begin + 1));

      auto auc = metrics::roc_auc(curve);
      CHECK(curve.defined() == (defined[static_cast<std::size_t>(k)] != 0));
      REQUIRE(auc.has_value() == curve.defined());
      if (auc) CHECK(close(*auc, aucs.data[static_cast<std::size_t>(k)]));

      auto single = metrics::roc_curve(c.y_true, c.scores, c.num_classes, k);
      CHECK(single.thresholds == curve.thresholds);
    }
  }
}

TEST_CASE("micro-average ROC curve and AUC match sklearn", "[metrics][roc]") {
  for (const Case& c : all_cases()) {
    INFO("case " << c.name);
    auto curve = metrics::micro_roc_curve(c.y_true, c.scores, c.num_classes);
    CHECK(first_difference(curve.fpr, c.expected("micro_fpr")) == "");
    CHECK(first_difference(curve.tpr, c.expected("micro_tpr")) == "");
    auto thresholds = c.expected("micro_thresholds").data;
    REQUIRE(curve.thresholds.size() == thresholds.size());
    CHECK(std::equal(curve.thresholds.begin() + 1, curve.thresholds.end(), thresholds.begin() + 1));
    auto auc = metrics::micro_roc_auc(c.y_true, c.scores, c.num_classes);
    REQUIRE(auc.has_value() == c.has_micro_auc);
    if (auc) CHECK(close(*auc, c.scalar("micro_auc")));
  }
}

TEST_CASE("macro-average AUC and ROC curve match the reference over the defined classes", "[metrics][roc]") {
  for (const Case& c : all_cases()) {
    INFO("case " << c.name);
    auto auc = metrics::macro_roc_auc(c.y_true, c.scores, c.num_classes);
    auto curve = metrics::macro_roc_curve(c.y_true, c.scores, c.num_classes);
    REQUIRE(auc.has_value() == c.has_macro_auc);
    REQUIRE(curve.has_value() == c.has_macro_auc);
    if (!auc) continue;
    CHECK(close(*auc, c.scalar("macro_auc")));
    CHECK(first_difference(curve->fpr, c.expected("macro_fpr")) == "");
    CHECK(first_difference(curve->tpr, c.expected("macro_tpr")) == "");
    // The documented property: the mean curve's area is the mean of the areas.
    CHECK(std::abs(metrics::auc(curve->fpr, curve->tpr) - *auc) <= 1e-12);
    CHECK(curve->fpr.front() == 0.0);
    CHECK(curve->tpr.front() == 0.0);
    CHECK(curve->fpr.back() == 1.0);
    CHECK(curve->tpr.back() == 1.0);
  }
}

TEST_CASE("roc_one_vs_rest gathers the same results", "[metrics][roc]") {
  for (const Case& c : all_cases()) {
    INFO("case " << c.name);
    auto s = metrics::roc_one_vs_rest(c.y_true, c.scores, c.num_classes);
    auto defined = c.expected("roc_auc_defined").int_data;
    std::int64_t n_defined = 0;
    for (auto d : defined) n_defined += d;
    CHECK(s.macro_classes == n_defined);
    REQUIRE(s.per_class.size() == static_cast<std::size_t>(c.num_classes));
    REQUIRE(s.per_class_auc.size() == static_cast<std::size_t>(c.num_classes));
    for (std::size_t k = 0; k < s.per_class.size(); ++k) CHECK(s.per_class_auc[k] == metrics::roc_auc(s.per_class[k]));
    CHECK(s.micro_auc == metrics::micro_roc_auc(c.y_true, c.scores, c.num_classes));
    CHECK(s.macro_auc == metrics::macro_roc_auc(c.y_true, c.scores, c.num_classes));
    CHECK(s.macro.has_value() == s.macro_auc.has_value());
  }
}

// ---- degenerate cases: the documented values --------------------------------------------

TEST_CASE("all scores equal: every AUC is 0.5 and top-1 picks the last class", "[metrics][degenerate]") {
  Case c = load_case("all_scores_equal");
  auto s = metrics::roc_one_vs_rest(c.y_true, c.scores, c.num_classes);
  for (const auto& curve : s.per_class) {
    // one tie group: the diagonal from (0, 0) to (1, 1)
    CHECK(curve.fpr == std::vector<double>{0.0, 1.0});
    CHECK(curve.tpr == std::vector<double>{0.0, 1.0});
    CHECK(curve.thresholds == std::vector<double>{std::numeric_limits<double>::infinity(), 1.0 / 3.0});
  }
  for (const auto& auc : s.per_class_auc) CHECK(auc == 0.5);
  CHECK(s.macro_auc == 0.5);
  CHECK(s.micro_auc == 0.5);
  // ties rank the larger class index first, so k = 1 "predicts" class 2 for every row
  double share_of_class_2 = static_cast<double>(std::count(c.y_true.begin(), c.y_true.end(), 2)) / c.y_true.size();
  CHECK(metrics::top_k_accuracy(c.y_true, c.scores, 3, 1) == share_of_class_2);
  CHECK(metrics::top_k_accuracy(c.y_true, c.scores, 3, 3) == 1.0);
}

TEST_CASE("a class absent from y_true has no AUC and is left out of the macro average", "[metrics][degenerate]") {
  Case c = load_case("class_absent");
  REQUIRE(std::count(c.y_true.begin(), c.y_true.end(), 2) == 0);
  auto s = metrics::roc_one_vs_rest(c.y_true, c.scores, c.num_classes);
  CHECK_FALSE(s.per_class[2].defined());
  CHECK(s.per_class[2].positives == 0);
  CHECK(std::all_of(s.per_class[2].tpr.begin(), s.per_class[2].tpr.end(), [](double v) { return std::isnan(v); }));
  CHECK(std::none_of(s.per_class[2].fpr.begin(), s.per_class[2].fpr.end(), [](double v) { return std::isnan(v); }));
  CHECK_FALSE(s.per_class_auc[2].has_value());
  CHECK(s.macro_classes == 3);
  double mean_of_others = (*s.per_class_auc[0] + *s.per_class_auc[1] + *s.per_class_auc[3]) / 3.0;
  CHECK(std::abs(*s.macro_auc - mean_of_others) <= 1e-15);

  auto r = metrics::precision_recall_f1(c.y_true, c.y_pred, c.num_classes);
  CHECK(r.support[2] == 0);
  CHECK(r.recall[2] == 0.0);  // 0 / 0 -> 0
  CHECK(r.f1[2] == 0.0);
  auto normalized = metrics::confusion_matrix(c.y_true, c.y_pred, c.num_classes).row_normalized();
  for (int p = 0; p < 4; ++p) CHECK(normalized[2 * 4 + p] == 0.0);  // the empty row is zeros, not NaN
}

TEST_CASE("a class never predicted has precision 0", "[metrics][degenerate]") {
  Case c = load_case("never_predicted");
  REQUIRE(std::count(c.y_pred.begin(), c.y_pred.end(), 1) == 0);
  auto r = metrics::precision_recall_f1(c.y_true, c.y_pred, c.num_classes);
  CHECK(r.support[1] > 0);
  CHECK(r.precision[1] == 0.0);  // 0 / 0 -> 0
  CHECK(r.recall[1] == 0.0);
  CHECK(r.f1[1] == 0.0);
}

TEST_CASE("a single class present: no per-class AUC, no macro average, a micro average", "[metrics][degenerate]") {
  for (const std::string& name : std::vector<std::string>{"single_class", "single_sample"}) {
    INFO("case " << name);
    Case c = load_case(name);
    auto s = metrics::roc_one_vs_rest(c.y_true, c.scores, c.num_classes);
    for (const auto& auc : s.per_class_auc) CHECK_FALSE(auc.has_value());
    CHECK(s.macro_classes == 0);
    CHECK_FALSE(s.macro_auc.has_value());
    CHECK_FALSE(s.macro.has_value());
    CHECK(s.micro_auc.has_value());  // N positive and N * (C - 1) negative (sample, class) pairs
  }
}

TEST_CASE("perfect and perfectly wrong classifiers", "[metrics][degenerate]") {
  Case good = load_case("perfect"), bad = load_case("perfectly_wrong");
  CHECK(metrics::accuracy(good.y_true, good.y_pred) == 1.0);
  CHECK(metrics::accuracy(bad.y_true, bad.y_pred) == 0.0);
  auto s_good = metrics::roc_one_vs_rest(good.y_true, good.scores, 3);
  auto s_bad = metrics::roc_one_vs_rest(bad.y_true, bad.scores, 3);
  for (int k = 0; k < 3; ++k) {
    CHECK(s_good.per_class_auc[k] == 1.0);
    CHECK(s_bad.per_class_auc[k] == 0.0);
  }
  CHECK(s_good.macro_auc == 1.0);
  CHECK(s_bad.macro_auc == 0.0);
  // Exact one-hot probabilities: clipping keeps the perfect loss tiny but positive (about
  // 2 eps), and the certain mistake finite, about -log(eps).
  double perfect = metrics::log_loss(good.y_true, good.scores, 3, 1e-15);
  CHECK(perfect > 1e-15);
  CHECK(perfect < 1e-14);
  CHECK(std::abs(metrics::log_loss(bad.y_true, bad.scores, 3) + std::log(metrics::kLogLossEps)) < 1e-9);
  CHECK(std::abs(metrics::log_loss(bad.y_true, bad.scores, 3, 1e-15) + std::log(1e-15)) < 1e-9);
}

// ---- the rules, by hand -----------------------------------------------------------------

TEST_CASE("top-k accuracy: sklearn's documented example and the tie rule", "[metrics]") {
  // sklearn's docstring example: 3 of 4 true classes are in the top 2
  std::vector<std::int64_t> y{0, 1, 2, 2};
  std::vector<double> s{0.5, 0.2, 0.2, 0.3, 0.4, 0.2, 0.2, 0.4, 0.3, 0.7, 0.2, 0.1};
  CHECK(metrics::top_k_accuracy(y, s, 3, 2) == 0.75);
  // Row (0.5, 0.5, 0): class 1 ranks before class 0, so top-1 counts label 1 and not label 0.
  std::vector<double> tied{0.5, 0.5, 0.0};
  CHECK(metrics::top_k_accuracy({0}, tied, 3, 1) == 0.0);
  CHECK(metrics::top_k_accuracy({1}, tied, 3, 1) == 1.0);
  CHECK(metrics::top_k_accuracy({0}, tied, 3, 2) == 1.0);
  CHECK(metrics::top_k_accuracy({2}, tied, 3, 2) == 0.0);
  CHECK(metrics::top_k_accuracy({2}, tied, 3, 5) == 1.0);  // k beyond the class count
  // two classes use the same ranking
  CHECK(metrics::top_k_accuracy({0, 1}, {0.5, 0.5, 0.9, 0.1}, 2, 1) == 0.0);
}

TEST_CASE("ROC: a tie between a positive and a negative is one diagonal step worth half", "[metrics][roc]") {
  auto curve = metrics::roc_curve_binary({1, 0, 1, 0}, {0.9, 0.5, 0.5, 0.1});
  CHECK(curve.fpr == std::vector<double>{0.0, 0.0, 0.5, 1.0});
  CHECK(curve.tpr == std::vector<double>{0.0, 0.5, 1.0, 1.0});
  CHECK(curve.thresholds == std::vector<double>{std::numeric_limits<double>::infinity(), 0.9, 0.5, 0.1});
  CHECK(curve.positives == 2);
  CHECK(curve.negatives == 2);
  // Mann-Whitney: pairs (pos, neg) ranked right 3 times, tied once: 3.5 / 4
  CHECK(metrics::roc_auc(curve) == 0.875);
  // a one-sided binary problem has no AUC
  CHECK_FALSE(metrics::roc_auc(metrics::roc_curve_binary({1, 1}, {0.2, 0.4})).has_value());
}

TEST_CASE("auc: trapezoids in either direction", "[metrics][roc]") {
  CHECK(metrics::auc({0, 1, 2}, {0, 1, 1}) == 1.5);
  CHECK(metrics::auc({2, 1, 0}, {1, 1, 0}) == 1.5);
  CHECK(metrics::auc({0, 0, 1}, {0, 1, 1}) == 1.0);  // a vertical step has no area
}

TEST_CASE("macro ROC curve: vertical jumps are averaged at both ends", "[metrics][roc]") {
  // A jumps from tpr 0 to 1 at fpr 0.5; B is the diagonal. At fpr 0.5 the mean runs from
  // (0 + 0.5) / 2 to (1 + 0.5) / 2; both AUCs are 0.5 and so is the mean curve's area.
  // (Reading A at the top of its jump, as np.interp does, would give 0.625.)
  metrics::RocCurve a, b;
  a.fpr = {0, 0.5, 0.5, 1};
  a.tpr = {0, 0, 1, 1};
  b.fpr = {0, 1};
  b.tpr = {0, 1};
  a.positives = b.positives = a.negatives = b.negatives = 2;
  auto mean = metrics::macro_roc_curve({a, b});
  REQUIRE(mean.has_value());
  CHECK(mean->fpr == std::vector<double>{0, 0.5, 0.5, 1});
  CHECK(mean->tpr == std::vector<double>{0, 0.25, 0.75, 1});
  CHECK(metrics::auc(mean->fpr, mean->tpr) == 0.5);
  CHECK(metrics::macro_roc_auc({a, b}) == 0.5);
  // an undefined curve is skipped; none defined gives no curve
  metrics::RocCurve undefined;
  undefined.fpr = {0, 1};
  undefined.tpr = {std::nan(""), std::nan("")};
  undefined.negatives = 2;
  CHECK(metrics::macro_roc_curve({a, undefined, b})->tpr == mean->tpr);
  CHECK_FALSE(metrics::macro_roc_curve({undefined}).has_value());
  CHECK_FALSE(metrics::macro_roc_auc({undefined}).has_value());
}

TEST_CASE("log loss renormalises rows after clipping", "[metrics]") {
  // (0.2, 0.6) is read as (0.25, 0.75); a zero is clipped to eps before renormalising
  CHECK(std::abs(metrics::log_loss({1}, {0.2, 0.6}, 2) + std::log(0.75)) < 1e-15);
  CHECK(std::abs(metrics::log_loss({0, 1}, {0.0, 1.0, 0.5, 0.5}, 2, 0.1) -
                 (-std::log(0.1) - std::log(0.5)) / 2.0) < 1e-15);
}

TEST_CASE("confusion matrix: rows are true classes, columns predictions", "[metrics]") {
  auto cm = metrics::confusion_matrix({0, 0, 1, 2}, {0, 1, 1, 1}, 3);
  CHECK(cm.counts == std::vector<std::int64_t>{1, 1, 0, 0, 1, 0, 0, 1, 0});
  CHECK(cm(0, 1) == 1);
  CHECK(cm(2, 1) == 1);
  CHECK(cm.row_normalized() == std::vector<double>{0.5, 0.5, 0, 0, 1, 0, 0, 1, 0});
}

// ---- validation -------------------------------------------------------------------------

TEST_CASE("metrics refuse bad input with messages naming the values", "[metrics][errors]") {
  using ember::IndexError;
  using ember::ShapeError;
  using ember::ValueError;
  const std::vector<double> scores{0.2, 0.3, 0.5, 0.1, 0.1, 0.8};  // [2, 3]

  CHECK_ERROR(metrics::accuracy({0, 1, 2}, {0, 1}), ShapeError,
              "accuracy: expected y_pred of the same length as y_true (3), got 2");
  CHECK_ERROR(metrics::accuracy({}, {}), ValueError, "accuracy: expected at least one sample, got 0");

  CHECK_ERROR(metrics::confusion_matrix({0, 1}, {0, 3}, 3), ValueError,
              "confusion_matrix: expected labels in [0, 3), got y_pred[1] = 3");
  CHECK_ERROR(metrics::confusion_matrix({-1, 1}, {0, 1}, 3), ValueError,
              "confusion_matrix: expected labels in [0, 3), got y_true[0] = -1");
  CHECK_ERROR(metrics::confusion_matrix({0}, {0}, 0), ValueError, "confusion_matrix: expected num_classes >= 1, got 0");
  CHECK_ERROR(metrics::confusion_matrix({0}, {0}, 2)(2, 0), IndexError,
              "ConfusionMatrix: expected classes in [0, 2), got (2, 0)");

  metrics::ConfusionMatrix broken;
  broken.num_classes = 3;
  broken.counts.assign(8, 1);
  CHECK_ERROR(metrics::precision_recall_f1(broken), ShapeError,
              "precision_recall_f1: expected 9 counts for 3 classes, got 8");
  broken.counts.assign(9, 0);
  CHECK_ERROR(metrics::precision_recall_f1(broken), ValueError,
              "precision_recall_f1: expected at least one sample, got 0");
  CHECK_ERROR(metrics::precision_recall_f1({0, 1}, {0}, 2), ShapeError,
              "confusion_matrix: expected y_pred of the same length as y_true (2), got 1");

  CHECK_ERROR(metrics::top_k_accuracy({0, 1}, scores, 3, 0), ValueError, "top_k_accuracy: expected k >= 1, got 0");
  CHECK_ERROR(metrics::top_k_accuracy({0, 1}, {0.2, 0.3, 0.5, 0.1, 0.1}, 3, 1), ShapeError,
              "top_k_accuracy: expected scores of shape [2, 3] (6 values), got 5 values");
  CHECK_ERROR(metrics::top_k_accuracy({0, 1}, {0.2, 0.3, 0.5, 0.1, std::nan(""), 0.8}, 3, 1), ValueError,
              "top_k_accuracy: expected finite scores, got nan in row 1 (column 1)");

  CHECK_ERROR(metrics::log_loss({0, 1}, {0.2, 0.3, 0.5, 0.1, 0.1, std::numeric_limits<double>::infinity()}, 3),
              ValueError, "log_loss: expected finite probabilities, got inf in row 1 (column 2)");
  CHECK_ERROR(metrics::log_loss({0, 3}, scores, 3), ValueError,
              "log_loss: expected labels in [0, 3), got y_true[1] = 3");
  CHECK_ERROR(metrics::log_loss({0, 0}, {1.0, 1.0}, 1), ValueError, "log_loss: expected num_classes >= 2, got 1");
  CHECK_ERROR(metrics::log_loss({0, 1}, scores, 3, 0.5), ValueError, "log_loss: expected 0 < eps < 0.5, got 0.5");
  CHECK_ERROR(metrics::log_loss({0, 1}, scores, 3, 0.0), ValueError, "log_loss: expected 0 < eps < 0.5, got 0");

  CHECK_ERROR(metrics::roc_curve({0, 1}, scores, 3, 3), IndexError, "roc_curve: expected class in [0, 3), got 3");
  CHECK_ERROR(metrics::roc_curves({0, 1, 2}, scores, 3), ShapeError,
              "roc_curves: expected scores of shape [3, 3] (9 values), got 6 values");
  CHECK_ERROR(metrics::micro_roc_curve({}, {}, 3), ValueError, "micro_roc_curve: expected at least one sample, got 0");
  CHECK_ERROR(metrics::roc_curve_binary({0, 2}, {0.1, 0.2}), ValueError,
              "roc_curve_binary: expected labels in [0, 2), got y_true[1] = 2");
  CHECK_ERROR(metrics::roc_curve_binary({0, 1}, {0.1}), ShapeError,
              "roc_curve_binary: expected scores of the same length as y_true (2), got 1");
  CHECK_ERROR(metrics::roc_curve_binary({0, 1}, {0.1, -std::numeric_limits<double>::infinity()}), ValueError,
              "roc_curve_binary: expected finite scores, got -inf at index 1");

  CHECK_ERROR(metrics::auc({0, 1, 0.5}, {0, 1, 1}), ValueError,
              "auc: expected x non-decreasing or non-increasing, got x[2] = 0.5 after x[1] = 1 in an increasing sequence");
  CHECK_ERROR(metrics::auc({0}, {0}), ValueError, "auc: expected at least 2 points, got 1");
  CHECK_ERROR(metrics::auc({0, 1}, {0}), ShapeError, "auc: expected y of the same length as x (2), got 1");
  CHECK_ERROR(metrics::auc({0, std::nan("")}, {0, 1}), ValueError,
              "auc: expected finite points, got (nan, 1) at index 1");

  metrics::RocCurve bad;
  bad.fpr = {0, 0.5};
  bad.tpr = {0, 1};
  bad.positives = bad.negatives = 1;
  CHECK_ERROR(metrics::macro_roc_curve({bad}), ValueError, "macro_roc_curve: curve 0: expected fpr from 0 to 1, got 0 to 0.5");
}
