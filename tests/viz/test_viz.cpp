// Plots and reports (include/ember/viz/): every SVG and the HTML report must be well-formed XML
// (checked by a small strict parser below), carry their titles, legends and tick labels, and
// escape text; base64 against RFC 4648; the PNG grid decoded back with stb_image.
//
// Set EMBER_VIZ_SAMPLES=/some/dir to keep the sample files (line.svg, heatmap.svg, roc.svg,
// grid.png, report.html) there for a look by eye; without it they go to a scratch folder and
// are checked all the same.

// stb's implementation lives in tests/support/stb_implementation.cpp (one per program).
#include <ember/image/load_image.hpp>  // stb_image, to decode the PNGs
#include <ember/viz/png.hpp>
#include <ember/viz/report.hpp>
#include <ember/viz/svg.hpp>

#include <catch2/catch.hpp>
#include <zlib.h>

#include <array>
#include <cstring>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <ember/metrics/classification.hpp>
#include <ember/metrics/roc.hpp>

namespace {

// ---- a strict XML well-formedness checker --------------------------------------------------
// Elements balanced and properly nested, exactly one root, attribute values quoted and unique,
// no '<' in text or attribute values, every '&' starting a known entity or a character
// reference. Allows a leading <?xml ...?>, <!DOCTYPE ...> before the root, and comments.
// Returns "" when well-formed, else a description with the offset.
struct XmlCheck {
  std::string error;
  std::map<std::string, int> elements;  // element name -> count
};

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool name_char(char c) {
  return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

XmlCheck check_xml(const std::string& s) {
  XmlCheck out;
  std::vector<std::string> stack;
  bool root_seen = false;
  std::size_t i = 0;
  auto fail = [&](const std::string& what) {
    if (out.error.empty()) out.error = what + " at offset " + std::to_string(i) + ": '" + s.substr(i, 40) + "'";
  };
  auto check_entity = [&](std::size_t& k) {  // s[k] == '&'
    std::size_t semi = s.find(';', k);
    if (semi == std::string::npos || semi - k > 10) return fail("bare '&'"), false;
    std::string ent = s.substr(k + 1, semi - k - 1);
    static const std::set<std::string> named = {"amp", "lt", "gt", "quot", "apos"};
    bool ok = named.count(ent) > 0;
    if (!ok && ent.size() >= 2 && ent[0] == '#') {
      if (ent[1] == 'x') {
        ok = ent.size() > 2 && ent.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string::npos;
      } else {
        ok = ent.find_first_not_of("0123456789", 1) == std::string::npos;
      }
    }
    if (!ok) return fail("unknown entity &" + ent + ";"), false;
    k = semi + 1;
    return true;
  };
  auto skip_space = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  auto read_name = [&]() -> std::string {
    if (i >= s.size() || !name_start(s[i])) return fail("expected a name"), std::string();
    std::size_t b = i;
    while (i < s.size() && name_char(s[i])) ++i;
    return s.substr(b, i - b);
  };

  if (s.compare(0, 5, "<?xml") == 0) {
    std::size_t e = s.find("?>");
    if (e == std::string::npos) return fail("unterminated prolog"), out;
    i = e + 2;
  }
  while (i < s.size() && out.error.empty()) {
    if (s[i] != '<') {
      if (stack.empty() && !std::isspace(static_cast<unsigned char>(s[i]))) {
        fail("text outside the root element");
        break;
      }
      if (s[i] == '&') {
        if (!check_entity(i)) break;
        continue;
      }
      if (s[i] == '>' && !stack.empty() && stack.back() != "style") {
        // '>' is legal in XML text, but our writers escape it; a stray one hints at a bug.
        fail("unescaped '>' in text");
        break;
      }
      ++i;
      continue;
    }
    if (s.compare(i, 4, "<!--") == 0) {
      std::size_t e = s.find("-->", i + 4);
      if (e == std::string::npos) return fail("unterminated comment"), out;
      i = e + 3;
      continue;
    }
    if (s.compare(i, 9, "<!DOCTYPE") == 0) {
      if (root_seen) return fail("DOCTYPE after the root"), out;
      std::size_t e = s.find('>', i);
      if (e == std::string::npos) return fail("unterminated DOCTYPE"), out;
      i = e + 1;
      continue;
    }
    if (s.compare(i, 2, "</") == 0) {
      i += 2;
      std::string name = read_name();
      skip_space();
      if (i >= s.size() || s[i] != '>') return fail("expected '>' closing </" + name), out;
      if (stack.empty() || stack.back() != name)
        return fail("</" + name + "> does not match <" + (stack.empty() ? std::string("nothing") : stack.back()) + ">"),
               out;
      stack.pop_back();
      ++i;
      continue;
    }
    ++i;  // '<'
    std::string name = read_name();
    if (!out.error.empty()) break;
    if (stack.empty() && root_seen) return fail("a second root element <" + name + ">"), out;
    root_seen = true;
    out.elements[name] += 1;
    std::set<std::string> attrs;
    bool self_closing = false;
    while (out.error.empty()) {
      std::size_t before = i;
      skip_space();
      if (i >= s.size()) return fail("unterminated tag <" + name), out;
      if (s[i] == '>') {
        ++i;
        break;
      }
      if (s.compare(i, 2, "/>") == 0) {
        i += 2;
        self_closing = true;
        break;
      }
      if (i == before) return fail("expected whitespace before an attribute of <" + name + ">"), out;
      std::string attr = read_name();
      if (!out.error.empty()) break;
      if (!attrs.insert(attr).second) return fail("duplicate attribute " + attr), out;
      skip_space();
      if (i >= s.size() || s[i] != '=') return fail("attribute " + attr + " without '='"), out;
      ++i;
      skip_space();
      if (i >= s.size() || (s[i] != '"' && s[i] != '\'')) return fail("unquoted attribute " + attr), out;
      const char quote = s[i++];
      while (i < s.size() && s[i] != quote) {
        if (s[i] == '<') return fail("'<' in attribute " + attr), out;
        if (s[i] == '&') {
          if (!check_entity(i)) return out;
          continue;
        }
        ++i;
      }
      if (i >= s.size()) return fail("unterminated attribute " + attr), out;
      ++i;
    }
    if (!self_closing) stack.push_back(name);
  }
  if (out.error.empty() && !stack.empty()) out.error = "unclosed <" + stack.back() + ">";
  if (out.error.empty() && !root_seen) out.error = "no root element";
  return out;
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) ++n;
  return n;
}

void require_well_formed(const std::string& xml) {
  XmlCheck c = check_xml(xml);
  INFO(c.error);
  REQUIRE(c.error.empty());
}

std::string samples_dir() {
  const char* dir = std::getenv("EMBER_VIZ_SAMPLES");
  if (!dir || !*dir) return "";
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<ember::viz::Series> training_curves() {
  ember::viz::Series train{"train loss", {}, {}}, test{"test loss", {}, {}};
  for (int e = 1; e <= 12; ++e) {
    train.x.push_back(e);
    train.y.push_back(2.3 * std::exp(-0.35 * e) + 0.05);
    test.x.push_back(e);
    test.y.push_back(2.3 * std::exp(-0.3 * e) + 0.09 + 0.004 * e);
  }
  return {train, test};
}

// A noisy 3-class problem with scores that favour the true class.
void synthetic_scores(std::vector<std::int64_t>& labels, std::vector<double>& scores, std::int64_t classes, int n) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (int i = 0; i < n; ++i) {
    std::int64_t y = i % classes;
    labels.push_back(y);
    for (std::int64_t k = 0; k < classes; ++k) scores.push_back(noise(rng) + (k == y ? 1.2 + 0.3 * k : 0.0));
  }
}

}  // namespace

