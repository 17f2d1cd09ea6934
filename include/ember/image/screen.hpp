#pragma once
// Screens of image files that Debian's stb_image 2.27 would mishandle: load_image runs them on
// the file's bytes before stb sees it, so a hostile or broken file gets a FormatError instead
// of a heap overflow or a gigabyte allocation. Each screen returns the problem as text (empty:
// no objection; what stb refuses by itself is left to stb) and never allocates more than the
// file plus a fixed buffer.
//
// Needs zlib (link with -lz, or ZLIB::ZLIB in CMake).

#include <zlib.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ember/data/byte_fields.hpp"

namespace ember::data::detail {

// What stb_image takes for a JPEG: an SOI marker, which like every marker may be preceded by
// fill bytes (FF ... FF D8).
inline bool is_jpeg(const std::vector<std::uint8_t>& b) {
  std::size_t i = 0;
  while (i < b.size() && b[i] == 0xFF) ++i;
  return i >= 1 && i < b.size() && b[i] == 0xD8;
}

// stb_image 2.27 writes past a 257-entry array when a JPEG Huffman table declares more than 256
// codes (fixed upstream in 2.28). Such a table is invalid JPEG, so it is refused here. Every
// "FF C4" (a DHT marker) in the file is read as stb reads a DHT segment: a conservative superset
// of the segments stb would process, since a valid file has "FF C4" nowhere else (entropy-coded
// data stuff every FF with 00 or a restart marker).
inline std::string jpeg_huffman_problem(const std::vector<std::uint8_t>& b) {
  auto byte = [&](std::size_t i) -> unsigned { return i < b.size() ? b[i] : 0u; };  // stb reads 0 past the end
  for (std::size_t at = 0; at + 1 < b.size(); ++at) {
    if (b[at] != 0xFF || b[at + 1] != 0xC4) continue;
    long remaining = static_cast<long>(byte(at + 2) << 8 | byte(at + 3)) - 2;
    std::size_t p = at + 4;
    while (remaining > 0) {
      const unsigned table_class = byte(p) >> 4, table_id = byte(p) & 15u;
      if (table_class > 1 || table_id > 3) break;  // stb refuses this itself
      unsigned codes = 0;
      for (std::size_t k = 1; k <= 16; ++k) codes += byte(p + k);
      if (codes > 256)
        return "corrupt JPEG: a Huffman table declares " + std::to_string(codes) + " codes (at most 256)";
      p += 17 + codes;
      remaining -= 17 + static_cast<long>(codes);
    }
  }
  return {};
}

// stb_image 2.27 decodes a scan with whatever a Huffman table it never read holds (its decoder
// state is malloc'ed, not cleared), indexing with garbage: a read far out of bounds (fixed
// upstream in 2.28). A valid JPEG defines every table before a scan uses it, so a scan that uses
// an undefined table is refused. The markers are walked as stb walks them: segments by their
// length (before the frame header, stb also skips stray bytes between them), and after each
// scan header its entropy-coded data up to the first marker that is no stuffed 00 or RSTn; stb
// stops at that marker or earlier, so every scan stb decodes is seen here.
inline std::string jpeg_table_problem(const std::vector<std::uint8_t>& b) {
  auto byte = [&](std::size_t i) -> unsigned { return i < b.size() ? b[i] : 0u; };
  bool defined[2][4] = {};  // [DC = 0, AC = 1][table id]
  bool frame = false, progressive = false;
  int scan = 0;
  std::size_t at = 0;
  while (at < b.size()) {
    if (b[at] != 0xFF) {
      if (frame) return {};  // stb: "expected marker"
      ++at;                  // before the frame stb scans for the next marker
      continue;
    }
    while (at < b.size() && b[at] == 0xFF) ++at;  // fill bytes
    if (at >= b.size()) return {};
    const unsigned marker = b[at++];
    if (marker == 0xD9) return {};                                      // EOI
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // SOI, RSTn: no length
    const std::size_t length = byte(at) << 8 | byte(at + 1), end = at + length;
    if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) frame = true, progressive = marker == 0xC2;
    if (marker == 0xC4) {  // DHT: tables as stb reads them (jpeg_huffman_problem vets their counts)
      std::size_t p = at + 2;
      while (p < end) {
        const unsigned table_class = byte(p) >> 4, table_id = byte(p) & 15u;
        if (table_class > 1 || table_id > 3) return {};  // stb refuses this itself
        defined[table_class][table_id] = true;
        std::size_t codes = 0;
        for (std::size_t k = 1; k <= 16; ++k) codes += byte(p + k);
        p += 17 + codes;
      }
    }
    if (marker == 0xDA && frame) {  // SOS
      ++scan;
      const unsigned components = byte(at + 2);
      const std::size_t tail = at + 3 + 2 * components;  // spectral start, end, approximation
      const unsigned spectral_start = byte(tail), approximation_high = byte(tail + 2) >> 4;
      // Progressive scans use one kind of table: DC scans the DC tables (refinements none), AC
      // scans the AC tables; other scans use both.
      const bool uses[2] = {!progressive || (spectral_start == 0 && approximation_high == 0),
                            !progressive || spectral_start > 0};
      for (unsigned c = 0; c < components; ++c) {
        const unsigned tables = byte(at + 4 + 2 * c), ids[2] = {tables >> 4, tables & 15u};
        if (ids[0] > 3 || ids[1] > 3) return {};  // stb refuses this itself
        for (int kind = 0; kind < 2; ++kind)
          if (uses[kind] && !defined[kind][ids[kind]])
            return "corrupt JPEG: scan " + std::to_string(scan) + " uses " + (kind ? "AC" : "DC") +
                   " Huffman table " + std::to_string(ids[kind]) + ", which the file does not define before it";
      }
      at = end;  // then the entropy-coded data, up to a marker
      while (at + 1 < b.size()) {
        if (b[at] != 0xFF) {
          ++at;
          continue;
        }
        std::size_t next = at + 1;
        while (next < b.size() && b[next] == 0xFF) ++next;
        if (next < b.size() && (b[next] == 0x00 || (b[next] >= 0xD0 && b[next] <= 0xD7))) {
          at = next + 1;
          continue;
        }
        break;  // a marker: the loop above reads it
      }
      if (at + 1 >= b.size()) return {};
      continue;
    }
    at = end;
  }
  return {};
}

