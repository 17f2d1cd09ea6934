#pragma once
// PNG image grids: digits with a caption "true 7 / pred 1" under each (or a caption of the
// caller's, e.g. with class names), wrong predictions framed in red. Captions use a small
// built-in 5x7 bitmap font: every printable ASCII character (digits, both cases, punctuation);
// anything else is drawn as '?', one per UTF-8 character, and '\n' starts a new line.
//
// PNG encoding goes through Debian's libstb-dev (<stb/stb_image_write.h>), into memory, and
// the file is written atomically with ember::io::write_file_atomic.
//
// *** stb_image_write implementation: exactly ONE translation unit of a program must define
// *** EMBER_STB_IMPLEMENTATION before including this header (or ember/ember.hpp):
// ***     #define EMBER_STB_IMPLEMENTATION
// ***     #include <ember/ember.hpp>
// *** This header never defines STB_IMAGE_WRITE_IMPLEMENTATION by itself (that would
// *** duplicate stb's functions in every TU). If your program already compiles
// *** stb_image_write's implementation elsewhere, do not define EMBER_STB_IMPLEMENTATION.
// *** Without any implementation, linking fails with undefined stbi_write_png_to_func.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <ember/core/error.hpp>
#include <ember/io/atomic_file.hpp>

#if defined(EMBER_STB_IMPLEMENTATION) && !defined(STB_IMAGE_WRITE_IMPLEMENTATION)
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define EMBER_DEFINED_STB_IMAGE_WRITE_IMPLEMENTATION
#endif
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop
#ifdef EMBER_DEFINED_STB_IMAGE_WRITE_IMPLEMENTATION
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#undef EMBER_DEFINED_STB_IMAGE_WRITE_IMPLEMENTATION
#endif

namespace ember::viz {

// One image of the grid: width * height grayscale pixels (row-major, 0 = black), e.g. an
// MNIST digit (28 x 28, light on dark). predicted != label marks the image as wrong.
struct GridImage {
  std::vector<std::uint8_t> pixels;
  int label = 0;
  int predicted = 0;
  // Drawn instead of "true <label> / pred <predicted>" when not empty (lines split at '\n'):
  // class names say more than numbers, and the caller knows how long they may be.
  std::string caption;
};

struct ImageGridOptions {
  int image_width = 28;
  int image_height = 28;
  int columns = 10;  // images per row
  int scale = 3;     // each pixel becomes scale x scale
  int font_scale = 1;
  // Caption under each image: GridImage::caption, or "true <label> / pred <predicted>".
  bool captions = true;
};

// An RGB image in memory (row-major, 3 bytes per pixel).
struct RgbImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
  void fill_rect(int x, int y, int w, int h, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    for (int yy = std::max(0, y); yy < std::min(height, y + h); ++yy) {
      for (int xx = std::max(0, x); xx < std::min(width, x + w); ++xx) {
        std::uint8_t* p = &rgb[(static_cast<std::size_t>(yy) * static_cast<std::size_t>(width) + xx) * 3];
        p[0] = r, p[1] = g, p[2] = b;
      }
    }
  }
};