TEST_CASE("the XML checker accepts well-formed and rejects broken documents", "[viz]") {
  CHECK(check_xml("<a x=\"1\"><b/>t &amp; &#38; &#x26;</a>").error.empty());
  CHECK(check_xml("<?xml version=\"1.0\"?>\n<a/>\n").error.empty());
  CHECK_FALSE(check_xml("<a><b></a></b>").error.empty());
  CHECK_FALSE(check_xml("<a x=1></a>").error.empty());
  CHECK_FALSE(check_xml("<a x=\"1\" x=\"2\"></a>").error.empty());
  CHECK_FALSE(check_xml("<a>&</a>").error.empty());
  CHECK_FALSE(check_xml("<a>&nbsp;</a>").error.empty());
  CHECK_FALSE(check_xml("<a>x < y</a>").error.empty());
  CHECK_FALSE(check_xml("<a></a><b></b>").error.empty());
  CHECK_FALSE(check_xml("<a>").error.empty());
  CHECK_FALSE(check_xml("<a x=\"<\"/>").error.empty());
}

TEST_CASE("nice ticks step by 1, 2 or 5 times a power of ten and cover the range", "[viz]") {
  using ember::viz::detail::nice_ticks;
  for (auto [lo, hi] : std::vector<std::pair<double, double>>{
           {0, 1}, {0, 0.93}, {0.051, 2.3}, {-3, 97}, {1, 12}, {1e-3, 4e-3}, {5, 5}, {12000, 61000}}) {
    auto t = nice_ticks(lo, hi, 6);
    INFO(lo << " .. " << hi << " step " << t.step);
    CHECK(t.lo <= lo + 1e-12);
    CHECK(t.hi >= hi - 1e-12);
    double mant = t.step / std::pow(10.0, std::floor(std::log10(t.step) + 1e-9));
    CHECK((std::abs(mant - 1) < 1e-9 || std::abs(mant - 2) < 1e-9 || std::abs(mant - 5) < 1e-9));
    CHECK(t.values.size() >= 3);
    CHECK(t.values.size() <= 13);
  }
  auto t = nice_ticks(0, 0.93, 5);
  CHECK(t.step == Approx(0.2));
  CHECK(t.label(t.values[1]) == "0.2");
  CHECK(t.label(t.values.back()) == "1.0");
  CHECK(nice_ticks(1, 12, 8).label(10) == "10");
}

