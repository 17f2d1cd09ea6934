// stb_image for fuzz_image, in a unit of its own: stb_image 2.27 calls memcpy(NULL, p, 0) for a
// PNG whose first IDAT chunk is empty (a harmless copy of nothing, but UBSan's nonnull-attribute
// check calls it undefined), so this unit is built without that one check (CMakeLists.txt).
#define EMBER_STB_IMPLEMENTATION
#include <ember/data/image.hpp>
