// The screens load_image runs before stb_image sees a file (image/screen.hpp), here those
// of PNG and BMP: PNGs written by a small encoder of this file (every colour type, bit depths
// 1..16, plain and Adam7-interlaced, odd sizes) and BMPs of stb_image_write pass and decode in
// stb to the pixels written; files whose chunks, image data or pixel rows lie about their size
// are refused with messages naming the numbers.
// No Eigen here: this unit compiles in a few seconds.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <ember/image/screen.hpp>
#include "png_bytes.hpp"
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace data = ember::data;
using Catch::Matchers::Contains;
using Bytes = std::vector<std::uint8_t>;
using namespace png_bytes;

namespace {

struct Image {
  std::uint32_t width, height;
  unsigned depth, color_type;
  std::vector<unsigned> samples;  // row-major, channels per pixel, each < 2^depth
};

unsigned channels_of(unsigned color_type) { return data::detail::PngHeader{1, 1, 8, color_type, 0}.channels(); }

// The filtered scanlines (filter type 0) of the pixels at (x0 + i*dx, y0 + j*dy).
Bytes scanlines(const Image& img, unsigned x0, unsigned y0, unsigned dx, unsigned dy) {
  const unsigned n = channels_of(img.color_type);
  Bytes out;
  for (std::uint32_t y = y0; y < img.height; y += dy) {
    if (x0 >= img.width) break;
    out.push_back(0);
    unsigned bits = 0, acc = 0;
    for (std::uint32_t x = x0; x < img.width; x += dx)
      for (unsigned c = 0; c < n; ++c) {
        const unsigned v = img.samples[(std::size_t(y) * img.width + x) * n + c];
        if (img.depth == 16) {
          out.push_back(static_cast<std::uint8_t>(v >> 8));
          out.push_back(static_cast<std::uint8_t>(v & 255));
        } else {
          acc = acc << img.depth | v;
          bits += img.depth;
          if (bits == 8) out.push_back(static_cast<std::uint8_t>(acc)), bits = 0, acc = 0;
        }
      }
    if (bits) out.push_back(static_cast<std::uint8_t>(acc << (8 - bits)));  // pad the row's last byte
  }
  return out;
}

Bytes image_data(const Image& img, bool interlaced) {
  if (!interlaced) return scanlines(img, 0, 0, 1, 1);
  static constexpr unsigned x0[7] = {0, 4, 0, 2, 0, 1, 0}, y0[7] = {0, 0, 4, 0, 2, 0, 1};
  static constexpr unsigned dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
  Bytes out;
  for (int p = 0; p < 7; ++p) {
    const Bytes pass = scanlines(img, x0[p], y0[p], dx[p], dy[p]);
    out.insert(out.end(), pass.begin(), pass.end());
  }
  return out;
}

// A PNG of `img`, its compressed image data split over `idat_chunks` IDAT chunks.
Bytes encode_png(const Image& img, bool interlaced, int idat_chunks = 1) {
  Bytes png = signature();
  put_chunk(png, "IHDR", ihdr(img.width, img.height, img.depth, img.color_type, interlaced));
  if (img.color_type == 3) {  // a grey ramp palette for every index
    Bytes palette;
    for (unsigned i = 0; i < (1u << img.depth); ++i) palette.insert(palette.end(), 3, static_cast<std::uint8_t>(i));
    put_chunk(png, "PLTE", palette);
  }
  const Bytes z = zlib_compress(image_data(img, interlaced));
  const std::size_t step = z.size() / static_cast<std::size_t>(idat_chunks) + 1;
  for (std::size_t at = 0; at < z.size(); at += step) {
    const auto from = z.begin() + static_cast<long>(at);
    put_chunk(png, "IDAT", Bytes(from, from + static_cast<long>(std::min(step, z.size() - at))));
  }
  put_chunk(png, "IEND", {});
  return png;
}

Image pattern(std::uint32_t w, std::uint32_t h, unsigned depth, unsigned color_type) {
  Image img{w, h, depth, color_type, {}};
  const std::size_t count = std::size_t(w) * h * channels_of(color_type);
  for (std::size_t i = 0; i < count; ++i) img.samples.push_back(static_cast<unsigned>((i * 7919 + 13) % (1u << depth)));
  return img;
}

// stb's 8-bit grey + alpha decode (what load_image asks for) of a PNG in memory.
Bytes decode(const Bytes& png, int& w, int& h) {
  int channels = 0;
  stbi_uc* pixels = stbi_load_from_memory(png.data(), static_cast<int>(png.size()), &w, &h, &channels, 2);
  if (!pixels) return {};
  Bytes out(pixels, pixels + std::size_t(w) * h * 2);
  stbi_image_free(pixels);
  return out;
}

}  // namespace

