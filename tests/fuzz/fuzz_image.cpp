// libFuzzer target: load_image (stb_image: PNG, JPEG, BMP), then the MNIST preprocessing and
// the input tensor, as `mnist predict` does with a user's file. stb itself: fuzz_stb.cpp.
#include "fuzz_support.hpp"

#include <ember/image.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::write_scratch(data, size);
  try {
    const ember::data::GrayImage image = ember::data::load_image(path);
    const std::vector<std::uint8_t> digit = ember::data::to_mnist(image);
    if (digit.size() != 28 * 28) __builtin_trap();
    (void)ember::data::to_input(digit);
  } catch (const ember::Error&) {
  }
  return 0;
}
