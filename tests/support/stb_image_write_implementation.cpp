// stb_image_write for ember_tests, in a unit of its own: its JPEG encoder (which the tests use to
// write JPEG inputs; ember itself writes PNG only) left-shifts negative ints, which UBSan
// reports, so this unit is compiled with -fno-sanitize=shift-base (tests/CMakeLists.txt).
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <ember/viz/png.hpp>
