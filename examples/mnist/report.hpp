#pragma once
// The evaluation report: what PyTorch's MNIST notebook shows with matplotlib and scikit-learn,
// as files in one folder. report.html is self-contained (inline SVG, embedded PNG); the same
// charts and grids are also written as separate files, and the numbers as metrics.json.
//
//   report/report.html                  everything below on one page
//   report/loss.svg, accuracy.svg       train/validation curves per epoch (from history.csv)
//   report/confusion_matrix.svg         counts, rows true, columns predicted
//   report/roc.svg, roc_zoom.svg        one-vs-rest ROC of each class, micro/macro averages;
//                                       the whole square and its top-left corner
//   report/samples.png                  the first test images with true and predicted label
//   report/confident_mistakes.png       the wrong predictions the model was surest of
//   report/metrics.json                 accuracy, loss, per-class scores, AUCs, confusion matrix
//
// metrics.json holds no timings, so that two runs with the same seed give identical files.
//
// The classes are named as classes.hpp says: "digit 7" for an MNIST model, the class names
// (and the word "class") for a model trained with --class-names.

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <ember/ember.hpp>
#include <ember/viz.hpp>
#include <ember/metrics.hpp>

#include "classes.hpp"
#include "history.hpp"
#include "test_run.hpp"

namespace mnist {

// What the report says about the run besides the test pass itself.
struct ReportContext {
  std::string model_path;
  ember::io::Metadata model_metadata;  // as load_model returned it
  ember::index_t parameters = 0;
  std::vector<EpochRecord> history;  // empty when no history.csv was found
  std::vector<std::pair<std::string, std::string>> evaluation_settings;
  ClassNames classes;  // from the model file's metadata (class_names_of)
};

// Every metric of the test pass, computed once for the files and the page.
struct TestMetrics {
  ember::metrics::ConfusionMatrix confusion;
  ember::metrics::ClassificationReport scores;
  ember::metrics::RocSummary roc;
  double accuracy = 0, top2 = 0, top3 = 0, log_loss = 0;
};

inline TestMetrics compute_metrics(const TestRun& run) {
  namespace m = ember::metrics;
  TestMetrics t;
  t.confusion = m::confusion_matrix(run.labels, run.predicted, kClasses);
  t.scores = m::precision_recall_f1(t.confusion);
  t.roc = m::roc_one_vs_rest(run.labels, run.probabilities, kClasses);
  t.accuracy = m::accuracy(run.labels, run.predicted);
  t.top2 = m::top_k_accuracy(run.labels, run.probabilities, kClasses, 2);
  t.top3 = m::top_k_accuracy(run.labels, run.probabilities, kClasses, 3);
  t.log_loss = m::log_loss(run.labels, run.probabilities, kClasses);
  return t;
}

namespace report_detail {

namespace json = ember::io::json;

inline json::Value optional_number(const std::optional<double>& v) { return v ? json::Value(*v) : json::Value(); }

inline std::string fixed(double v, int decimals) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(decimals) << v;
  return s.str();
}

inline std::string optional_fixed(const std::optional<double>& v, int decimals) {
  return v ? fixed(*v, decimals) : "n/a";
}

inline std::string with_thousands(long long n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

inline std::string metadata_or(const ember::io::Metadata& meta, const std::string& key, const std::string& fallback) {
  auto it = meta.find(key);
  return it == meta.end() ? fallback : it->second;
}

inline std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

inline json::Value metrics_json(const TestRun& run, const TestMetrics& t, const ReportContext& ctx) {
  json::Value::Array per_class, matrix;
  for (int c = 0; c < kClasses; ++c) {
    const auto k = static_cast<std::size_t>(c);
    per_class.push_back(json::Value::Object{{"class", c},
                                            {"name", ctx.classes.name(c)},
                                            {"precision", t.scores.precision[k]},
                                            {"recall", t.scores.recall[k]},
                                            {"f1", t.scores.f1[k]},
                                            {"support", t.scores.support[k]},
                                            {"roc_auc", optional_number(t.roc.per_class_auc[k])}});
    json::Value::Array row;
    for (int p = 0; p < kClasses; ++p) row.push_back(t.confusion(c, p));
    matrix.push_back(std::move(row));
  }
  auto averaged = [](const ember::metrics::AveragedScores& a, const std::optional<double>& auc) {
    json::Value::Object o{{"precision", a.precision}, {"recall", a.recall}, {"f1", a.f1}};
    if (auc) o.emplace_back("roc_auc", *auc);
    return json::Value(std::move(o));
  };
  return json::Value::Object{
      {"model", ctx.model_path},
      {"architecture", metadata_or(ctx.model_metadata, "architecture", "unknown")},
      {"parameters", static_cast<std::int64_t>(ctx.parameters)},
      {"test_images", static_cast<std::int64_t>(run.size())},
      {"class_names", json::Value::Array(ctx.classes.names().begin(), ctx.classes.names().end())},
      {"correct", static_cast<std::int64_t>(run.correct())},
      {"accuracy", t.accuracy},
      {"loss", run.loss},
      {"log_loss", t.log_loss},
      {"top2_accuracy", t.top2},
      {"top3_accuracy", t.top3},
      {"macro_avg", averaged(t.scores.macro, t.roc.macro_auc)},
      {"weighted_avg", averaged(t.scores.weighted, std::nullopt)},
      {"micro_roc_auc", optional_number(t.roc.micro_auc)},
      {"per_class", std::move(per_class)},
      {"confusion_matrix", std::move(matrix)}};
}

// The classes' names cut to `columns` characters, for the confusion matrix's axes.
inline std::vector<std::string> axis_names(const ClassNames& classes, std::size_t columns) {
  std::vector<std::string> names;
  for (const std::string& name : classes.names()) names.push_back(shortened(name, columns));
  return names;
}

// The train curve and, when the run had a validation set, the validation curve.
inline std::vector<ember::viz::Series> epoch_series(const std::vector<EpochRecord>& history, double scale,
                                                    double EpochRecord::*train_value,
                                                    double EpochRecord::*val_value) {
  ember::viz::Series train{"train", {}, {}}, val{"validation", {}, {}};
  for (const auto& r : history) {
    train.x.push_back(r.epoch), train.y.push_back(scale * (r.*train_value));
    if (r.validated()) val.x.push_back(r.epoch), val.y.push_back(scale * (r.*val_value));
  }
  if (val.x.empty()) return {train};
  return {train, val};
}

inline std::string loss_chart(const std::vector<EpochRecord>& history) {
  return ember::viz::line_chart("Loss per epoch", "epoch", "cross-entropy loss",
                                epoch_series(history, 1, &EpochRecord::train_loss, &EpochRecord::val_loss));
}

inline std::string accuracy_chart(const std::vector<EpochRecord>& history) {
  return ember::viz::line_chart("Accuracy per epoch", "epoch", "accuracy (%)",
                                epoch_series(history, 100, &EpochRecord::train_accuracy, &EpochRecord::val_accuracy));
}

inline std::string confusion_chart(const TestMetrics& t, const ClassNames& classes) {
  ember::viz::HeatmapOptions options;
  if (classes.named()) options.cell_size = 60;  // about 9 characters under each column
  return ember::viz::heatmap("Confusion matrix (test set)", t.confusion.counts, kClasses, kClasses,
                             axis_names(classes, 12), axis_names(classes, 9), options);
}

// The whole ROC square, or its top-left corner, where a good model's curves differ.
inline std::string roc_chart(const TestMetrics& t, const ClassNames& classes, bool zoomed) {
  std::vector<std::string> names;
  for (int c = 0; c < kClasses; ++c) names.push_back(classes.named() ? classes.name(c) : "digit " + std::to_string(c));
  if (!zoomed)
    return ember::viz::roc_plot("ROC curves, one " + classes.noun() + " vs the rest (test set)", t.roc, names);
  return ember::viz::roc_plot("ROC curves, top-left corner: false positive rate up to 5%", t.roc, names, {},
                              ember::viz::RocView{0.05, 0.9});
}

// A grid caption with class names: two lines, "true NAME" and "pred NAME", each name cut to 10
// characters so that a tile stays about as wide as its image. MNIST keeps "true 7 / pred 1".
inline std::string grid_caption(const TestRun& run, std::size_t i, const ClassNames& classes) {
  if (!classes.named()) return {};
  return "true " + shortened(classes.name(run.labels[i]), 10) + "\npred " +
         shortened(classes.name(run.predicted[i]), 10);
}

inline ember::viz::GridImage grid_image(const TestRun& run, std::size_t i, const ClassNames& classes) {
  const std::uint8_t* pixels = run.images.image(static_cast<ember::index_t>(i));
  return {std::vector<std::uint8_t>(pixels, pixels + 28 * 28), static_cast<int>(run.labels[i]),
          static_cast<int>(run.predicted[i]), grid_caption(run, i, classes)};
}

// The first `count` test images in order (a fair sample, mostly right), then up to
// `wrong_count` more: the first wrong predictions after them, so that both kinds show.
inline std::vector<std::size_t> sample_indices(const TestRun& run, std::size_t count, std::size_t wrong_count) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < run.size() && i < count; ++i) out.push_back(i);
  for (std::size_t i = out.size(), added = 0; i < run.size() && added < wrong_count; ++i)
    if (run.labels[i] != run.predicted[i]) out.push_back(i), ++added;
  return out;
}