TEST_CASE("png_problem passes PNGs of every colour type and depth, plain and interlaced", "[data][image][fuzz]") {
  struct Format {
    unsigned depth, color_type;
  };
  const Format formats[] = {{1, 0}, {2, 0}, {4, 0}, {8, 0}, {16, 0}, {8, 2}, {16, 2}, {1, 3},
                            {4, 3}, {8, 3}, {8, 4}, {16, 4}, {8, 6}, {16, 6}};
  const std::pair<std::uint32_t, std::uint32_t> sizes[] = {{1, 1}, {3, 5}, {8, 8}, {9, 17}, {33, 2}, {2, 33}};
  for (const Format& f : formats)
    for (const auto& [w, h] : sizes) {
      const Image img = pattern(w, h, f.depth, f.color_type);
      int pw = 0, ph = 0, iw = 0, ih = 0;
      const Bytes plain_png = encode_png(img, false, 1), interlaced_png = encode_png(img, true, 3);
      INFO("depth " << f.depth << ", colour type " << f.color_type << ", " << w << "x" << h);
      CHECK(data::detail::png_problem(plain_png).empty());
      CHECK(data::detail::png_problem(interlaced_png).empty());
      // The encoder is right: stb decodes both to the same pixels, of the size written.
      const Bytes plain = decode(plain_png, pw, ph), interlaced = decode(interlaced_png, iw, ih);
      REQUIRE(!plain.empty());
      CHECK((pw == static_cast<int>(w) && ph == static_cast<int>(h)));
      CHECK(plain == interlaced);
    }
}

TEST_CASE("png_problem refuses chunks longer than the file and image data of the wrong size", "[data][image][fuzz]") {
  const Bytes pixels(28 * (28 + 1), 0);  // 28 rows of a filter byte and 28 grey pixels
  REQUIRE(data::detail::png_problem(grey_png(28, 28, zlib_compress(pixels))).empty());

  // stb_image 2.27 reallocates its IDAT buffer to the declared length before reading it: the
  // fuzzer's input made it ask for 2 GB.
  CHECK_THAT(
      data::detail::png_problem(grey_png(28, 28, Bytes(16, 0), 0x7FFFF000)),
      Contains("corrupt PNG: chunk 'IDAT' at byte 33 declares 2147479552 bytes, but only 32 follow in the file"));
  Bytes odd_type = grey_png(28, 28, Bytes(16, 0), 1 << 20);
  odd_type[33 + 4] = 0x01;  // the type of the chunk at byte 33, made unprintable
  CHECK_THAT(data::detail::png_problem(odd_type), Contains("chunk 0x01444154 at byte 33 declares 1048576 bytes"));

  // A zlib bomb: 1 MB of zeros for a 28x28 image (stb grew its buffer with the stream).
  CHECK_THAT(data::detail::png_problem(grey_png(28, 28, zlib_compress(Bytes(1 << 20, 0)))),
             Contains("corrupt PNG: the image data inflates to more than the 812 bytes of a 28x28 image (8-bit, 1 "
                      "channel)"));
  CHECK_THAT(data::detail::png_problem(grey_png(28, 28, zlib_compress(Bytes(813, 0)))),
             Contains("more than the 812 bytes"));
  // Too little: a complete stream of 800 bytes, and a stream cut short.
  CHECK_THAT(data::detail::png_problem(grey_png(28, 28, zlib_compress(Bytes(800, 0)))),
             Contains("the image data inflates to 800 bytes, not the 812 of a 28x28 image (8-bit, 1 channel)") &&
                 !Contains("cut short"));
  Bytes varied(812);
  for (std::size_t i = 0; i < varied.size(); ++i) varied[i] = static_cast<std::uint8_t>(i * 31 % 251);
  Bytes cut = zlib_compress(varied);
  cut.resize(cut.size() / 2);
  CHECK_THAT(data::detail::png_problem(grey_png(28, 28, cut)),
             Contains("not the 812") && Contains("(the file is cut short?)"));
  // Not zlib at all.
  CHECK_THAT(data::detail::png_problem(grey_png(28, 28, Bytes(40, 0x55))),
             Contains("corrupt PNG: the image data is no valid zlib stream (incorrect header check)"));
  // The interlaced size counts a filter byte per row of every pass: 3x3 grey has passes 1, 4,
  // 5, 6 and 7 of 1x1, 1x1, 2x1, 1x2 and 3x1 pixels: 2 + 2 + 3 + 4 + 4 bytes.
  CHECK(data::detail::PngHeader{3, 3, 8, 0, 1}.image_data_bytes() == 15);
  CHECK(data::detail::PngHeader{3, 3, 8, 0, 0}.image_data_bytes() == 12);
}

