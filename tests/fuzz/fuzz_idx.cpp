// libFuzzer target: ember::data::read_idx on any bytes, raw or gzip-compressed (the reader
// tells them apart by their first bytes, so one target covers both).
#include "fuzz_support.hpp"

#include <ember/data.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::write_scratch(data, size);
  try {
    const ember::data::IdxArray array = ember::data::read_idx(path);
    // A file that loads must hold exactly what its header declares.
    if (static_cast<ember::index_t>(array.data.size()) != array.numel()) __builtin_trap();
  } catch (const ember::Error&) {
  }
  return 0;
}
