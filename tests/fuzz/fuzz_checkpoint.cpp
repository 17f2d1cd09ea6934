// libFuzzer target: load_checkpoint into a small network, then the optimizer state into SGD
// (momentum) and Adam. A checkpoint's data section carries a CRC-32, which random mutations
// almost never keep right; so that the fuzzer also explores what lies behind the checksum,
// the input's "crc32:xxxxxxxx" is set to the true CRC of its data section before loading
// (the checksum check itself is covered by the unmodified inputs of fuzz_safetensors and by
// the unit tests).
#include <algorithm>
#include <cstring>
#include <vector>

#include <zlib.h>

#include "fuzz_support.hpp"

namespace {

void fix_checksum(std::vector<std::uint8_t>& bytes) {
  if (bytes.size() < 8) return;
  std::uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = header << 8 | bytes[static_cast<std::size_t>(i)];
  if (header > bytes.size() - 8) return;
  const std::size_t data_start = 8 + static_cast<std::size_t>(header);
  const char key[] = "crc32:";
  auto* begin = reinterpret_cast<char*>(bytes.data()) + 8;
  auto* end = begin + header;
  char* at = std::search(begin, end, key, key + 6);
  if (end - at < 6 + 8) return;
  const uLong crc = crc32(0L, bytes.data() + data_start, static_cast<uInt>(bytes.size() - data_start));
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08lx", crc & 0xffffffffUL);
  std::memcpy(at + 6, hex, 8);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  fix_checksum(bytes);
  const std::string path = fuzz::write_scratch(bytes.data(), bytes.size());
  try {
    auto net = fuzz::small_net();
    auto ck = ember::io::load_checkpoint(path, net, "fuzz::small_net");
    ember::optim::SGD<float> sgd(net.parameters(), ember::optim::SGDOptions{0.1, 0.9});
    try {
      sgd.load_state_dict(ck.optimizer_state);
    } catch (const ember::Error&) {
    }
    ember::optim::Adam<float> adam(net.parameters());
    adam.load_state_dict(ck.optimizer_state);
  } catch (const ember::Error&) {
  }
  return 0;
}
