#pragma once
// ember's image add-on: PNG, JPEG and BMP files to model inputs (load_image, to_mnist,
// to_input), decoded by stb_image (Debian: libstb-dev) after ember's own screens of the file.
// One translation unit of the program defines EMBER_STB_IMPLEMENTATION before including it
// (see image/load_image.hpp). CMake: target ember::image; pkg-config: ember-image.

#include "ember/data.hpp"

#include "ember/image/load_image.hpp"
#include "ember/image/screen.hpp"