TEST_CASE("line_chart: well-formed SVG with title, legend, labels and ticks", "[viz]") {
  const auto series = training_curves();
  const std::string svg = ember::viz::line_chart("Training loss", "epoch", "cross-entropy", series);
  require_well_formed(svg);
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find(">Training loss</text>") != std::string::npos);
  CHECK(svg.find(">train loss</text>") != std::string::npos);
  CHECK(svg.find(">test loss</text>") != std::string::npos);
  CHECK(svg.find(">epoch</text>") != std::string::npos);
  CHECK(svg.find(">cross-entropy</text>") != std::string::npos);
  CHECK(count_of(svg, "class=\"legend-entry\"") == 2);
  CHECK(count_of(svg, "<polyline") == 2);
  // x from 1 to 12 -> ticks 1, 2, ..., 12; y from ~0.08 to ~1.8 -> 0.0, 0.2, ..., 1.8.
  CHECK(svg.find(">12</text>") != std::string::npos);
  CHECK(svg.find(">6</text>") != std::string::npos);
  CHECK(svg.find(">0.4</text>") != std::string::npos);
  // Distinct colours for the two series.
  CHECK(svg.find("stroke=\"#1f77b4\"") != std::string::npos);
  CHECK(svg.find("stroke=\"#ff7f0e\"") != std::string::npos);

  // A NaN splits a line into two polylines; mismatched lengths throw.
  ember::viz::Series gap{"gap", {1, 2, 3, 4, 5}, {1, 2, NAN, 4, 5}};
  const std::string svg2 = ember::viz::line_chart("gap", "x", "y", {gap});
  require_well_formed(svg2);
  CHECK(count_of(svg2, "<polyline") == 2);
  CHECK_THROWS_AS(ember::viz::line_chart("bad", "x", "y", {{"s", {1, 2}, {1}}}), ember::ShapeError);
  // No data at all still gives a valid (empty) chart.
  require_well_formed(ember::viz::line_chart("empty", "x", "y", {}));
}

TEST_CASE("line_chart: whole-number x gets whole-number ticks, short series get point markers", "[viz]") {
  // Two epochs: without the whole-number rule the ticks would be 1.0, 1.1, ..., 2.0.
  const std::string two = ember::viz::line_chart("acc", "epoch", "%", {{"train", {1, 2}, {93.4, 97.8}}});
  require_well_formed(two);
  CHECK(two.find(">1</text>") != std::string::npos);
  CHECK(two.find(">2</text>") != std::string::npos);
  CHECK(two.find(">1.5</text>") == std::string::npos);
  CHECK(two.find(">1.1</text>") == std::string::npos);
  CHECK(count_of(two, "<circle") == 2);
  // One epoch: a visible point and ticks 0, 1, 2.
  const std::string one = ember::viz::line_chart("acc", "epoch", "%", {{"train", {1}, {97.0}}});
  CHECK(count_of(one, "<circle") == 1);
  CHECK(one.find(">0.5</text>") == std::string::npos);
  // Fractional x keeps fine ticks; a long series gets no markers.
  const std::string frac = ember::viz::line_chart("f", "x", "y", {{"s", {0, 0.5, 1}, {0, 1, 0}}});
  CHECK(frac.find(">0.5</text>") != std::string::npos);
  std::vector<double> x(100), y(100);
  for (int i = 0; i < 100; ++i) x[static_cast<std::size_t>(i)] = i, y[static_cast<std::size_t>(i)] = i * i;
  CHECK(count_of(ember::viz::line_chart("long", "x", "y", {{"s", x, y}}), "<circle") == 0);
}