// Every objection to a JPEG, the first one found.
inline std::string jpeg_problem(const std::vector<std::uint8_t>& b) {
  std::string problem = jpeg_huffman_problem(b);
  return problem.empty() ? jpeg_table_problem(b) : problem;
}

inline constexpr std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

inline bool is_png(const std::vector<std::uint8_t>& b) {
  if (b.size() < 8) return false;
  for (std::size_t i = 0; i < 8; ++i)
    if (b[i] != kPngSignature[i]) return false;
  return true;
}

// A chunk type for a message: its four letters, or hex when they are not letters.
inline std::string png_chunk_name(const std::vector<std::uint8_t>& b, std::size_t at) {
  std::string name;
  for (std::size_t i = 0; i < 4; ++i) {
    const char c = static_cast<char>(b[at + i]);
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return hex32(load_be32(b.data() + at));
    name += c;
  }
  return "'" + name + "'";
}

// The header fields that fix the size of a PNG's decompressed image data.
struct PngHeader {
  std::uint32_t width = 0, height = 0;
  unsigned depth = 0, color_type = 0, interlace = 0;

  unsigned channels() const {
    switch (color_type) {
      case 0: return 1;  // grey
      case 2: return 3;  // RGB
      case 3: return 1;  // palette index
      case 4: return 2;  // grey + alpha
      case 6: return 4;  // RGBA
      default: return 0;
    }
  }
  bool valid() const {
    const bool depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    return width > 0 && height > 0 && depth_ok && channels() > 0 && interlace <= 1;
  }
  // Bytes of the filtered scanlines of a width x height (sub)image: a filter byte per row.
  std::uint64_t scanline_bytes(std::uint64_t w, std::uint64_t h) const {
    if (w == 0 || h == 0) return 0;
    return h * (1 + (w * channels() * depth + 7) / 8);
  }
  // What the zlib stream of the IDAT chunks inflates to (Adam7: the sum over its seven passes).
  std::uint64_t image_data_bytes() const {
    if (interlace == 0) return scanline_bytes(width, height);
    static constexpr unsigned x0[7] = {0, 4, 0, 2, 0, 1, 0}, y0[7] = {0, 0, 4, 0, 2, 0, 1};
    static constexpr unsigned dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
    std::uint64_t total = 0;
    for (int p = 0; p < 7; ++p) {
      const std::uint64_t w = width > x0[p] ? (width - x0[p] + dx[p] - 1) / dx[p] : 0;
      const std::uint64_t h = height > y0[p] ? (height - y0[p] + dy[p] - 1) / dy[p] : 0;
      total += scanline_bytes(w, h);
    }
    return total;
  }
  std::string describe() const {
    return std::to_string(width) + "x" + std::to_string(height) + " image (" + std::to_string(depth) + "-bit, " +
           std::to_string(channels()) + (channels() == 1 ? " channel" : " channels") +
           (interlace ? ", interlaced)" : ")");
  }
};

