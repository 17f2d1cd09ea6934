#pragma once
// --threads: how many threads ember's kernels use in this run.

#include <iostream>

#include "ember/core/parallel.hpp"

namespace mnist {

// requested > 0: that many threads, but no more than this machine's cores. More threads than
// cores only wait for each other (--threads 1000 made a 2-second run on 2 cores take 336 s and
// allocate 1.2 GB of per-thread workspaces), so the count is capped with a one-line warning on
// stderr. 0 keeps OpenMP's default (OMP_NUM_THREADS, else all cores).
inline void use_threads(long requested) {
  if (requested <= 0) return;
  const int cores = ember::available_cores();
  long threads = requested;
  if (cores > 0 && requested > cores) {
    std::cerr << "warning: --threads " << requested << " is more than the " << cores
              << " cores of this machine; using " << cores << "\n";
    threads = cores;
  }
  ember::set_num_threads(static_cast<int>(threads));
}

}  // namespace mnist
