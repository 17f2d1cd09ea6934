// The one translation unit of the mnist program that compiles stb_image and stb_image_write
// (see ember/image/load_image.hpp). On its own, so that main.cpp, which instantiates all of ember's
// templates, does not also compile some 10,000 lines of C.
#define EMBER_STB_IMPLEMENTATION
#include <ember/image/load_image.hpp>
#include <ember/viz/png.hpp>
