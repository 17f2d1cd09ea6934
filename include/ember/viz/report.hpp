#pragma once
// A self-contained HTML report: one HTML5 page with inline SVG charts, PNG images embedded as
// base64 data URIs, tables and key/value lists, so a single file can be mailed or archived.
//
//   ember::viz::Section s{"Training"};
//   s.add_settings({{"epochs", "10"}, {"lr", "0.01"}});
//   s.add_svg(ember::viz::line_chart("Loss", "epoch", "loss", series));
//   s.add_png(ember::viz::image_grid_png(images), "misclassified digits");
//   s.add_table({"class", "precision"}, {{"0", "0.99"}, {"1", "0.98"}});
//   ember::io::write_file_atomic("report.html", ember::viz::html_report("MNIST run", {s}));
//
// All text (title, headings, paragraphs, table cells, keys, values, alt text) is escaped. SVG
// strings are inserted verbatim (an XML prolog "<?xml ...?>" at their start is dropped): pass
// only SVG you trust, such as viz/svg.hpp's output, whose text is already escaped.

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <ember/viz/svg.hpp>

namespace ember::viz {

// Standard base64 (RFC 4648 section 4) with '=' padding.
inline std::string base64_encode(const unsigned char* data, std::size_t size) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = size - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

inline std::string base64_encode(const std::string& bytes) {
  return base64_encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

inline std::string base64_encode(const std::vector<unsigned char>& bytes) {
  return base64_encode(bytes.data(), bytes.size());
}

struct Paragraph {
  std::string text;
};
struct InlineSvg {
  std::string svg;
};
struct PngImage {
  std::vector<unsigned char> png;
  std::string alt;
};
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
struct Settings {
  std::vector<std::pair<std::string, std::string>> items;
};

using Block = std::variant<Paragraph, InlineSvg, PngImage, Table, Settings>;

// A titled part of the report; its blocks appear in the order added.
struct Section {
  std::string heading;
  std::vector<Block> blocks;

  explicit Section(std::string heading_text = "") : heading(std::move(heading_text)) {}

  Section& add_text(std::string text) { return add(Paragraph{std::move(text)}); }
  Section& add_svg(std::string svg) { return add(InlineSvg{std::move(svg)}); }
  Section& add_png(std::vector<unsigned char> png, std::string alt = "image") {
    return add(PngImage{std::move(png), std::move(alt)});
  }
  Section& add_table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows) {
    return add(Table{std::move(header), std::move(rows)});
  }
  Section& add_settings(std::vector<std::pair<std::string, std::string>> items) {
    return add(Settings{std::move(items)});
  }
  Section& add(Block block) {
    blocks.push_back(std::move(block));
    return *this;
  }
};

namespace detail {

inline std::string html_escape(const std::string& s) { return xml_escape(s); }

inline std::string strip_xml_prolog(const std::string& svg) {
  std::size_t start = svg.find_first_not_of(" \t\r\n");
  if (start != std::string::npos && svg.compare(start, 5, "<?xml") == 0) {
    std::size_t end = svg.find("?>", start);
    if (end != std::string::npos) return svg.substr(end + 2);
  }
  return svg;
}

inline void render_block(std::string& out, const Block& block) {
  if (const auto* p = std::get_if<Paragraph>(&block)) {
    out += "<p>" + html_escape(p->text) + "</p>\n";
  } else if (const auto* s = std::get_if<InlineSvg>(&block)) {
    out += "<div class=\"figure\">\n" + strip_xml_prolog(s->svg) + "</div>\n";
  } else if (const auto* im = std::get_if<PngImage>(&block)) {
    out += "<div class=\"figure\"><img alt=\"" + html_escape(im->alt) + "\" src=\"data:image/png;base64," +
           base64_encode(im->png) + "\" /></div>\n";
  } else if (const auto* t = std::get_if<Table>(&block)) {
    out += "<table>\n";
    if (!t->header.empty()) {
      out += "<thead><tr>";
      for (const std::string& h : t->header) out += "<th>" + html_escape(h) + "</th>";
      out += "</tr></thead>\n";
    }
    out += "<tbody>\n";
    for (const auto& row : t->rows) {
      out += "<tr>";
      for (const std::string& cell : row) out += "<td>" + html_escape(cell) + "</td>";
      out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
  } else if (const auto* kv = std::get_if<Settings>(&block)) {
    out += "<dl class=\"settings\">\n";
    for (const auto& [key, value] : kv->items)
      out += "<dt>" + html_escape(key) + "</dt><dd>" + html_escape(value) + "</dd>\n";
    out += "</dl>\n";
  }
}

}  // namespace detail

// The whole page. It is also well-formed XML (void elements are written "<meta ... />").
inline std::string html_report(const std::string& title, const std::vector<Section>& sections) {
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n";
  out += "<title>" + detail::html_escape(title) + "</title>\n";
  out += "<style>\n"
         "body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1000px;"
         " color: #222; padding: 0 1em; }\n"
         "h1 { border-bottom: 2px solid #1f77b4; padding-bottom: .2em; }\n"
         "h2 { margin-top: 1.6em; color: #1f4e79; }\n"
         "table { border-collapse: collapse; margin: 1em 0; }\n"
         "th, td { border: 1px solid #ccc; padding: .3em .7em; text-align: right; }\n"
         "th { background: #f0f4f8; }\n"
         "tbody tr:nth-child(even) { background: #fafafa; }\n"
         "dl.settings { display: grid; grid-template-columns: max-content auto; gap: .2em 1.2em; }\n"
         "dl.settings dt { font-weight: bold; }\n"
         "dl.settings dd { margin: 0; font-family: monospace; }\n"
         ".figure { margin: 1em 0; overflow-x: auto; }\n"
         ".figure img { image-rendering: pixelated; }\n"
         "</style>\n</head>\n<body>\n";
  out += "<h1>" + detail::html_escape(title) + "</h1>\n";
  for (const Section& section : sections) {
    out += "<section>\n<h2>" + detail::html_escape(section.heading) + "</h2>\n";
    for (const Block& block : section.blocks) detail::render_block(out, block);
    out += "</section>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace ember::viz
