#pragma once
// Threads, in one place: how many (set_num_threads, starting from OMP_NUM_THREADS through
// OpenMP's own default; Eigen's GEMM follows the same count when it runs outside one of our
// regions) and the one way kernels go parallel (parallel_blocks): a single OpenMP region per
// call, each thread taking a contiguous block of items [begin, end) (samples, or sample x
// channel planes). Below a work threshold the call runs serially on the calling thread;
// regions never nest. Inside a region Eigen sees omp_get_num_threads() > 1 and stays
// single-threaded.

#include <omp.h>

#include <algorithm>

#include <Eigen/Core>

#include "ember/core/error.hpp"
#include "ember/core/shape.hpp"

namespace ember {

// Requires n >= 1 (else ValueError). Sets the thread count of ember's kernels and Eigen's GEMM.
inline void set_num_threads(int n) {
  EMBER_CHECK(n >= 1, ValueError, "set_num_threads", "expected at least 1 thread, got ", n);
  omp_set_num_threads(n);
  Eigen::setNbThreads(n);
}

inline int get_num_threads() { return omp_get_max_threads(); }

// The processors this process may run on (its affinity mask, as OpenMP counts them).
inline int available_cores() { return omp_get_num_procs(); }

// Work (roughly: multiply-adds or bytes touched) below which threads cost more than they save.
inline constexpr double kParallelThreshold = 1 << 16;

// Number of threads a kernel over `items` items of `work_per_item` each will use.
inline int threads_for(index_t items, double work_per_item) {
  if (omp_in_parallel() || items < 2 || static_cast<double>(items) * work_per_item < kParallelThreshold) return 1;
  return static_cast<int>(std::min<index_t>(items, omp_get_max_threads()));
}

// Calls fn(begin, end, thread) over equal contiguous blocks of [0, items). The split depends
// only on items and the thread count, so results are reproducible for a given thread count.
template <class Fn>
void parallel_blocks(index_t items, double work_per_item, Fn&& fn) {
  const int threads = threads_for(items, work_per_item);
  if (threads == 1) {
    fn(index_t(0), items, 0);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const index_t begin = items * t / nt, end = items * (t + 1) / nt;
    if (begin < end) fn(begin, end, t);
  }
}

}  // namespace ember
