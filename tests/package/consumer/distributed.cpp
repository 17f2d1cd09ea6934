// A program on ember's distributed add-on, built where MPI is installed. Started without mpirun
// it stays a single process: it checks that the Communicator refuses to exist before MPI is
// started and that a DataLoader's shards split an epoch; under mpirun it would train.
#include <ember/data.hpp>
#include <ember/distributed.hpp>

#include <cstdio>

int main() {
  if (ember::distributed::launched_by_mpi()) {
    std::printf("FAIL: expected to be run without mpirun\n");
    return 1;
  }
  try {
    ember::distributed::Communicator::world();
    std::printf("FAIL: Communicator::world() without MPI did not throw\n");
    return 1;
  } catch (const ember::ValueError& e) {
    std::printf("distributed: %s (as expected)\n", e.what());
  }
  ember::data::Dataset ds(std::vector<std::uint8_t>(10 * 4, 0), std::vector<std::int64_t>(10, 1), 2, 2);
  ember::Generator gen(1);
  ember::data::DataLoaderOptions options;
  options.batch_size = 2;
  options.shard_index = 1;
  options.shard_count = 3;
  ember::data::DataLoader loader(ds, options, gen);
  loader.start_epoch();
  if (loader.epoch_size() != 3 || loader.num_batches() != 2) {
    std::printf("FAIL: shard 1 of 3 of 10 samples: %ld samples in %ld batches\n", static_cast<long>(loader.epoch_size()),
                static_cast<long>(loader.num_batches()));
    return 1;
  }
  std::printf("distributed: ok\n");
  return 0;
}