// Wrong predictions, the most confident (highest predicted probability) first.
inline std::vector<std::size_t> confident_mistakes(const TestRun& run, std::size_t count) {
  std::vector<std::size_t> wrong;
  for (std::size_t i = 0; i < run.size(); ++i)
    if (run.labels[i] != run.predicted[i]) wrong.push_back(i);
  std::stable_sort(wrong.begin(), wrong.end(), [&](std::size_t a, std::size_t b) {
    return run.probability(a, run.predicted[a]) > run.probability(b, run.predicted[b]);
  });
  if (wrong.size() > count) wrong.resize(count);
  return wrong;
}

inline std::vector<unsigned char> grid_png(const TestRun& run, const std::vector<std::size_t>& indices,
                                           const ClassNames& classes) {
  std::vector<ember::viz::GridImage> images;
  for (std::size_t i : indices) images.push_back(grid_image(run, i, classes));
  return ember::viz::image_grid_png(images);
}

// The grid's alt text: what it shows and, with class names, every caption (image i: true /
// predicted), so that the page says in words what the picture says in pixels.
inline std::string grid_alt(const std::string& what, const TestRun& run, const std::vector<std::size_t>& indices,
                            const ClassNames& classes) {
  if (!classes.named()) return what;
  std::string alt = what + ":";
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const std::size_t i = indices[k];
    alt += (k ? "; " : " ") + std::string("image ") + std::to_string(i) + " true " + classes.name(run.labels[i]) +
           " / pred " + classes.name(run.predicted[i]);
  }
  return alt;
}

