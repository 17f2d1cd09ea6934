#pragma once
// SVG charts as text: line charts (loss/accuracy curves), heatmaps (confusion matrices) and
// ROC plots. viz takes plain numbers, never tensors, and writes SVG directly: no dependency.
//
//   std::string svg = ember::viz::line_chart("Loss", "epoch", "loss",
//                                            {{"train", {1, 2, 3}, {0.9, 0.5, 0.3}},
//                                             {"test", {1, 2, 3}, {0.8, 0.6, 0.5}}});
//   ember::io::write_file_atomic("loss.svg", svg);
//
// Every piece of text (titles, labels, legend entries) is escaped for XML, so the output is a
// well-formed standalone SVG document that can also be inlined into HTML (viz/report.hpp).
// Non-finite points (NaN, inf) are skipped: the line breaks there.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <ember/core/error.hpp>
#include <ember/metrics/roc.hpp>

namespace ember::viz {

// One line of a line chart: x[i], y[i] are the points, in drawing order.
struct Series {
  std::string name;
  std::vector<double> x, y;
};

// One ROC curve: false positive rate on x, true positive rate on y; auc shown in the legend.
struct RocSeries {
  std::string name;
  std::vector<double> fpr, tpr;
  std::optional<double> auc;
};

struct ChartSize {
  int width = 760;
  int height = 460;
};

// The part of the ROC square a plot shows: [0, max_fpr] x [min_tpr, 1]. A good classifier's
// curves hug the top-left corner; a zoomed view (say max_fpr 0.05, min_tpr 0.9) tells them apart.
struct RocView {
  double max_fpr = 1.0;
  double min_tpr = 0.0;
};

struct HeatmapOptions {
  std::string x_label = "predicted";
  std::string y_label = "true";
  // Text drawn in each cell (rows x cols); empty: the values themselves, as %g.
  std::vector<std::vector<std::string>> cell_text;
  int cell_size = 44;
};

namespace detail {

inline std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

// A coordinate, with two decimals: short output, sub-pixel precision.
inline std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

inline std::string fmt_g(double v, int digits = 4) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

// Ticks at multiples of 1, 2 or 5 times a power of ten, covering [lo, hi].
struct Ticks {
  double lo = 0, hi = 1, step = 1;
  int decimals = 0;
  std::vector<double> values;
  std::string label(double v) const {
    char buf[48];
    if (std::abs(v) < step * 1e-9) v = 0.0;  // no "-0.0"
    double mag = std::max(std::abs(lo), std::abs(hi));
    if (mag >= 1e6 || (mag > 0 && mag < 1e-4)) {
      std::snprintf(buf, sizeof buf, "%.3g", v);
    } else {
      std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    }
    return buf;
  }
};

// min_step: e.g. 1 for whole numbers such as epochs, so that no tick falls between them.
inline Ticks nice_ticks(double lo, double hi, int target = 6, double min_step = 0) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= 0) {
    double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  double raw = (hi - lo) / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / mag;
  double mult = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  Ticks t;
  t.step = std::max(mult * mag, min_step);
  t.lo = std::floor(lo / t.step + 1e-9) * t.step;
  t.hi = std::ceil(hi / t.step - 1e-9) * t.step;
  t.decimals = std::max(0, -static_cast<int>(std::floor(std::log10(t.step) + 1e-9)));
  const int n = static_cast<int>(std::lround((t.hi - t.lo) / t.step));
  for (int i = 0; i <= n; ++i) t.values.push_back(t.lo + i * t.step);
  return t;
}

inline const char* palette(std::size_t i) {
  static const char* const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return colours[i % 10];
}

inline std::string svg_open(int w, int h, const std::string& title) {
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" +
                  std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
                  "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n";
  s += "<title>" + xml_escape(title) + "</title>\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text class=\"title\" x=\"" + num(w / 2.0) + "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\" "
       "font-weight=\"bold\">" + xml_escape(title) + "</text>\n";
  return s;
}

inline std::string text(double x, double y, const std::string& s, const char* anchor = "start",
                        const std::string& extra = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor + "\"" +
         (extra.empty() ? "" : " " + extra) + ">" + xml_escape(s) + "</text>\n";
}

// The plot area in pixels and the data ranges it shows.
struct Frame {
  double left, top, width, height;
  Ticks xt, yt;
  double px(double x) const { return left + (x - xt.lo) / (xt.hi - xt.lo) * width; }
  double py(double y) const { return top + height - (y - yt.lo) / (yt.hi - yt.lo) * height; }
};

// Grid lines, tick labels, axis box and axis labels.
inline std::string axes(const Frame& f, const std::string& x_label, const std::string& y_label) {
  std::string s = "<g class=\"axes\">\n";
  for (double v : f.xt.values) {
    double x = f.px(v);
    s += "<line x1=\"" + num(x) + "\" y1=\"" + num(f.top) + "\" x2=\"" + num(x) + "\" y2=\"" +
         num(f.top + f.height) + "\" stroke=\"#e6e6e6\"/>\n";
    s += "<line x1=\"" + num(x) + "\" y1=\"" + num(f.top + f.height) + "\" x2=\"" + num(x) + "\" y2=\"" +
         num(f.top + f.height + 5) + "\" stroke=\"#333\"/>\n";
    s += text(x, f.top + f.height + 18, f.xt.label(v), "middle", "class=\"tick\"");
  }
  for (double v : f.yt.values) {
    double y = f.py(v);
    s += "<line x1=\"" + num(f.left) + "\" y1=\"" + num(y) + "\" x2=\"" + num(f.left + f.width) + "\" y2=\"" +
         num(y) + "\" stroke=\"#e6e6e6\"/>\n";
    s += "<line x1=\"" + num(f.left - 5) + "\" y1=\"" + num(y) + "\" x2=\"" + num(f.left) + "\" y2=\"" + num(y) +
         "\" stroke=\"#333\"/>\n";
    s += text(f.left - 8, y + 4, f.yt.label(v), "end", "class=\"tick\"");
  }
  s += "<rect x=\"" + num(f.left) + "\" y=\"" + num(f.top) + "\" width=\"" + num(f.width) + "\" height=\"" +
       num(f.height) + "\" fill=\"none\" stroke=\"#333\"/>\n";
  s += text(f.left + f.width / 2, f.top + f.height + 40, x_label, "middle", "class=\"axis-label\"");
  const double ly = f.top + f.height / 2;
  s += "<text class=\"axis-label\" x=\"0\" y=\"0\" text-anchor=\"middle\" transform=\"translate(" +
       num(f.left - 52) + "," + num(ly) + ") rotate(-90)\">" + xml_escape(y_label) + "</text>\n";
  s += "</g>\n";
  return s;
}

// Polylines through the finite points, split where a point is not finite.
inline std::string polyline(const Frame& f, const std::vector<double>& x, const std::vector<double>& y,
                            const std::string& style) {
  std::string s, pts;
  int count = 0;
  double last_x = 0, last_y = 0;
  auto flush = [&] {
    if (count >= 1) s += "<polyline fill=\"none\" " + style + " points=\"" + pts + "\"/>\n";
    pts.clear();
    count = 0;
  };
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
      flush();
      continue;
    }
    const double px = f.px(x[i]), py = f.py(y[i]);
    // Thin dense curves (ROC curves have a point per distinct score): drop points within a
    // quarter pixel of the last one kept, except the last point of a run.
    const bool last = i + 1 == x.size() || i + 1 == y.size() || !std::isfinite(x[i + 1]) || !std::isfinite(y[i + 1]);
    if (count && !last && std::abs(px - last_x) < 0.25 && std::abs(py - last_y) < 0.25) continue;
    if (count) pts += ' ';
    pts += num(px) + "," + num(py);
    last_x = px, last_y = py;
    ++count;
  }
  flush();
  return s;
}

