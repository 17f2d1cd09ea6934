// libFuzzer target: the safetensors reader, then decoding every tensor it accepted, then
// loading the file as a model into a small network.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::write_scratch(data, size);
  try {
    const ember::io::SafetensorsFile file = ember::io::read_safetensors(path);
    for (const auto& entry : file.entries)
      if (entry.dtype == "F32" || entry.dtype == "F64") (void)ember::io::to_tensor<double>(entry);
  } catch (const ember::Error&) {
  }
  try {
    auto net = fuzz::small_net();
    ember::io::load_model(net, path, "fuzz::small_net");
  } catch (const ember::Error&) {
  }
  return 0;
}