inline void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
  ember::io::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

inline ember::viz::Section summary_section(const TestRun& run, const TestMetrics& t, const ReportContext& ctx) {
  ember::viz::Section s{"Summary"};
  const double train_seconds = std::accumulate(ctx.history.begin(), ctx.history.end(), 0.0,
                                               [](double sum, const EpochRecord& r) { return sum + r.seconds; });
  const std::string kept_epoch = (any_validated(ctx.history) ? "best epoch " : "no validation set, model of epoch ") +
                                 metadata_or(ctx.model_metadata, "epoch", "?");
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(ctx.model_path, ec);
  std::vector<std::pair<std::string, std::string>> items{
      {"test accuracy", format_percent(t.accuracy) + " (" + with_thousands(run.correct()) + " of " +
                            with_thousands(static_cast<long long>(run.size())) + " images)"},
      {"test loss", fixed(run.loss, 4) + " (mean cross-entropy)"},
      {"top-2 / top-3 accuracy", format_percent(t.top2) + " / " + format_percent(t.top3)},
      {"macro F1", fixed(t.scores.macro.f1, 4)},
      {"ROC AUC macro / micro", optional_fixed(t.roc.macro_auc, 5) + " / " + optional_fixed(t.roc.micro_auc, 5)},
      {"model file", ctx.model_path + (ec ? "" : " (" + with_thousands(static_cast<long long>(bytes)) + " bytes)")},
      {"architecture", metadata_or(ctx.model_metadata, "architecture", "unknown") + ", " +
                           with_thousands(ctx.parameters) + " parameters"},
      {"trained", ctx.history.empty() ? "no history.csv next to the model"
                                      : std::to_string(ctx.history.size()) + " epochs in " + fixed(train_seconds, 1) +
                                            " s; " + kept_epoch},
      {"training command", metadata_or(ctx.model_metadata, "train_command", "not recorded in the model file")},
      {"evaluation time", fixed(run.seconds, 2) + " s (" +
                              with_thousands(std::llround(static_cast<double>(run.size()) / std::max(run.seconds, 1e-9))) +
                              " images/s, " + std::to_string(ember::get_num_threads()) + " threads)"}};
  for (const auto& item : ctx.evaluation_settings) items.push_back(item);
  items.emplace_back("ember version", ember::version());
  items.emplace_back("report written", utc_now());
  s.add_settings(std::move(items));
  return s;
}

