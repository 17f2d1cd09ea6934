#pragma once
// ember's metrics add-on: classification metrics (accuracy, confusion matrix, precision /
// recall / F1, log loss) and ROC curves on plain arrays, as scikit-learn computes them. No
// dependency beyond the C++ standard library. CMake: target ember::metrics; pkg-config:
// ember-metrics.

#include "ember/core/error.hpp"

#include "ember/metrics/classification.hpp"
#include "ember/metrics/roc.hpp"