namespace detail {

// 5x7 glyphs: 7 rows, the 5 low bits of each, bit 4 the leftmost column.
struct Glyph {
  char c;
  std::uint8_t rows[7];
};

inline const Glyph* find_glyph(char c) {
  static const Glyph glyphs[] = {
      {'0', {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110}},
      {'1', {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
      {'2', {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111}},
      {'3', {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110}},
      {'4', {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010}},
      {'5', {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110}},
      {'6', {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110}},
      {'7', {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000}},
      {'8', {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110}},
      {'9', {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100}},
      {'a', {0b00000, 0b00000, 0b01110, 0b00001, 0b01111, 0b10001, 0b01111}},
      {'c', {0b00000, 0b00000, 0b01110, 0b10000, 0b10000, 0b10001, 0b01110}},
      {'d', {0b00001, 0b00001, 0b01101, 0b10011, 0b10001, 0b10001, 0b01111}},
      {'e', {0b00000, 0b00000, 0b01110, 0b10001, 0b11111, 0b10000, 0b01110}},
      {'i', {0b00100, 0b00000, 0b01100, 0b00100, 0b00100, 0b00100, 0b01110}},
      {'l', {0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
      {'n', {0b00000, 0b00000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001}},
      {'o', {0b00000, 0b00000, 0b01110, 0b10001, 0b10001, 0b10001, 0b01110}},
      {'p', {0b00000, 0b00000, 0b11110, 0b10001, 0b11110, 0b10000, 0b10000}},
      {'r', {0b00000, 0b00000, 0b10110, 0b11001, 0b10000, 0b10000, 0b10000}},
      {'s', {0b00000, 0b00000, 0b01111, 0b10000, 0b01110, 0b00001, 0b11110}},
      {'t', {0b01000, 0b01000, 0b11100, 0b01000, 0b01000, 0b01001, 0b00110}},
      {'u', {0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b10011, 0b01101}},
      {' ', {0, 0, 0, 0, 0, 0, 0}},
      {'/', {0b00000, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b00000}},
      {':', {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000}},
      {'.', {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100}},
      {'%', {0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011}},
      {'-', {0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000}},
      {'?', {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b00000, 0b00100}},
      {'A', {0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
      {'B', {0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110}},
      {'C', {0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110}},
      {'D', {0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100}},
      {'E', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111}},
      {'F', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000}},
      {'G', {0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111}},
      {'H', {0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
      {'I', {0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
      {'J', {0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100}},
      {'K', {0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001}},
      {'L', {0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111}},
      {'M', {0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001}},
      {'N', {0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001}},
      {'O', {0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
      {'P', {0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000}},
      {'Q', {0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101}},
      {'R', {0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001}},
      {'S', {0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110}},
      {'T', {0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100}},
      {'U', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
      {'V', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100}},
      {'W', {0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010}},
      {'X', {0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001}},
      {'Y', {0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100, 0b00100}},
      {'Z', {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111}},
      {'b', {0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b11110}},
      {'f', {0b00110, 0b01001, 0b01000, 0b11100, 0b01000, 0b01000, 0b01000}},
      {'g', {0b00000, 0b01111, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110}},
      {'h', {0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001}},
      {'j', {0b00010, 0b00000, 0b00110, 0b00010, 0b00010, 0b10010, 0b01100}},
      {'k', {0b10000, 0b10000, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010}},
      {'m', {0b00000, 0b00000, 0b11010, 0b10101, 0b10101, 0b10001, 0b10001}},
      {'q', {0b00000, 0b00000, 0b01101, 0b10011, 0b01111, 0b00001, 0b00001}},
      {'v', {0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100}},
      {'w', {0b00000, 0b00000, 0b10001, 0b10001, 0b10101, 0b10101, 0b01010}},
      {'x', {0b00000, 0b00000, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001}},
      {'y', {0b00000, 0b00000, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110}},
      {'z', {0b00000, 0b00000, 0b11111, 0b00010, 0b00100, 0b01000, 0b11111}},
      {'!', {0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00000, 0b00100}},
      {'"', {0b01010, 0b01010, 0b01010, 0b00000, 0b00000, 0b00000, 0b00000}},
      {'#', {0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010}},
      {'$', {0b00100, 0b01111, 0b10100, 0b01110, 0b00101, 0b11110, 0b00100}},
      {'&', {0b01100, 0b10010, 0b10100, 0b01000, 0b10101, 0b10010, 0b01101}},
      {'\'', {0b00100, 0b00100, 0b01000, 0b00000, 0b00000, 0b00000, 0b00000}},
      {'(', {0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010}},
      {')', {0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000}},
      {'*', {0b00000, 0b00100, 0b10101, 0b01110, 0b10101, 0b00100, 0b00000}},
      {'+', {0b00000, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0b00000}},
      {',', {0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b00100, 0b01000}},
      {';', {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b00100, 0b01000}},
      {'<', {0b00010, 0b00100, 0b01000, 0b10000, 0b01000, 0b00100, 0b00010}},
      {'=', {0b00000, 0b00000, 0b11111, 0b00000, 0b11111, 0b00000, 0b00000}},
      {'>', {0b01000, 0b00100, 0b00010, 0b00001, 0b00010, 0b00100, 0b01000}},
      {'@', {0b01110, 0b10001, 0b00001, 0b01101, 0b10101, 0b10101, 0b01110}},
      {'[', {0b01110, 0b01000, 0b01000, 0b01000, 0b01000, 0b01000, 0b01110}},
      {'\\', {0b00000, 0b10000, 0b01000, 0b00100, 0b00010, 0b00001, 0b00000}},
      {']', {0b01110, 0b00010, 0b00010, 0b00010, 0b00010, 0b00010, 0b01110}},
      {'^', {0b00100, 0b01010, 0b10001, 0b00000, 0b00000, 0b00000, 0b00000}},
      {'_', {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b11111}},
      {'`', {0b01000, 0b00100, 0b00010, 0b00000, 0b00000, 0b00000, 0b00000}},
      {'{', {0b00010, 0b00100, 0b00100, 0b01000, 0b00100, 0b00100, 0b00010}},
      {'|', {0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100}},
      {'}', {0b01000, 0b00100, 0b00100, 0b00010, 0b00100, 0b00100, 0b01000}},
      {'~', {0b00000, 0b00000, 0b01000, 0b10101, 0b00010, 0b00000, 0b00000}},
  };
  for (const Glyph& g : glyphs)
    if (g.c == c) return &g;
  return nullptr;
}

}  // namespace detail

// The lines of `text` (split at '\n').
inline std::vector<std::string> text_lines(const std::string& text) {
  std::vector<std::string> lines(1);
  for (char c : text) {
    if (c == '\n') {
      lines.emplace_back();
    } else {
      lines.back() += c;
    }
  }
  return lines;
}

// UTF-8 continuation bytes take no place of their own: a character outside the font is one '?'.
inline bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

inline int text_columns(const std::string& line) {
  return static_cast<int>(std::count_if(line.begin(), line.end(), [](char c) { return !is_utf8_continuation(c); }));
}

// Width in pixels of `text` drawn at `scale` (6 columns per character, less the last gap; the
// widest line of a text of several lines).
inline int text_width(const std::string& text, int scale = 1) {
  int columns = 0;
  for (const std::string& line : text_lines(text)) columns = std::max(columns, text_columns(line));
  return columns == 0 ? 0 : (columns * 6 - 1) * scale;
}

// Height in pixels of `text` at `scale`: 7 rows per line, 2 between lines.
inline int text_height(const std::string& text, int scale = 1) {
  const int lines = static_cast<int>(text_lines(text).size());
  return (lines * 9 - 2) * scale;
}

// Draws `text` with its top-left corner at (x, y), each font pixel scale x scale; each line of
// a text of several lines is centred on the widest.
inline void draw_text(RgbImage& img, int x, int y, const std::string& text, int scale, std::uint8_t r,
                      std::uint8_t g, std::uint8_t b) {
  const int width = text_width(text, scale);
  int line_y = y;
  for (const std::string& line : text_lines(text)) {
    int gx = x + (width - text_width(line, scale)) / 2;
    for (char c : line) {
      if (is_utf8_continuation(c)) continue;
      const detail::Glyph* glyph = detail::find_glyph(c);
      if (!glyph) glyph = detail::find_glyph('?');
      for (int row = 0; row < 7; ++row)
        for (int col = 0; col < 5; ++col)
          if (glyph->rows[row] & (1u << (4 - col)))
            img.fill_rect(gx + col * scale, line_y + row * scale, scale, scale, r, g, b);
      gx += 6 * scale;
    }
    line_y += 9 * scale;
  }
}

// PNG bytes of an RGB image, through stb_image_write (see the top of this header).
inline std::vector<unsigned char> encode_png(const RgbImage& img) {
  EMBER_CHECK(img.width > 0 && img.height > 0 &&
                  img.rgb.size() == static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height) * 3,
              ValueError, "viz::encode_png", "expected width * height * 3 bytes, got ", img.rgb.size(), " for ",
              img.width, " x ", img.height);
  std::vector<unsigned char> out;
  auto sink = [](void* context, void* data, int size) {
    auto* bytes = static_cast<std::vector<unsigned char>*>(context);
    const auto* p = static_cast<const unsigned char*>(data);
    bytes->insert(bytes->end(), p, p + size);
  };
  const int ok = stbi_write_png_to_func(sink, &out, img.width, img.height, 3, img.rgb.data(), img.width * 3);
  EMBER_CHECK(ok != 0, ValueError, "viz::encode_png", "stb_image_write failed for a ", img.width, " x ", img.height,
              " image");
  return out;
}

// The grid as an RGB image: a dark background, each image upscaled by options.scale inside a
// border (red for wrong predictions, dark grey otherwise), its caption underneath.
inline RgbImage render_image_grid(const std::vector<GridImage>& images, const ImageGridOptions& options = {}) {
  const char* op = "viz::image_grid";
  EMBER_CHECK(!images.empty(), ValueError, op, "expected at least one image, got none");
  EMBER_CHECK(options.image_width > 0 && options.image_height > 0 && options.columns > 0 && options.scale > 0 &&
                  options.font_scale > 0,
              ValueError, op, "expected positive sizes, got image ", options.image_width, " x ",
              options.image_height, ", columns ", options.columns, ", scale ", options.scale, ", font_scale ",
              options.font_scale);
  const std::size_t npix = static_cast<std::size_t>(options.image_width) * static_cast<std::size_t>(options.image_height);
  for (std::size_t i = 0; i < images.size(); ++i)
    EMBER_CHECK(images[i].pixels.size() == npix, ShapeError, op, "expected ", options.image_width, " x ",
                options.image_height, " = ", npix, " pixels, got ", images[i].pixels.size(), " in image ", i);

  auto caption = [](const GridImage& im) {
    if (!im.caption.empty()) return im.caption;
    return "true " + std::to_string(im.label) + " / pred " + std::to_string(im.predicted);
  };
  const int border = std::max(2, options.scale);
  const int pad = 4;
  const int img_w = options.image_width * options.scale, img_h = options.image_height * options.scale;
  int caption_w = 0, text_h = 0;
  if (options.captions) {
    for (const GridImage& im : images) {
      caption_w = std::max(caption_w, text_width(caption(im), options.font_scale));
      text_h = std::max(text_h, text_height(caption(im), options.font_scale));
    }
  }
  const int caption_h = options.captions ? text_h + 4 : 0;
  const int tile_w = std::max(img_w + 2 * border, caption_w) + 2 * pad;
  const int tile_h = img_h + 2 * border + caption_h + 2 * pad;
  const int cols = std::min<int>(options.columns, static_cast<int>(images.size()));
  const int rows = (static_cast<int>(images.size()) + cols - 1) / cols;

  RgbImage img;
  img.width = cols * tile_w;
  img.height = rows * tile_h;
  img.rgb.assign(static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height) * 3, 0);
  img.fill_rect(0, 0, img.width, img.height, 24, 24, 24);

  for (std::size_t i = 0; i < images.size(); ++i) {
    const GridImage& im = images[i];
    const bool wrong = im.label != im.predicted;
    const int tx = static_cast<int>(i) % cols * tile_w, ty = static_cast<int>(i) / cols * tile_h;
    const int bx = tx + (tile_w - img_w - 2 * border) / 2, by = ty + pad;
    if (wrong) {
      img.fill_rect(bx, by, img_w + 2 * border, img_h + 2 * border, 255, 0, 0);
    } else {
      img.fill_rect(bx, by, img_w + 2 * border, img_h + 2 * border, 80, 80, 80);
    }
    for (int y = 0; y < options.image_height; ++y) {
      for (int x = 0; x < options.image_width; ++x) {
        const std::uint8_t v = im.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(options.image_width) + x];
        img.fill_rect(bx + border + x * options.scale, by + border + y * options.scale, options.scale, options.scale,
                      v, v, v);
      }
    }
    if (options.captions) {
      const std::string text = caption(im);
      const int cx = tx + (tile_w - text_width(text, options.font_scale)) / 2;
      const int cy = by + img_h + 2 * border + 3;
      if (wrong) {
        draw_text(img, cx, cy, text, options.font_scale, 255, 96, 96);
      } else {
        draw_text(img, cx, cy, text, options.font_scale, 230, 230, 230);
      }
    }
  }
  return img;
}

// PNG bytes of the grid (for an HTML report: viz/report.hpp embeds them).
inline std::vector<unsigned char> image_grid_png(const std::vector<GridImage>& images,
                                                 const ImageGridOptions& options = {}) {
  return encode_png(render_image_grid(images, options));
}

// Writes the grid to `path` as a PNG, atomically (a reader never sees half a file).
inline void image_grid(const std::string& path, const std::vector<GridImage>& images,
                       const ImageGridOptions& options = {}) {
  const std::vector<unsigned char> png = image_grid_png(images, options);
  io::write_file_atomic(path, std::string(png.begin(), png.end()));
}

}  // namespace ember::viz