inline ember::viz::Section training_section(const ReportContext& ctx, std::string loss_svg, std::string accuracy_svg) {
  ember::viz::Section s{"Training"};
  if (ctx.history.empty()) {
    s.add_text("No history.csv was found next to the model file, so there are no training curves.");
    return s;
  }
  s.add_svg(std::move(loss_svg)).add_svg(std::move(accuracy_svg));
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : ctx.history)
    rows.push_back({std::to_string(r.epoch), fixed(r.lr, 4), fixed(r.train_loss, 4), format_percent(r.train_accuracy),
                    r.validated() ? fixed(r.val_loss, 4) : "–", r.validated() ? format_percent(r.val_accuracy) : "–",
                    fixed(r.seconds, 1)});
  s.add_table({"epoch", "lr", "train loss", "train acc", "val loss", "val acc", "seconds"}, std::move(rows));
  // With augmentation and dropout the train curve sits below the validation curve; say why.
  s.add_text("Train loss and accuracy are running figures over the epoch's batches in training mode (dropout "
             "active, and augmented images when augmentation is on), so they can lie below the validation "
             "figures, which are measured after the epoch in evaluation mode on unaltered images.");
  return s;
}

inline ember::viz::Section metrics_section(const TestMetrics& t, const ClassNames& classes) {
  ember::viz::Section s{"Per-class metrics (test set)"};
  std::vector<std::vector<std::string>> rows;
  for (int c = 0; c < kClasses; ++c) {
    const auto k = static_cast<std::size_t>(c);
    rows.push_back({classes.name(c), fixed(t.scores.precision[k], 4), fixed(t.scores.recall[k], 4),
                    fixed(t.scores.f1[k], 4), std::to_string(t.scores.support[k]),
                    optional_fixed(t.roc.per_class_auc[k], 5)});
  }
  const auto total = std::accumulate(t.scores.support.begin(), t.scores.support.end(), std::int64_t{0});
  rows.push_back({"macro avg", fixed(t.scores.macro.precision, 4), fixed(t.scores.macro.recall, 4),
                  fixed(t.scores.macro.f1, 4), std::to_string(total), optional_fixed(t.roc.macro_auc, 5)});
  rows.push_back({"weighted avg", fixed(t.scores.weighted.precision, 4), fixed(t.scores.weighted.recall, 4),
                  fixed(t.scores.weighted.f1, 4), std::to_string(total), ""});
  rows.push_back({"micro avg", "", "", "", "", optional_fixed(t.roc.micro_auc, 5)});
  const std::string noun = classes.noun();
  s.add_table({noun, "precision", "recall", "F1", "support", "ROC AUC"}, std::move(rows));
  s.add_text("ROC AUC: one " + noun + " against the other nine, from the predicted probability of that " + noun +
             ". Micro average: one curve over all (image, " + noun + ") pairs.");
  return s;
}

