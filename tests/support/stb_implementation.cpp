// The translation unit of ember_tests that compiles stb_image (ember's headers define stb's
// implementations only under EMBER_STB_IMPLEMENTATION). stb_image_write has its own unit,
// stb_image_write_implementation.cpp.
#define EMBER_STB_IMPLEMENTATION
#include <ember/image/load_image.hpp>