TEST_CASE("png_problem leaves other files and broken headers to stb", "[data][image][fuzz]") {
  CHECK(data::detail::png_problem({}).empty());
  CHECK(data::detail::png_problem(Bytes{'B', 'M', 0, 0}).empty());
  CHECK(data::detail::png_problem(signature()).empty());  // no chunks: stb refuses it
  // IHDR with a bit depth of 3: no size to check against; stb refuses the file itself.
  Bytes bad_depth = signature();
  put_chunk(bad_depth, "IHDR", ihdr(28, 28, 3, 0, false));
  put_chunk(bad_depth, "IDAT", zlib_compress(Bytes(1 << 16, 0)));
  CHECK(data::detail::png_problem(bad_depth).empty());
  int w = 0, h = 0;
  CHECK(decode(bad_depth, w, h).empty());
}

TEST_CASE("png_problem names a PNG that ends before its IEND chunk", "[data][image][fuzz]") {
  // stb refuses such a file with an empty reason ("cannot decode the image ()"), so the screen
  // says what is wrong; the file is cut after its image data, with or without stray bytes.
  Bytes short_tail = grey_png(28, 28, zlib_compress(Bytes(812, 0)));
  const std::size_t full = short_tail.size();
  for (std::size_t keep : {full - 12, full - 12 + 3, full - 12 + 7}) {
    Bytes cut(short_tail.begin(), short_tail.begin() + static_cast<long>(keep));
    INFO(keep << " of " << full << " bytes");
    CHECK_THAT(data::detail::png_problem(cut),
               Contains("truncated PNG: the file ends after " + std::to_string(keep) + " bytes, before its IEND chunk"));
    int w = 0, h = 0;
    CHECK(decode(cut, w, h).empty());  // stb cannot decode it either: nothing readable is refused
  }
  CHECK(data::detail::png_problem(short_tail).empty());
}

namespace {

Bytes bmp_of(int w, int h, int channels) {
  Bytes pixels(static_cast<std::size_t>(w * h * channels));
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 37 % 256);
  Bytes file;
  auto append = [](void* context, void* bytes, int size) {
    auto* out = static_cast<Bytes*>(context);
    out->insert(out->end(), static_cast<std::uint8_t*>(bytes), static_cast<std::uint8_t*>(bytes) + size);
  };
  REQUIRE(stbi_write_bmp_to_func(append, &file, w, h, channels, pixels.data()));
  return file;
}

}  // namespace