inline ember::viz::Section mistakes_section(const TestRun& run, const std::vector<std::size_t>& mistakes,
                                           std::vector<unsigned char> png, const ClassNames& classes) {
  ember::viz::Section s{"Most confident mistakes"};
  if (mistakes.empty()) {
    s.add_text("The model classified every test image correctly.");
    return s;
  }
  s.add_png(std::move(png), grid_alt("the most confident wrong predictions", run, mistakes, classes));
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i : mistakes)
    rows.push_back({std::to_string(i), classes.name(run.labels[i]), classes.name(run.predicted[i]),
                    format_percent(run.probability(i, run.predicted[i])),
                    format_percent(run.probability(i, run.labels[i]))});
  s.add_table({"test image", "true", "predicted", "p(predicted)", "p(true)"}, std::move(rows));
  return s;
}

}  // namespace report_detail

// Writes the report folder `dir` (created if needed) and returns the path of report.html.
inline std::string write_report(const std::string& dir, const TestRun& run, const ReportContext& ctx) {
  namespace d = report_detail;
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const TestMetrics t = compute_metrics(run);
  const auto samples = d::sample_indices(run, 40, 10);
  const auto mistakes = d::confident_mistakes(run, 30);
  const ClassNames& classes = ctx.classes;
  const std::string confusion_svg = d::confusion_chart(t, classes), roc_svg = d::roc_chart(t, classes, false),
                    roc_zoom_svg = d::roc_chart(t, classes, true);
  const auto samples_png = d::grid_png(run, samples, classes);
  auto mistakes_png = mistakes.empty() ? std::vector<unsigned char>{} : d::grid_png(run, mistakes, classes);

  ember::io::write_file_atomic(dir + "/metrics.json", d::json::write_pretty(d::metrics_json(run, t, ctx)));
  ember::io::write_file_atomic(dir + "/confusion_matrix.svg", confusion_svg);
  ember::io::write_file_atomic(dir + "/roc.svg", roc_svg);
  ember::io::write_file_atomic(dir + "/roc_zoom.svg", roc_zoom_svg);
  d::write_bytes(dir + "/samples.png", samples_png);
  // Files of an earlier report that this one does not replace would describe another model.
  fs::remove(dir + "/confident_mistakes.png");
  if (!mistakes.empty()) d::write_bytes(dir + "/confident_mistakes.png", mistakes_png);
  fs::remove(dir + "/loss.svg");
  fs::remove(dir + "/accuracy.svg");
  std::string loss_svg, accuracy_svg;
  if (!ctx.history.empty()) {
    loss_svg = d::loss_chart(ctx.history), accuracy_svg = d::accuracy_chart(ctx.history);
    ember::io::write_file_atomic(dir + "/loss.svg", loss_svg);
    ember::io::write_file_atomic(dir + "/accuracy.svg", accuracy_svg);
  }
  std::vector<ember::viz::Section> sections{d::summary_section(run, t, ctx),
                                            d::training_section(ctx, loss_svg, accuracy_svg),
                                            d::metrics_section(t, classes)};
  sections.push_back(ember::viz::Section{"Confusion matrix"}.add_svg(confusion_svg).add_text(
      "Rows: the true " + classes.noun() + "; columns: the predicted " + classes.noun() +
      "; each cell counts test images."));
  sections.push_back(ember::viz::Section{"ROC curves"}.add_svg(roc_svg).add_svg(roc_zoom_svg));
  sections.push_back(ember::viz::Section{"Sample predictions"}
                         .add_png(samples_png, d::grid_alt("the first test images with their predictions", run,
                                                           samples, classes))
                         .add_text("The first " + std::to_string(std::min<std::size_t>(40, run.size())) +
                                   " test images, then the next wrong predictions in test-set order; "
                                   "a red frame marks a wrong prediction."));
  sections.push_back(d::mistakes_section(run, mistakes, std::move(mistakes_png), classes));
  const std::string html_path = dir + "/report.html";
  // "MNIST" only for MNIST itself: a model with class names was trained on another data set.
  const std::string title = classes.named() ? "Evaluation report" : "MNIST evaluation report";
  ember::io::write_file_atomic(html_path, ember::viz::html_report(title, sections));
  return html_path;
}

}  // namespace mnist