struct LegendEntry {
  std::string label, style;
};

// The legend to the right of the plot area, one entry per line.
inline std::string legend(double x, double y, const std::vector<LegendEntry>& entries) {
  std::string s = "<g class=\"legend\">\n";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    double yy = y + 18.0 * static_cast<double>(i);
    s += "<line x1=\"" + num(x) + "\" y1=\"" + num(yy) + "\" x2=\"" + num(x + 24) + "\" y2=\"" + num(yy) + "\" " +
         entries[i].style + "/>\n";
    s += text(x + 30, yy + 4, entries[i].label, "start", "class=\"legend-entry\"");
  }
  s += "</g>\n";
  return s;
}

// The plot area of a chart of `size` whose legend (right of the plot) holds `labels`; width
// and height grow when the legend needs more room than `size` leaves.
inline Frame make_frame(const ChartSize& size, const std::vector<std::string>& labels, const Ticks& xt,
                        const Ticks& yt, int& width, int& height) {
  std::size_t longest = 0;
  for (const std::string& l : labels) longest = std::max(longest, l.size());
  const int legend_w = 16 + 30 + 7 * static_cast<int>(longest) + 12;  // ~7 px per character at 12 px
  height = std::max(size.height, 60 + 18 * static_cast<int>(labels.size()) + 40);
  Frame f;
  f.left = 72;
  f.top = 44;
  f.width = std::max(160, size.width - 72 - 210);
  width = std::max(size.width, static_cast<int>(f.left + f.width) + legend_w);
  f.height = height - f.top - 62;
  f.xt = xt;
  f.yt = yt;
  return f;
}

}  // namespace detail