TEST_CASE("text is escaped for XML in every chart", "[viz]") {
  const std::string nasty = "a<b & \"c\">'d'";
  const std::string escaped = "a&lt;b &amp; &quot;c&quot;&gt;&#39;d&#39;";
  std::vector<std::string> svgs = {
      ember::viz::line_chart(nasty, nasty, nasty, {{nasty, {0, 1}, {0, 1}}}),
      ember::viz::heatmap(nasty, std::vector<std::vector<double>>{{1, 2}, {3, 4}}, {nasty, "r"}, {"c", nasty}),
      ember::viz::roc_plot(nasty, {{nasty, {0, 0, 1}, {0, 1, 1}, 1.0}}),
  };
  for (const std::string& svg : svgs) {
    require_well_formed(svg);
    CHECK(svg.find(escaped) != std::string::npos);
    CHECK(svg.find(nasty) == std::string::npos);
  }
  ember::viz::Section s{nasty};
  s.add_text(nasty).add_table({nasty}, {{nasty}}).add_settings({{nasty, nasty}}).add_png({1, 2, 3}, nasty);
  const std::string html = ember::viz::html_report(nasty, {s});
  require_well_formed(html);
  CHECK(html.find("<title>" + escaped + "</title>") != std::string::npos);
  CHECK(count_of(html, escaped) == 9);  // title, h1, h2, p, th, td, dt, dd, alt
  CHECK(html.find(nasty) == std::string::npos);
}

TEST_CASE("heatmap: one cell per entry with its count, labels and a colour bar", "[viz]") {
  std::vector<std::int64_t> y_true, y_pred;
  std::mt19937 rng(3);
  for (int i = 0; i < 500; ++i) {
    std::int64_t y = i % 10;
    y_true.push_back(y);
    y_pred.push_back(rng() % 5 == 0 ? static_cast<std::int64_t>(rng() % 10) : y);
  }
  auto cm = ember::metrics::confusion_matrix(y_true, y_pred, 10);
  const std::string svg = ember::viz::heatmap("Confusion matrix", cm.counts, 10, 10);
  require_well_formed(svg);
  CHECK(count_of(svg, "class=\"cell\"") == 100);
  CHECK(count_of(svg, "class=\"cell-text\"") == 100);
  CHECK(svg.find("class=\"colorbar\"") != std::string::npos);
  CHECK(svg.find("<linearGradient id=\"ember-colorbar\"") != std::string::npos);
  CHECK(svg.find("fill=\"url(#ember-colorbar)\"") != std::string::npos);
  CHECK(svg.find(">predicted</text>") != std::string::npos);
  CHECK(svg.find(">true</text>") != std::string::npos);
  CHECK(svg.find(">" + std::to_string(cm(3, 3)) + "</text>") != std::string::npos);
  CHECK(svg.find(">0</text>") != std::string::npos);  // the colour bar starts at zero

  // Custom cell text (rates) and labels.
  ember::viz::HeatmapOptions opt;
  opt.cell_text = {{"90%", "10%"}, {"25%", "75%"}};
  const std::string svg2 =
      ember::viz::heatmap("Rates", std::vector<std::vector<double>>{{0.9, 0.1}, {0.25, 0.75}}, {"cat", "dog"},
                          {"cat", "dog"}, opt);
  require_well_formed(svg2);
  CHECK(count_of(svg2, "class=\"cell\"") == 4);
  CHECK(svg2.find(">75%</text>") != std::string::npos);
  CHECK(count_of(svg2, ">dog</text>") == 2);
  CHECK_THROWS_AS(ember::viz::heatmap("bad", std::vector<std::vector<double>>{{1, 2}, {3}}), ember::ShapeError);
  CHECK_THROWS_AS(ember::viz::heatmap("bad", std::vector<int>{1, 2, 3}, 2, 2), ember::ShapeError);
}

