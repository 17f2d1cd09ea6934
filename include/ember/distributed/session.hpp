#pragma once
// Session: MPI for the lifetime of a program (MPI_Init_thread ... MPI_Finalize), and whether
// the program was started by a launcher such as mpirun.
//
//   int main(int argc, char** argv) {
//     std::optional<ember::distributed::Session> mpi;
//     if (ember::distributed::launched_by_mpi()) mpi.emplace(&argc, &argv);
//     ...
//   }

#include <mpi.h>

#include <cstdlib>

#include "ember/core/error.hpp"
#include "ember/distributed/communicator.hpp"

namespace ember::distributed {

// True when a launcher started this process as a rank of a job: Open MPI's mpirun (or
// another PMIx/PMI launcher such as srun) sets these variables for each rank it starts. A
// program started without one can skip MPI entirely and behave as a single process.
inline bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

class Session {
 public:
  // Starts MPI (argc/argv may be null) at thread level MPI_THREAD_FUNNELED: OpenMP threads
  // compute, only the calling thread communicates. Throws MpiError when MPI cannot start or
  // offers less than that level, ValueError when MPI is already running.
  Session(int* argc, char*** argv) {
    int initialised = 0;
    MPI_Initialized(&initialised);
    EMBER_CHECK(!initialised, ValueError, "distributed::Session", "MPI is already initialised");
    int provided = MPI_THREAD_SINGLE;
    detail::check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    if (provided < MPI_THREAD_FUNNELED) {
      MPI_Finalize();
      throw MpiError("MPI_Init_thread", "the MPI library does not support MPI_THREAD_FUNNELED");
    }
  }
  // Finalises MPI; every rank must get here (it is collective).
  ~Session() {
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (!finalised) MPI_Finalize();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

}  // namespace ember::distributed