// Series of at most this many points get a marker at each point.
inline constexpr std::size_t kMaxMarkedPoints = 60;

// A line chart of several series with nice axis ticks, a title and a legend.
inline std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                              const std::vector<Series>& series, const ChartSize& size = {}) {
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const Series& s : series) {
    EMBER_CHECK(s.x.size() == s.y.size(), ShapeError, "viz::line_chart", "series '", s.name, "' has ", s.x.size(),
                " x values but ", s.y.size(), " y values");
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xlo = std::min(xlo, s.x[i]);
      xhi = std::max(xhi, s.x[i]);
      ylo = std::min(ylo, s.y[i]);
      yhi = std::max(yhi, s.y[i]);
    }
  }
  if (xlo > xhi) xlo = 0, xhi = 1, ylo = 0, yhi = 1;  // nothing to draw
  bool whole_x = true;  // epochs, steps: ticks at whole numbers only
  for (const Series& s : series)
    for (double x : s.x) whole_x = whole_x && (!std::isfinite(x) || x == std::floor(x));
  std::vector<std::string> names;
  for (const Series& s : series) names.push_back(s.name);
  int width = 0, height = 0;
  detail::Frame f = detail::make_frame(size, names, detail::nice_ticks(xlo, xhi, 8, whole_x ? 1 : 0),
                                       detail::nice_ticks(ylo, yhi, 6),
                                       width, height);
  std::string svg = detail::svg_open(width, height, title);
  svg += detail::axes(f, x_label, y_label);
  std::vector<detail::LegendEntry> entries;
  for (std::size_t k = 0; k < series.size(); ++k) {
    std::string style = std::string("stroke=\"") + detail::palette(k) + "\" stroke-width=\"2\"";
    svg += "<g class=\"series\">\n" + detail::polyline(f, series[k].x, series[k].y, style);
    // Mark the points of short series (one per epoch, say): a single point would otherwise
    // be invisible, and the reader sees where the measurements are.
    for (std::size_t i = 0; series[k].x.size() <= kMaxMarkedPoints && i < series[k].x.size(); ++i) {
      if (!std::isfinite(series[k].x[i]) || !std::isfinite(series[k].y[i])) continue;
      svg += "<circle cx=\"" + detail::num(f.px(series[k].x[i])) + "\" cy=\"" + detail::num(f.py(series[k].y[i])) +
             "\" r=\"3\" fill=\"" + detail::palette(k) + "\"/>\n";
    }
    svg += "</g>\n";
    entries.push_back({series[k].name, style});
  }
  svg += detail::legend(f.left + f.width + 16, f.top + 8, entries);
  svg += "</svg>\n";
  return svg;
}