TEST_CASE("roc_plot: curves, AUCs in the legend, averages and the chance diagonal", "[viz]") {
  std::vector<std::int64_t> labels;
  std::vector<double> scores;
  synthetic_scores(labels, scores, 3, 300);
  const auto summary = ember::metrics::roc_one_vs_rest(labels, scores, 3);
  const std::string svg = ember::viz::roc_plot("ROC", summary, {"zero", "one", "two"});
  require_well_formed(svg);
  char buf[64];
  std::snprintf(buf, sizeof buf, "one (AUC %.5f)", *summary.per_class_auc[1]);
  CHECK(svg.find(buf) != std::string::npos);
  std::snprintf(buf, sizeof buf, "micro average (AUC %.5f)", *summary.micro_auc);
  CHECK(svg.find(buf) != std::string::npos);
  std::snprintf(buf, sizeof buf, "macro average (AUC %.5f)", *summary.macro_auc);
  CHECK(svg.find(buf) != std::string::npos);
  CHECK(svg.find(">chance</text>") != std::string::npos);
  CHECK(count_of(svg, "class=\"legend-entry\"") == 6);
  CHECK(svg.find(">false positive rate</text>") != std::string::npos);
  CHECK(svg.find(">true positive rate</text>") != std::string::npos);
  CHECK(svg.find(">0.0</text>") != std::string::npos);
  CHECK(svg.find(">1.0</text>") != std::string::npos);

  // Curves stay inside the plot area (clipped), and the legend never rounds an AUC below 1 up to 1.
  CHECK(count_of(svg, "clip-path=\"url(#ember-roc-clip-1-0)\"") == 6);
  const std::string almost = ember::viz::roc_plot("ROC", {{"c", {0, 1}, {1, 1}, 0.99996}});
  CHECK(almost.find("c (AUC 0.99996)") != std::string::npos);

  // A zoomed view: ticks over [0, 0.05] x [0.9, 1], its own clip id, the same legend.
  const std::string zoom = ember::viz::roc_plot("ROC", summary, {"zero", "one", "two"}, {}, {0.05, 0.9});
  require_well_formed(zoom);
  CHECK(zoom.find(">0.05</text>") != std::string::npos);
  CHECK(zoom.find(">0.90</text>") != std::string::npos);
  CHECK(zoom.find(">0.5</text>") == std::string::npos);
  CHECK(zoom.find("<clipPath id=\"ember-roc-clip-0.05-0.9\">") != std::string::npos);
  CHECK(zoom.find(buf) != std::string::npos);  // the macro legend entry, as above
  CHECK_THROWS_AS(ember::viz::roc_plot("ROC", summary, {}, {}, {0.0, 0.5}), ember::ValueError);
  CHECK_THROWS_WITH(ember::viz::roc_plot("ROC", summary, {}, {}, {0.0, 0.5}),
                    "viz::roc_plot: expected 0 < max_fpr <= 1 and 0 <= min_tpr < 1, got max_fpr 0 and min_tpr 0.5");

  // An undefined class (no positives: NaN tpr) says so instead of showing a number.
  ember::viz::RocSeries undefined{"absent", {0, 0.5, 1}, {NAN, NAN, NAN}, std::nullopt};
  const std::string svg2 = ember::viz::roc_plot("ROC", {undefined});
  require_well_formed(svg2);
  CHECK(svg2.find("absent (AUC n/a)") != std::string::npos);
}

TEST_CASE("base64 matches the RFC 4648 test vectors", "[viz]") {
  using ember::viz::base64_encode;
  CHECK(base64_encode(std::string("")) == "");
  CHECK(base64_encode(std::string("f")) == "Zg==");
  CHECK(base64_encode(std::string("fo")) == "Zm8=");
  CHECK(base64_encode(std::string("foo")) == "Zm9v");
  CHECK(base64_encode(std::string("foob")) == "Zm9vYg==");
  CHECK(base64_encode(std::string("fooba")) == "Zm9vYmE=");
  CHECK(base64_encode(std::string("foobar")) == "Zm9vYmFy");
  CHECK(base64_encode(std::vector<unsigned char>{0xfb, 0xff}) == "+/8=");
  CHECK(base64_encode(std::vector<unsigned char>{0xff, 0xff, 0xff}) == "////");
  CHECK(base64_encode(std::vector<unsigned char>{0x00, 0x10, 0x83}) == "ABCD");
}

