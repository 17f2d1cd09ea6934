#pragma once
// Communicator: a handle on an MPI communicator (rank, size, barrier, sums, broadcasts, gathers)
// whose failures are ember errors. MPI must be running (see session.hpp); only the thread that
// started MPI may call these functions (MPI_THREAD_FUNNELED: OpenMP threads compute, the main
// thread communicates).
//
//   ember::distributed::Session mpi(&argc, &argv);
//   auto world = ember::distributed::Communicator::world();
//   double sums[2] = {loss_sum, correct};
//   world.allreduce_sum(sums, 2);                   // every rank now holds the totals

#include <mpi.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

#include "ember/core/error.hpp"

namespace ember::distributed {

// An MPI call that failed; the message names the call and MPI's own reason.
class MpiError : public Error { using Error::Error; };

namespace detail {

inline void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw MpiError(call, std::string(text, static_cast<std::size_t>(length)));
}

template <class T>
MPI_Datatype mpi_type() {
  if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, std::int64_t>) return MPI_INT64_T;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return MPI_UINT64_T;
  else if constexpr (std::is_same_v<T, int>) return MPI_INT;
  else if constexpr (std::is_same_v<T, char>) return MPI_CHAR;
  else static_assert(!sizeof(T), "no MPI type for this element type");
}

// MPI counts are int: longer buffers go in pieces of at most INT_MAX elements.
template <class Call>
void in_pieces(std::size_t count, Call call) {
  constexpr std::size_t piece = static_cast<std::size_t>(INT_MAX);
  for (std::size_t first = 0; first < count; first += piece)
    call(first, static_cast<int>(count - first < piece ? count - first : piece));
}

}  // namespace detail

class Communicator {
 public:
  // Every process of the job (MPI_COMM_WORLD). Requires MPI to be initialised. MPI's errors on
  // it are returned to us (MPI_ERRORS_RETURN) and thrown as MpiError, not fatal to the process.
  static Communicator world() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    EMBER_CHECK(initialised, ValueError, "Communicator::world", "MPI is not initialised (create a Session first)");
    detail::check_mpi(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    return Communicator(MPI_COMM_WORLD);
  }

  // Wraps `comm`, which must stay valid while this handle is used (it is not freed here).
  explicit Communicator(MPI_Comm comm) : comm_(comm) {
    detail::check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  MPI_Comm handle() const { return comm_; }

  void barrier() const { detail::check_mpi(MPI_Barrier(comm_), "MPI_Barrier"); }

  // In place: data[i] becomes the sum (max, min) of data[i] over all ranks. Every rank must call
  // it with the same count; the result is the same bits on every rank.
  template <class T>
  void allreduce_sum(T* data, std::size_t count) const { allreduce(data, count, MPI_SUM); }
  template <class T>
  void allreduce_max(T* data, std::size_t count) const { allreduce(data, count, MPI_MAX); }
  template <class T>
  void allreduce_min(T* data, std::size_t count) const { allreduce(data, count, MPI_MIN); }

  // One value summed (max-ed) over the ranks.
  template <class T>
  T sum(T value) const { allreduce_sum(&value, 1); return value; }
  template <class T>
  T max(T value) const { allreduce_max(&value, 1); return value; }
  template <class T>
  T min(T value) const { allreduce_min(&value, 1); return value; }

  // In place: every rank's data becomes root's. Every rank must call it with the same count.
  template <class T>
  void broadcast(T* data, std::size_t count, int root) const {
    check_root(root, "Communicator::broadcast");
    detail::in_pieces(count, [&](std::size_t first, int n) {
      detail::check_mpi(MPI_Bcast(data + first, n, detail::mpi_type<T>(), root, comm_), "MPI_Bcast");
    });
  }
  // Root's text on every rank (any length).
  std::string broadcast(std::string text, int root) const {
    auto length = static_cast<std::uint64_t>(text.size());
    broadcast(&length, 1, root);
    text.resize(static_cast<std::size_t>(length));
    broadcast(text.data(), text.size(), root);
    return text;
  }

  // Every rank's `local` concatenated in rank order, on root (other ranks get an empty vector).
  // The ranks may pass different lengths.
  template <class T>
  std::vector<T> gather(const std::vector<T>& local, int root) const {
    check_root(root, "Communicator::gather");
    const std::int64_t mine = static_cast<std::int64_t>(local.size());
    std::vector<std::int64_t> lengths(rank_ == root ? static_cast<std::size_t>(size_) : 0);
    detail::check_mpi(MPI_Gather(&mine, 1, MPI_INT64_T, lengths.data(), 1, MPI_INT64_T, root, comm_), "MPI_Gather");
    std::vector<T> all;
    std::vector<int> counts, offsets;
    if (rank_ == root) {
      std::int64_t total = 0;
      for (auto n : lengths) {
        EMBER_CHECK(total + n <= INT_MAX, ValueError, "Communicator::gather", "at most ", INT_MAX,
                    " elements in all, got more");
        counts.push_back(static_cast<int>(n));
        offsets.push_back(static_cast<int>(total));
        total += n;
      }
      all.resize(static_cast<std::size_t>(total));
    }
    EMBER_CHECK(local.size() <= static_cast<std::size_t>(INT_MAX), ValueError, "Communicator::gather",
                "at most ", INT_MAX, " elements per rank, got ", local.size());
    detail::check_mpi(MPI_Gatherv(local.data(), static_cast<int>(local.size()), detail::mpi_type<T>(), all.data(),
                                  counts.data(), offsets.data(), detail::mpi_type<T>(), root, comm_),
                      "MPI_Gatherv");
    return all;
  }

  // Ends every process of the job at once with `code` (MPI_Abort): for a failure the other
  // ranks cannot learn about at a collective call, which would otherwise leave them waiting.
  [[noreturn]] void abort(int code) const {
    MPI_Abort(comm_, code);
    std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest if it did
  }

 private:
  template <class T>
  void allreduce(T* data, std::size_t count, MPI_Op op) const {
    detail::in_pieces(count, [&](std::size_t first, int n) {
      detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + first, n, detail::mpi_type<T>(), op, comm_),
                        "MPI_Allreduce");
    });
  }
  void check_root(int root, const char* op) const {
    EMBER_CHECK(root >= 0 && root < size_, ValueError, op, "root must be a rank in [0, ", size_, "), got ", root);
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

}  // namespace ember::distributed