// A heatmap of a rows x cols matrix (a confusion matrix: rows true, columns predicted) with
// row and column labels, text in each cell and a colour scale bar. Empty label vectors mean
// "0, 1, 2, ...".
inline std::string heatmap(const std::string& title, const std::vector<std::vector<double>>& values,
                           std::vector<std::string> row_labels = {}, std::vector<std::string> col_labels = {},
                           const HeatmapOptions& options = {}) {
  const char* op = "viz::heatmap";
  const std::size_t rows = values.size(), cols = rows ? values[0].size() : 0;
  EMBER_CHECK(rows > 0 && cols > 0, ShapeError, op, "expected a non-empty matrix, got ", rows, " x ", cols);
  for (std::size_t r = 0; r < rows; ++r)
    EMBER_CHECK(values[r].size() == cols, ShapeError, op, "expected ", cols, " values in every row, got ",
                values[r].size(), " in row ", r);
  if (row_labels.empty())
    for (std::size_t r = 0; r < rows; ++r) row_labels.push_back(std::to_string(r));
  if (col_labels.empty())
    for (std::size_t c = 0; c < cols; ++c) col_labels.push_back(std::to_string(c));
  EMBER_CHECK(row_labels.size() == rows && col_labels.size() == cols, ShapeError, op, "expected ", rows,
              " row labels and ", cols, " column labels, got ", row_labels.size(), " and ", col_labels.size());
  const auto& cell_text = options.cell_text;
  EMBER_CHECK(cell_text.empty() || cell_text.size() == rows, ShapeError, op, "expected ", rows,
              " rows of cell text, got ", cell_text.size());
  for (const auto& row : cell_text)
    EMBER_CHECK(row.size() == cols, ShapeError, op, "expected ", cols, " cell texts per row, got ", row.size());

  double lo = INFINITY, hi = -INFINITY;
  for (const auto& row : values)
    for (double v : row)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (lo > hi) lo = 0, hi = 1;
  if (lo > 0) lo = 0;  // counts and rates: the scale starts at zero
  if (hi <= lo) hi = lo + 1;

  const double cell = options.cell_size;
  const double left = 90, top = 60;
  const double grid_w = cell * static_cast<double>(cols), grid_h = cell * static_cast<double>(rows);
  const double bar_x = left + grid_w + 30, bar_w = 16;
  const int width = static_cast<int>(bar_x + bar_w + 70);
  const int height = static_cast<int>(top + grid_h + 60);

  // White to dark blue; text switches to white on dark cells.
  auto colour = [&](double v, bool& dark) {
    double t = std::isfinite(v) ? std::clamp((v - lo) / (hi - lo), 0.0, 1.0) : 0.0;
    dark = t > 0.55;
    int r = static_cast<int>(std::lround(247 + (8 - 247) * t));
    int g = static_cast<int>(std::lround(251 + (48 - 251) * t));
    int b = static_cast<int>(std::lround(255 + (107 - 255) * t));
    char buf[16];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
    return std::string(buf);
  };

  std::string svg = detail::svg_open(std::max(width, 320), height, title);
  svg += "<g class=\"cells\">\n";
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      bool dark = false;
      const double v = values[r][c];
      const double x = left + cell * static_cast<double>(c), y = top + cell * static_cast<double>(r);
      svg += "<rect class=\"cell\" x=\"" + detail::num(x) + "\" y=\"" + detail::num(y) + "\" width=\"" +
             detail::num(cell) + "\" height=\"" + detail::num(cell) + "\" fill=\"" + colour(v, dark) +
             "\" stroke=\"#ffffff\"/>\n";
      std::string label = cell_text.empty() ? (std::isfinite(v) ? detail::fmt_g(v) : "") : cell_text[r][c];
      svg += detail::text(x + cell / 2, y + cell / 2 + 4, label, "middle",
                          std::string("class=\"cell-text\" fill=\"") + (dark ? "#ffffff" : "#000000") + "\"");
    }
  }
  svg += "</g>\n<g class=\"labels\">\n";
  for (std::size_t c = 0; c < cols; ++c)
    svg += detail::text(left + cell * (static_cast<double>(c) + 0.5), top + grid_h + 16, col_labels[c], "middle");
  for (std::size_t r = 0; r < rows; ++r)
    svg += detail::text(left - 6, top + cell * (static_cast<double>(r) + 0.5) + 4, row_labels[r], "end");
  svg += detail::text(left + grid_w / 2, top + grid_h + 40, options.x_label, "middle", "class=\"axis-label\"");
  svg += "<text class=\"axis-label\" x=\"0\" y=\"0\" text-anchor=\"middle\" transform=\"translate(" +
         detail::num(left - 56) + "," + detail::num(top + grid_h / 2) + ") rotate(-90)\">" +
         detail::xml_escape(options.y_label) + "</text>\n";
  svg += "</g>\n";

  // Colour bar: a vertical gradient from hi (top) to lo (bottom), with ticks.
  bool unused = false;
  svg += "<defs><linearGradient id=\"ember-colorbar\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">";
  for (int i = 0; i <= 4; ++i) {
    double t = i / 4.0;
    svg += "<stop offset=\"" + detail::num(t) + "\" stop-color=\"" + colour(lo + t * (hi - lo), unused) + "\"/>";
  }
  svg += "</linearGradient></defs>\n<g class=\"colorbar\">\n";
  svg += "<rect x=\"" + detail::num(bar_x) + "\" y=\"" + detail::num(top) + "\" width=\"" + detail::num(bar_w) +
         "\" height=\"" + detail::num(grid_h) + "\" fill=\"url(#ember-colorbar)\" stroke=\"#333\"/>\n";
  detail::Ticks bt = detail::nice_ticks(lo, hi, 5);
  for (double v : bt.values) {
    if (v < lo - 1e-12 || v > hi + 1e-12) continue;
    double y = top + grid_h - (v - lo) / (hi - lo) * grid_h;
    svg += "<line x1=\"" + detail::num(bar_x + bar_w) + "\" y1=\"" + detail::num(y) + "\" x2=\"" +
           detail::num(bar_x + bar_w + 4) + "\" y2=\"" + detail::num(y) + "\" stroke=\"#333\"/>\n";
    svg += detail::text(bar_x + bar_w + 7, y + 4, bt.label(v), "start", "class=\"tick\"");
  }
  svg += "</g>\n</svg>\n";
  return svg;
}

