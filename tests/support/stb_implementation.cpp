// The one translation unit of ember_tests that compiles stb_image and stb_image_write
// (ember's headers define their implementations only under EMBER_STB_IMPLEMENTATION).
#define EMBER_STB_IMPLEMENTATION
#include <ember/data/image.hpp>
#include <ember/viz/png.hpp>
