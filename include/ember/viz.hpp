#pragma once
// ember's visualisation add-on: SVG charts (curves, heatmaps, ROC), PNG image grids (encoded by
// stb_image_write, Debian: libstb-dev) and the self-contained HTML report. One translation unit
// of the program defines EMBER_STB_IMPLEMENTATION before including it (see viz/png.hpp).
// CMake: target ember::viz; pkg-config: ember-viz.

#include "ember/io/atomic_file.hpp"
#include "ember/metrics.hpp"

#include "ember/viz/png.hpp"
#include "ember/viz/report.hpp"
#include "ember/viz/svg.hpp"