TEST_CASE("the 5x7 font draws the glyphs of its table", "[viz]") {
  ember::viz::RgbImage img;
  img.width = 11;
  img.height = 7;
  img.rgb.assign(11 * 7 * 3, 0);
  ember::viz::draw_text(img, 0, 0, "1/", 1, 255, 255, 255);
  auto on = [&](int x, int y) { return img.rgb[(static_cast<std::size_t>(y) * 11 + x) * 3] == 255; };
  // '1': 00100 / 01100 / 00100 x4 / 01110
  CHECK(on(2, 0));
  CHECK_FALSE(on(0, 0));
  CHECK(on(1, 1));
  CHECK(on(1, 6));
  CHECK(on(3, 6));
  CHECK_FALSE(on(4, 6));
  CHECK_FALSE(on(5, 3));  // the gap column
  // '/' at x = 6: row 1 has its rightmost pixel, row 5 its leftmost.
  CHECK(on(10, 1));
  CHECK(on(6, 5));
  CHECK(ember::viz::text_width("true 7 / pred 1") == 89);
  CHECK(ember::viz::text_width("ab", 2) == 22);
}

TEST_CASE("the 5x7 font has every printable ASCII character, both cases apart", "[viz]") {
  namespace d = ember::viz::detail;
  for (char c = ' '; c <= '~'; ++c) {
    INFO("character '" << c << "'");
    CHECK(d::find_glyph(c) != nullptr);
  }
  // Upper case has glyphs of its own now ('A' was drawn as 'a').
  CHECK(std::memcmp(d::find_glyph('A')->rows, d::find_glyph('a')->rows, 7) != 0);
  // No two characters share a glyph except where they look alike by design: none, so far.
  for (char a = '!'; a <= '~'; ++a)
    for (char b = static_cast<char>(a + 1); b <= '~' && b > a; ++b) {
      INFO("'" << a << "' and '" << b << "'");
      CHECK(std::memcmp(d::find_glyph(a)->rows, d::find_glyph(b)->rows, 7) != 0);
    }
  CHECK(d::find_glyph('\t') == nullptr);  // drawn as '?'
}

TEST_CASE("text of several lines and UTF-8: widths, heights, centred lines", "[viz]") {
  using ember::viz::text_height;
  using ember::viz::text_width;
  CHECK(text_width("true ring\npred x") == 9 * 6 - 1);  // the widest line
  CHECK(text_height("one line") == 7);
  CHECK(text_height("two\nlines", 2) == (9 + 7) * 2);
  CHECK(text_width("\xc3\xa9t\xc3\xa9") == 3 * 6 - 1);  // "été": three characters, three columns
  ember::viz::RgbImage img;
  img.width = 11, img.height = 16;
  img.rgb.assign(11 * 16 * 3, 0);
  ember::viz::draw_text(img, 0, 0, "ab\n|", 1, 255, 255, 255);
  auto on = [&](int x, int y) { return img.rgb[(static_cast<std::size_t>(y) * 11 + x) * 3] == 255; };
  // '|' is centred under "ab": its column at (11 - 5) / 2 + 2 = 5, on the second line (y 9..15).
  for (int y = 9; y < 16; ++y) CHECK(on(5, y));
  CHECK_FALSE(on(2, 12));
}

TEST_CASE("image_grid draws the caller's captions when given", "[viz]") {
  std::vector<ember::viz::GridImage> images(2);
  for (auto& im : images) im.pixels.assign(28 * 28, 0);
  images[0].caption = "true square\npred square";
  images[1].caption = "true Ring\npred dots";
  images[1].predicted = 1;
  const ember::viz::RgbImage img = ember::viz::render_image_grid(images);
  // Tiles: max(90, "true square" 11 * 6 - 1 = 65) + 8 = 98 wide; 84 + 6 + (16 + 4) + 8 = 118 high.
  CHECK(img.width == 2 * 98);
  CHECK(img.height == 118);
  int light = 0;
  for (int y = 97; y < 114; ++y)
    for (int x = 0; x < 98; ++x) light += img.rgb[(static_cast<std::size_t>(y) * img.width + x) * 3] == 230;
  CHECK(light > 60);
}