// Inflates the concatenated IDAT data through a fixed buffer, only counting, and checks that it
// is one complete zlib stream of exactly the size the header implies (as the PNG standard
// demands). stb_image 2.27 grows its output buffer without bound while a stream goes on, so a
// 1.5 MB file of zeros made it allocate 2 GB.
inline std::string png_image_data_problem(const std::vector<std::uint8_t>& b, const PngHeader& header,
                                          const std::vector<std::pair<std::size_t, std::uint32_t>>& idat,
                                          bool raw_deflate) {
  z_stream zs{};
  // stb reads Apple's "CgBI" PNGs as raw deflate, others as zlib streams.
  if (inflateInit2(&zs, raw_deflate ? -MAX_WBITS : MAX_WBITS) != Z_OK)
    return "cannot start zlib to check the image data";
  struct End {
    z_stream* s;
    ~End() { inflateEnd(s); }
  } end{&zs};
  const std::uint64_t expected = header.image_data_bytes();
  const auto too_much = [&] {
    return "corrupt PNG: the image data inflates to more than the " + std::to_string(expected) + " bytes of a " +
           header.describe();
  };
  std::uint64_t produced = 0;
  bool ended = false;
  unsigned char out[1 << 15];
  for (std::size_t i = 0; i < idat.size() && !ended; ++i) {
    zs.next_in = const_cast<Bytef*>(b.data() + idat[i].first);  // zlib's API is not const-correct
    zs.avail_in = idat[i].second;
    do {  // until this chunk is used up and no output is pending
      zs.next_out = out;
      zs.avail_out = sizeof out;
      const int status = inflate(&zs, Z_NO_FLUSH);
      produced += sizeof out - zs.avail_out;
      if (produced > expected) return too_much();
      if (status == Z_STREAM_END) ended = true;
      else if (status == Z_BUF_ERROR) break;  // no progress possible: this chunk is used up
      else if (status == Z_NEED_DICT) return "corrupt PNG: the image data asks for a preset zlib dictionary";
      else if (status != Z_OK)
        return std::string("corrupt PNG: the image data is no valid zlib stream (") + (zs.msg ? zs.msg : "error") +
               ")";
    } while (!ended && (zs.avail_in > 0 || zs.avail_out == 0));
  }
  // A stream that stops short of its end but holds the whole image is left to stb, which reads it.
  if (produced < expected)
    return "corrupt PNG: the image data inflates to " + std::to_string(produced) + " bytes, not the " +
           std::to_string(expected) + " of a " + header.describe() + (ended ? "" : " (the file is cut short?)");
  return {};
}