TEST_CASE("bmp_problem passes whole BMPs and refuses pixel rows missing from the file", "[data][image][fuzz]") {
  // 3x5, 24-bit: rows of 9 bytes padded to 12, from byte 54.
  const Bytes rgb = bmp_of(3, 5, 3);
  REQUIRE(rgb.size() == 54 + 5 * 12);
  CHECK(data::detail::bmp_problem(rgb).empty());
  CHECK(data::detail::bmp_problem(bmp_of(7, 2, 4)).empty());  // 32-bit with alpha
  int w = 0, h = 0;
  CHECK(!decode(rgb, w, h).empty());
  // The last row's padding may be missing; a pixel may not.
  const Bytes no_padding(rgb.begin(), rgb.end() - 3);
  CHECK(data::detail::bmp_problem(no_padding).empty());
  CHECK(!decode(no_padding, w, h).empty());
  const Bytes cut(rgb.begin(), rgb.end() - 4);
  CHECK_THAT(data::detail::bmp_problem(cut),
             Contains("corrupt BMP: the pixel rows of a 3x5 24-bit image need 111 bytes, the file has 110 (a "
                      "truncated file?)"));
  // A header alone for 8192x8192 pixels (stb decoded it from nothing: seconds and 600 MB).
  Bytes header_only(rgb.begin(), rgb.begin() + 54);
  for (const std::size_t at : {18u, 22u}) header_only[at] = 0, header_only[at + 1] = 0x20;  // 0x2000 = 8192
  CHECK_THAT(data::detail::bmp_problem(header_only),
             Contains("the pixel rows of a 8192x8192 24-bit image need 201326646 bytes, the file has 54"));
  // A top-down image (negative height) counts its rows the same.
  Bytes top_down = cut;
  const auto minus_five = static_cast<std::uint32_t>(std::int32_t{-5});
  for (std::size_t i = 0; i < 4; ++i) top_down[22 + i] = static_cast<std::uint8_t>(minus_five >> (8 * i));
  CHECK_THAT(data::detail::bmp_problem(top_down), Contains("a 3x5 24-bit image need 111 bytes"));

  // The OS/2 header (12 bytes, 16-bit sizes): 2x2 24-bit, rows of 6 bytes padded to 8.
  Bytes os2{'B', 'M', 42, 0, 0, 0, 0, 0, 0, 0, 26, 0, 0, 0, 12, 0, 0, 0, 2, 0, 2, 0, 1, 0, 24, 0};
  os2.insert(os2.end(), 16, 0x80);
  CHECK(data::detail::bmp_problem(os2).empty());
  CHECK(!decode(os2, w, h).empty());
  os2.resize(os2.size() - 3);
  CHECK_THAT(data::detail::bmp_problem(os2), Contains("a 2x2 24-bit image need 40 bytes, the file has 39"));
  // stb decodes a negative compression field as rows too (found by fuzz_image: 7 s of zeros).
  Bytes negative = header_only;
  for (std::size_t i = 0; i < 4; ++i) negative[30 + i] = 0xFF;
  CHECK_THAT(data::detail::bmp_problem(negative), Contains("a 8192x8192 24-bit image need 201326646 bytes"));
  // A data offset inside the header: stb would skip to the end of the file and read zeros.
  Bytes early = rgb;
  early[10] = 50;
  CHECK_THAT(data::detail::bmp_problem(early),
             Contains("corrupt BMP: the pixel data offset 50 points into the 54-byte header"));
  // Not a BMP, or a header stb refuses itself (RLE compression).
  CHECK(data::detail::bmp_problem(Bytes{'B', 'M'}).empty());
  Bytes rle = header_only;
  rle[30] = 1;
  CHECK(data::detail::bmp_problem(rle).empty());
  CHECK(decode(rle, w, h).empty());
}

namespace {

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The offset of the n-th (1-based) occurrence of marker FF `code`.
std::size_t marker_at(const Bytes& b, std::uint8_t code, int n) {
  for (std::size_t i = 0; i + 1 < b.size(); ++i)
    if (b[i] == 0xFF && b[i + 1] == code && --n == 0) return i;
  FAIL("marker not found");
  return 0;
}

}  // namespace

