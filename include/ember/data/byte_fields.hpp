#pragma once
// Fields of binary file formats: big-endian integers (IDX headers, PNG chunks) and the hex form
// their messages print them in.

#include <cstdint>
#include <iomanip>
#include <sstream>
#include <string>

namespace ember::data::detail {

inline std::string hex32(std::uint32_t v) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(8) << std::setfill('0') << v;
  return out.str();
}

inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}

}  // namespace ember::data::detail