// The same from a flat row-major array of rows * cols values (e.g. ConfusionMatrix::counts).
template <class Number>
std::string heatmap(const std::string& title, const std::vector<Number>& flat, std::size_t rows, std::size_t cols,
                    std::vector<std::string> row_labels = {}, std::vector<std::string> col_labels = {},
                    const HeatmapOptions& options = {}) {
  EMBER_CHECK(flat.size() == rows * cols, ShapeError, "viz::heatmap", "expected ", rows, " x ", cols, " = ",
              rows * cols, " values, got ", flat.size());
  std::vector<std::vector<double>> m(rows, std::vector<double>(cols));
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) m[r][c] = static_cast<double>(flat[r * cols + c]);
  return heatmap(title, m, std::move(row_labels), std::move(col_labels), options);
}

// ROC curves on [0, 1] x [0, 1]: one line per curve (legend "name (AUC 0.9876)"), the micro
// and macro averages when given (thicker, dashed and dotted), and the chance diagonal.
inline std::string roc_plot(const std::string& title, const std::vector<RocSeries>& curves,
                            const std::optional<RocSeries>& micro = std::nullopt,
                            const std::optional<RocSeries>& macro = std::nullopt, const ChartSize& size = {},
                            const RocView& view = {}) {
  EMBER_CHECK(view.max_fpr > 0 && view.max_fpr <= 1 && view.min_tpr >= 0 && view.min_tpr < 1, ValueError,
              "viz::roc_plot", "expected 0 < max_fpr <= 1 and 0 <= min_tpr < 1, got max_fpr ", view.max_fpr,
              " and min_tpr ", view.min_tpr);
  auto label = [](const RocSeries& s) {
    char buf[32];
    if (!s.auc) return s.name + " (AUC n/a)";
    std::snprintf(buf, sizeof buf, " (AUC %.5f)", *s.auc);  // 5 places: 0.99996 must not read 1.0000
    return s.name + buf;
  };
  std::vector<std::string> labels;
  for (const RocSeries& c : curves) labels.push_back(label(c));
  if (micro) labels.push_back(label(*micro));
  if (macro) labels.push_back(label(*macro));
  labels.push_back("chance");
  int width = 0, height = 0;
  detail::Frame f =
      detail::make_frame(size, labels, detail::nice_ticks(0, view.max_fpr, 5), detail::nice_ticks(view.min_tpr, 1, 5),
                         width, height);
  std::string svg = detail::svg_open(width, height, title);
  svg += detail::axes(f, "false positive rate", "true positive rate");
  // Curves leave a zoomed view: clip them to the plot area. The id must be unique within an
  // HTML page holding several plots, and the same in every run: derive it from the view.
  char clip_id[64];
  std::snprintf(clip_id, sizeof clip_id, "ember-roc-clip-%.6g-%.6g", view.max_fpr, view.min_tpr);
  svg += std::string("<defs><clipPath id=\"") + clip_id + "\"><rect x=\"" + detail::num(f.left) + "\" y=\"" +
         detail::num(f.top) + "\" width=\"" + detail::num(f.width) + "\" height=\"" + detail::num(f.height) +
         "\"/></clipPath></defs>\n";
  const std::string clipped = std::string(" clip-path=\"url(#") + clip_id + ")\"";
  std::vector<detail::LegendEntry> entries;
  for (std::size_t k = 0; k < curves.size(); ++k) {
    EMBER_CHECK(curves[k].fpr.size() == curves[k].tpr.size(), ShapeError, "viz::roc_plot", "curve '",
                curves[k].name, "' has ", curves[k].fpr.size(), " fpr values but ", curves[k].tpr.size(), " tpr");
    std::string style = std::string("stroke=\"") + detail::palette(k) + "\" stroke-width=\"1.5\"";
    svg += "<g class=\"series\"" + clipped + ">\n" + detail::polyline(f, curves[k].fpr, curves[k].tpr, style) + "</g>\n";
    entries.push_back({label(curves[k]), style});
  }
  const std::pair<const std::optional<RocSeries>*, const char*> averages[] = {
      {&micro, "stroke=\"#000000\" stroke-width=\"2.5\" stroke-dasharray=\"6 3\""},
      {&macro, "stroke=\"#555555\" stroke-width=\"2.5\" stroke-dasharray=\"2 3\""}};
  for (const auto& [avg, style] : averages) {
    if (!*avg) continue;
    svg += "<g class=\"series average\"" + clipped + ">\n" + detail::polyline(f, (*avg)->fpr, (*avg)->tpr, style) +
           "</g>\n";
    entries.push_back({label(**avg), style});
  }
  const std::string chance = "stroke=\"#999999\" stroke-width=\"1\" stroke-dasharray=\"4 4\"";
  svg += "<g class=\"chance\"" + clipped + ">\n" + detail::polyline(f, {0, 1}, {0, 1}, chance) + "</g>\n";
  entries.push_back({"chance", chance});
  svg += detail::legend(f.left + f.width + 16, f.top + 8, entries);
  svg += "</svg>\n";
  return svg;
}

// The one-vs-rest summary of ember::metrics (roc_one_vs_rest) as a plot. class_names[k]
// names class k (default "class k").
inline std::string roc_plot(const std::string& title, const metrics::RocSummary& summary,
                            const std::vector<std::string>& class_names = {}, const ChartSize& size = {},
                            const RocView& view = {}) {
  std::vector<RocSeries> curves;
  for (std::size_t k = 0; k < summary.per_class.size(); ++k) {
    RocSeries s;
    s.name = k < class_names.size() ? class_names[k] : "class " + std::to_string(k);
    s.fpr = summary.per_class[k].fpr;
    s.tpr = summary.per_class[k].tpr;
    if (k < summary.per_class_auc.size()) s.auc = summary.per_class_auc[k];
    curves.push_back(std::move(s));
  }
  std::optional<RocSeries> micro, macro;
  if (summary.micro.defined()) micro = RocSeries{"micro average", summary.micro.fpr, summary.micro.tpr, summary.micro_auc};
  if (summary.macro) macro = RocSeries{"macro average", summary.macro->fpr, summary.macro->tpr, summary.macro_auc};
  return roc_plot(title, curves, micro, macro, size, view);
}

}  // namespace ember::viz