TEST_CASE("image_grid writes a PNG with captions and red borders on wrong predictions", "[viz]") {
  // Two synthetic digits: a bright square and a bright bar.
  std::vector<ember::viz::GridImage> images(2);
  for (int k = 0; k < 2; ++k) images[k].pixels.assign(28 * 28, 0);
  for (int y = 8; y < 20; ++y)
    for (int x = 8; x < 20; ++x) images[0].pixels[y * 28 + x] = 255;
  for (int y = 4; y < 24; ++y) images[1].pixels[y * 28 + 14] = 200;
  images[0].label = 0, images[0].predicted = 0;  // right
  images[1].label = 7, images[1].predicted = 1;  // wrong

  const auto dir = std::filesystem::temp_directory_path() / "ember_test_viz";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "grid.png").string();
  ember::viz::image_grid(path, images);

  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() > 8);
  CHECK(bytes.compare(1, 3, "PNG") == 0);
  int w = 0, h = 0, comp = 0;
  unsigned char* px = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()),
                                            static_cast<int>(bytes.size()), &w, &h, &comp, 3);
  REQUIRE(px != nullptr);
  // Tiles: max(28*3 + 2*3, caption 89) + 2*4 = 98 wide; 84 + 6 + (7 + 4) + 8 = 109 high.
  CHECK(w == 2 * 98);
  CHECK(h == 109);
  auto at = [&](int x, int y) {
    const unsigned char* p = px + (static_cast<std::size_t>(y) * w + x) * 3;
    return std::array<int, 3>{p[0], p[1], p[2]};
  };
  // Border of image 1 (wrong): red. Image 0 (right): grey, not red.
  CHECK(at(98 + 5, 5) == std::array<int, 3>{255, 0, 0});
  CHECK(at(98 + 5, 60) == std::array<int, 3>{255, 0, 0});
  CHECK(at(5, 5) == std::array<int, 3>{80, 80, 80});
  // Upscaled pixels: image 0's square covers source (8..19) -> (4 + 3 + 24 .. ) in the tile.
  CHECK(at(4 + 3 + 3 * 10, 4 + 3 + 3 * 10) == std::array<int, 3>{255, 255, 255});
  CHECK(at(4 + 3 + 1, 4 + 3 + 1) == std::array<int, 3>{0, 0, 0});
  // Captions: some light pixels in the caption band under each image.
  int light0 = 0, red1 = 0;
  for (int y = 97; y < 106; ++y) {
    for (int x = 0; x < 98; ++x) light0 += at(x, y)[0] == 230;
    for (int x = 98; x < 196; ++x) red1 += at(x, y)[0] == 255 && at(x, y)[1] == 96;
  }
  CHECK(light0 > 40);
  CHECK(red1 > 40);
  stbi_image_free(px);

  CHECK_THROWS_AS(ember::viz::image_grid_png({{std::vector<std::uint8_t>(10), 0, 0}}), ember::ShapeError);
  CHECK_THROWS_AS(ember::viz::image_grid_png({}), ember::ValueError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("html_report: one well-formed page with SVG, PNG, tables and settings", "[viz]") {
  std::vector<ember::viz::GridImage> images(3);
  for (auto& im : images) im.pixels.assign(28 * 28, 128);
  images[2].predicted = 3;
  const auto png = ember::viz::image_grid_png(images);

  ember::viz::Section training{"Training"};
  training.add_settings({{"epochs", "12"}, {"learning rate", "0.01"}})
      .add_svg("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
               ember::viz::line_chart("Loss", "epoch", "loss", training_curves()));
  ember::viz::Section results{"Results"};
  results.add_text("Accuracy on the test set.")
      .add_table({"class", "precision", "recall"}, {{"0", "0.99", "0.98"}, {"1", "0.97", "0.99"}})
      .add_png(png, "misclassified digits");
  const std::string html = ember::viz::html_report("MNIST run", {training, results});
  XmlCheck c = check_xml(html);
  INFO(c.error);
  REQUIRE(c.error.empty());
  CHECK(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
  CHECK(html.find("<title>MNIST run</title>") != std::string::npos);
  CHECK(html.find("<meta charset=\"utf-8\" />") != std::string::npos);
  CHECK(c.elements["svg"] == 1);
  CHECK(c.elements["section"] == 2);
  CHECK(c.elements["table"] == 1);
  CHECK(c.elements["tr"] == 3);
  CHECK(c.elements["td"] == 6);
  CHECK(c.elements["dt"] == 2);
  CHECK(c.elements["img"] == 1);
  CHECK(c.elements["style"] == 1);
  CHECK(html.find("<?xml") == std::string::npos);  // the prolog of the inlined SVG is dropped
  CHECK(html.find("src=\"data:image/png;base64," + ember::viz::base64_encode(png) + "\"") != std::string::npos);
  CHECK(html.find("<dt>learning rate</dt><dd>0.01</dd>") != std::string::npos);
}

// The files a user opens, written to a scratch folder (or, for a look by eye, to
// EMBER_VIZ_SAMPLES) and read back: each SVG and the page well formed, the PNG decodable.
TEST_CASE("sample files: charts, grid and page as written are well formed", "[viz]") {
  const std::string kept = samples_dir();
  const std::filesystem::path scratch = std::filesystem::temp_directory_path() / "ember_test_viz_samples";
  const std::string dir = kept.empty() ? scratch.string() : kept;
  std::filesystem::create_directories(dir);
  namespace viz = ember::viz;
  const std::string line = viz::line_chart("Training loss", "epoch", "cross-entropy", training_curves());
  ember::io::write_file_atomic(dir + "/line.svg", line);

  // Real digits from the MNIST sample, with some made-up predictions.
  std::vector<viz::GridImage> images;
  gzFile fi = gzopen(EMBER_TEST_DATA_DIR "/mnist-sample/t10k-images-idx3-ubyte.gz", "rb");
  gzFile fl = gzopen(EMBER_TEST_DATA_DIR "/mnist-sample/t10k-labels-idx1-ubyte.gz", "rb");
  REQUIRE(fi != nullptr);
  REQUIRE(fl != nullptr);
  unsigned char header[16];
  REQUIRE(gzread(fi, header, 16) == 16);
  REQUIRE(gzread(fl, header, 8) == 8);
  std::vector<std::int64_t> y_true, y_pred;
  for (int i = 0; i < 20; ++i) {
    viz::GridImage im;
    im.pixels.resize(28 * 28);
    unsigned char label = 0;
    REQUIRE(gzread(fi, im.pixels.data(), 28 * 28) == 28 * 28);
    REQUIRE(gzread(fl, &label, 1) == 1);
    im.label = label;
    im.predicted = i % 7 == 3 ? (label + 3) % 10 : label;
    y_true.push_back(im.label);
    y_pred.push_back(im.predicted);
    images.push_back(std::move(im));
  }
  gzclose(fi);
  gzclose(fl);
  viz::image_grid(dir + "/grid.png", images);

  std::vector<std::int64_t> labels;
  std::vector<double> scores;
  synthetic_scores(labels, scores, 10, 2000);
  std::vector<std::int64_t> predicted;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    std::int64_t best = 0;
    for (std::int64_t k = 1; k < 10; ++k)
      if (scores[i * 10 + k] > scores[i * 10 + best]) best = k;
    predicted.push_back(best);
  }
  auto cm = ember::metrics::confusion_matrix(labels, predicted, 10);
  const std::string heat = viz::heatmap("Confusion matrix", cm.counts, 10, 10);
  ember::io::write_file_atomic(dir + "/heatmap.svg", heat);
  const std::string roc = viz::roc_plot("ROC (one vs rest)", ember::metrics::roc_one_vs_rest(labels, scores, 10));
  ember::io::write_file_atomic(dir + "/roc.svg", roc);

  viz::Section s{"Results"};
  s.add_settings({{"epochs", "12"}, {"batch size", "64"}})
      .add_svg(line)
      .add_svg(heat)
      .add_svg(roc)
      .add_png(viz::image_grid_png(images), "digits")
      .add_table({"class", "support"}, {{"0", "200"}, {"1", "200"}});
  ember::io::write_file_atomic(dir + "/report.html", viz::html_report("Sample report", {s}));

  auto read = [&](const std::string& name) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  for (const char* svg : {"line.svg", "heatmap.svg", "roc.svg"}) {
    INFO(svg);
    const std::string text = read(svg);
    CHECK(text.find("<svg") != std::string::npos);
    require_well_formed(text);
  }
  CHECK(read("line.svg") == line);
  const std::string html = read("report.html");
  require_well_formed(html);
  CHECK(count_of(html, "<svg") == 3);
  CHECK(count_of(html, "data:image/png;base64,") == 1);
  const std::string png = read("grid.png");
  int w = 0, h = 0, comp = 0;
  unsigned char* px = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png.data()),
                                            static_cast<int>(png.size()), &w, &h, &comp, 3);
  REQUIRE(px != nullptr);
  CHECK(w > 0);
  CHECK(h > 0);
  stbi_image_free(px);
  if (kept.empty()) std::filesystem::remove_all(scratch);
}
