#pragma once
// Thread count for ember's kernels. Starts from OMP_NUM_THREADS (through OpenMP's
// own default) and can be changed at run time. Eigen's GEMM follows the same count
// when it runs outside one of our parallel regions.

#include <omp.h>

#include <Eigen/Core>

#include "ember/core/error.hpp"

namespace ember {

inline void set_num_threads(int n) {
  EMBER_CHECK(n >= 1, ValueError, "set_num_threads", "expected at least 1 thread, got ", n);
  omp_set_num_threads(n);
  Eigen::setNbThreads(n);
}

inline int get_num_threads() { return omp_get_max_threads(); }

}  // namespace ember