TEST_CASE("jpeg_problem passes real JPEGs: baseline, optimised, progressive, restart markers", "[data][image][fuzz]") {
  const std::string dir = std::string(EMBER_TEST_DATA_DIR) + "/jpeg-variants/";
  for (const char* name : {"baseline-restart.jpg", "baseline-optimized.jpg", "progressive-restart.jpg",
                           "progressive-grey.jpg"}) {
    INFO(name);
    const Bytes jpeg = read_file(dir + name);
    CHECK(data::detail::jpeg_problem(jpeg).empty());
    int w = 0, h = 0;
    CHECK(decode(jpeg, w, h).size() == 28 * 28 * 2);
  }
}

TEST_CASE("jpeg_table_problem refuses a scan whose Huffman table the file never defined", "[data][image][fuzz]") {
  const std::string dir = std::string(EMBER_TEST_DATA_DIR) + "/jpeg-variants/";
  // A baseline file whose Huffman tables are turned into a comment (FF C4 -> FF FE).
  Bytes no_tables = read_file(dir + "baseline-optimized.jpg");
  for (std::size_t i = 0; i + 1 < no_tables.size(); ++i)
    if (no_tables[i] == 0xFF && no_tables[i + 1] == 0xC4) no_tables[i + 1] = 0xFE;
  CHECK_THAT(data::detail::jpeg_problem(no_tables),
             Contains("corrupt JPEG: scan 1 uses DC Huffman table 0, which the file does not define before it"));

  // Progressive: a DC scan names an AC table it does not use; only the tables a scan decodes
  // with must exist. Scan 1 of the grey file is its DC scan, the later ones AC scans.
  const Bytes grey = read_file(dir + "progressive-grey.jpg");
  Bytes dc_names_ac3 = grey;
  const std::size_t sos1 = marker_at(grey, 0xDA, 1);
  REQUIRE(grey[sos1 + 4] == 1);    // one component
  REQUIRE(grey[sos1 + 7] == 0);    // spectral start 0: a DC scan
  dc_names_ac3[sos1 + 6] |= 0x03;  // AC table 3: never defined
  CHECK(data::detail::jpeg_problem(dc_names_ac3).empty());
  int w = 0, h = 0;
  CHECK(decode(dc_names_ac3, w, h).size() == 28 * 28 * 2);
  Bytes ac_uses_ac3 = grey;
  const std::size_t sos2 = marker_at(grey, 0xDA, 2);
  REQUIRE(grey[sos2 + 7] > 0);  // an AC scan
  ac_uses_ac3[sos2 + 6] = static_cast<std::uint8_t>((ac_uses_ac3[sos2 + 6] & 0xF0) | 0x03);
  CHECK_THAT(data::detail::jpeg_problem(ac_uses_ac3), Contains("scan 2 uses AC Huffman table 3"));

  // fuzz_image: the third scan of a baseline file named AC table 3, which stb then read
  // uninitialised, indexing 459,438 bytes before an array.
  const Bytes fuzzed =
      read_file(std::string(EMBER_TEST_DATA_DIR) + "/fuzz-regressions/jpeg-scan-uses-undefined-table.jpg");
  CHECK(data::detail::jpeg_problem(fuzzed) ==
        "corrupt JPEG: scan 3 uses AC Huffman table 3, which the file does not define before it");
  // Not a JPEG, a file cut inside a scan, and the bare markers: nothing to object to.
  CHECK(data::detail::jpeg_table_problem({}).empty());
  CHECK(data::detail::jpeg_table_problem(Bytes{0xFF, 0xD8, 0xFF, 0xD9}).empty());
  const Bytes cut(grey.begin(), grey.begin() + static_cast<long>(sos2 + 20));
  CHECK(data::detail::jpeg_table_problem(cut).empty());
}
