// `mnist train` (train.hpp), in a translation unit of its own; under mpirun, one rank of a
// data-parallel run (ranks.hpp).
#include "settings.hpp"
#include "train.hpp"

namespace {

#if MNIST_WITH_MPI
// A rank of a job started by mpirun. Failures the ranks agreed on are printed once, by rank 0,
// and every rank ends with their code after a normal MPI shutdown; any other failure is known to
// this rank alone, so it prints it and ends the whole job (the others would wait for it forever).
int train_as_rank(const mnist::TrainSettings& s) {
  ember::distributed::Session session(nullptr, nullptr);
  mnist::Ranks ranks(ember::distributed::Communicator::world());
  try {
    return mnist::run_train(s, ranks);
  } catch (const mnist::JobFailure& e) {
    if (!ranks.distributed()) throw;
    if (ranks.is_root()) std::cerr << "mnist: " << e.what() << std::endl;
    return e.code;
  } catch (const std::exception& e) {
    if (!ranks.distributed()) throw;
    std::cerr << "mnist: rank " << ranks.rank() << " of " << ranks.size() << ": " << e.what()
              << " (ending the job)" << std::endl;
    ranks.abort(dynamic_cast<const mnist::UsageError*>(&e) ? 2 : 1);
  }
}
#endif

}  // namespace

int mnist::train_main(const TrainSettings& s) {
#if MNIST_WITH_MPI
  if (ember::distributed::launched_by_mpi()) return train_as_rank(s);
#endif
  Ranks single_process;
  return run_train(s, single_process);
}
