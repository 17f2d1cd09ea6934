#pragma once
// PNG files built byte by byte for the tests of load_image's PNG screen (image/screen.hpp):
// chunks with their CRC, an IHDR, zlib streams, and a whole 8-bit grey PNG around one IDAT.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <cstdint>
#include <iterator>
#include <vector>

#include <ember/image/screen.hpp>

namespace png_bytes {

using Bytes = std::vector<std::uint8_t>;

inline void put_be32(Bytes& b, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(v >> shift));
}

// Appends a chunk; `declared` overrides the length field (a lying chunk).
inline void put_chunk(Bytes& png, const char* type, const Bytes& body, long long declared = -1) {
  put_be32(png, declared >= 0 ? static_cast<std::uint32_t>(declared) : static_cast<std::uint32_t>(body.size()));
  Bytes typed(type, type + 4);
  typed.insert(typed.end(), body.begin(), body.end());
  png.insert(png.end(), typed.begin(), typed.end());
  put_be32(png, static_cast<std::uint32_t>(crc32(0, typed.data(), static_cast<uInt>(typed.size()))));
}

inline Bytes zlib_compress(const Bytes& raw) {
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  Bytes out(size);
  REQUIRE(compress2(out.data(), &size, raw.data(), static_cast<uLong>(raw.size()), 9) == Z_OK);
  out.resize(size);
  return out;
}

inline Bytes ihdr(std::uint32_t w, std::uint32_t h, unsigned depth, unsigned color_type, bool interlaced) {
  Bytes b;
  put_be32(b, w);
  put_be32(b, h);
  b.insert(b.end(), {static_cast<std::uint8_t>(depth), static_cast<std::uint8_t>(color_type), 0, 0,
                     static_cast<std::uint8_t>(interlaced)});
  return b;
}

inline Bytes signature() {
  return Bytes(std::begin(ember::data::detail::kPngSignature), std::end(ember::data::detail::kPngSignature));
}

inline Bytes grey_png(std::uint32_t w, std::uint32_t h, const Bytes& idat_body, long long declared = -1) {
  Bytes png = signature();
  put_chunk(png, "IHDR", ihdr(w, h, 8, 0, false));
  put_chunk(png, "IDAT", idat_body, declared);
  put_chunk(png, "IEND", {});
  return png;
}

}  // namespace png_bytes
