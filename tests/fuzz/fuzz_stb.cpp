// stb_image for fuzz_image, in a unit of its own: built with EMBER_STB_UNIT_OPTIONS (the top
// CMakeLists.txt), like the stb units of the tests and the mnist program: stb_image 2.27's
// integer arithmetic on corrupt JPEGs and its memcpy(NULL, p, 0) are not stopped by UBSan here.
#define EMBER_STB_IMPLEMENTATION
#include <ember/image/load_image.hpp>