// Walks a PNG's chunks as stb_image does (from the signature up to IEND). Refuses a chunk that
// declares more bytes than the file holds (stb 2.27 reallocates its IDAT buffer to the declared
// length, up to 2 GB, before it reads) and image data that does not inflate to exactly the size
// of the image (see above). A missing or broken IHDR or IDAT is left to stb, which refuses it.
inline std::string png_problem(const std::vector<std::uint8_t>& b) {
  if (!is_png(b)) return {};
  PngHeader header;
  bool first = true, raw_deflate = false, iend = false;
  std::vector<std::pair<std::size_t, std::uint32_t>> idat;  // (offset, length) of each IDAT's data
  std::size_t at = 8;
  while (at + 8 <= b.size()) {
    const std::uint32_t length = load_be32(b.data() + at);
    const std::size_t data = at + 8;
    const std::size_t remaining = b.size() - data;
    if (length > remaining)
      return "corrupt PNG: chunk " + png_chunk_name(b, at + 4) + " at byte " + std::to_string(at) + " declares " +
             std::to_string(length) + " bytes, but only " + std::to_string(remaining) + " follow in the file";
    const std::string type(b.begin() + static_cast<std::ptrdiff_t>(at + 4),
                           b.begin() + static_cast<std::ptrdiff_t>(at + 8));
    if (type == "CgBI") raw_deflate = true;
    if (type == "IHDR" && first && length == 13) {
      header.width = load_be32(b.data() + data);
      header.height = load_be32(b.data() + data + 4);
      header.depth = b[data + 8];
      header.color_type = b[data + 9];
      header.interlace = b[data + 12];
    }
    if (type != "CgBI") first = false;
    if (type == "IDAT") idat.emplace_back(data, length);
    if (type == "IEND") {
      iend = true;
      break;
    }
    at = data + length + 4;  // data and CRC
  }
  if (!header.valid() || idat.empty()) return {};
  // stb_image fails on such a file with an empty reason; say what is wrong.
  if (!iend)
    return "truncated PNG: the file ends after " + std::to_string(b.size()) + " bytes, before its IEND chunk";
  return png_image_data_problem(b, header, idat, raw_deflate);
}

inline std::uint32_t read_le(const std::vector<std::uint8_t>& b, std::size_t at, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | b[at + static_cast<std::size_t>(i)];
  return v;
}

// stb_image reads a BMP's pixel rows from the declared data offset on and takes bytes past the
// end of the file as zeros: a truncated BMP "decodes" with black rows, and a 54-byte header of
// an 8192x8192 image costs a full decode of nothing (seconds, 600 MB). So the rows the header
// declares must be in the file (the last row's padding may be missing), after the header. What
// stb refuses itself (other header sizes, RLE or JPEG compression, bit depths) is left to it.
inline std::string bmp_problem(const std::vector<std::uint8_t>& b) {
  if (b.size() < 18 || b[0] != 'B' || b[1] != 'M') return {};  // a shorter header is stb's to refuse
  const std::uint64_t offset = read_le(b, 10, 4), header_size = read_le(b, 14, 4);
  std::uint64_t width = 0, height = 0, bits = 0;
  if (header_size == 12) {  // OS/2 header: 16-bit sizes, no compression
    if (b.size() < 26) return {};
    width = read_le(b, 18, 2), height = read_le(b, 20, 2), bits = read_le(b, 24, 2);
  } else if (header_size == 40 || header_size == 56 || header_size == 108 || header_size == 124) {
    if (b.size() < 34) return {};
    width = read_le(b, 18, 4);
    const auto signed_height = static_cast<std::int32_t>(read_le(b, 22, 4));  // negative: top-down
    height = static_cast<std::uint64_t>(signed_height < 0 ? -static_cast<std::int64_t>(signed_height) : signed_height);
    bits = read_le(b, 28, 2);
    // stb reads the field as a signed int and decodes every value but RLE (1, 2) and 4 and up
    // (JPEG, PNG) as rows: 0, 3 (bit fields) and negative values alike.
    const auto compression = static_cast<std::int32_t>(read_le(b, 30, 4));
    if (compression == 1 || compression == 2 || compression >= 4) return {};
  } else {
    return {};
  }
  if (width == 0 || height == 0 || (bits < 16 && bits != 1 && bits != 4 && bits != 8)) return {};
  // Bits per pixel as stb reads them: above 8, 16 and 24 are themselves, anything else 32.
  const std::uint64_t read_bits = bits <= 8 || bits == 16 || bits == 24 ? bits : 32;
  if (offset < 14 + header_size)  // stb would skip "backwards" to the end of the file and read zeros
    return "corrupt BMP: the pixel data offset " + std::to_string(offset) + " points into the " +
           std::to_string(14 + header_size) + "-byte header";
  const std::uint64_t row = (width * read_bits + 31) / 32 * 4, last_row = (width * read_bits + 7) / 8;
  const std::uint64_t needed = offset + row * (height - 1) + last_row;
  if (needed > b.size())
    return "corrupt BMP: the pixel rows of a " + std::to_string(width) + "x" + std::to_string(height) + " " +
           std::to_string(bits) + "-bit image need " + std::to_string(needed) + " bytes, the file has " +
           std::to_string(b.size()) + " (a truncated file?)";
  return {};
}

}  // namespace ember::data::detail
