#pragma once
// Keeping the copies of a model on every rank the same: broadcast_parameters (the start of a
// run, or after loading on one rank) and GradientReducer, which averages the gradients over
// the ranks after each backward pass, in a few large flat buckets.
//
//   ember::distributed::broadcast_parameters(world, net);        // rank 0's weights everywhere
//   ember::distributed::GradientReducer<float> reducer(world, net);
//   for (...) {
//     optimizer.zero_grad();
//     loss.backward();
//     reducer.average();      // every rank now holds the mean of the ranks' gradients
//     optimizer.step();       // the same step on every rank: the copies stay identical
//   }

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ember/ember.hpp"

#include "ember/distributed/communicator.hpp"

namespace ember::distributed {

namespace detail {

// A fingerprint of the tensors' names and shapes (FNV-1a, 64 bits).
template <class T>
std::uint64_t layout_fingerprint(const std::vector<std::pair<std::string, Tensor<T>>>& tensors) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint64_t byte) { h = (h ^ byte) * 1099511628211ull; };
  for (const auto& [name, tensor] : tensors) {
    for (unsigned char c : name) mix(c);
    mix(0xff);
    for (index_t d : tensor.shape()) {
      for (int b = 0; b < 8; ++b) mix((static_cast<std::uint64_t>(d) >> (8 * b)) & 0xff);
    }
    mix(0xfe);
  }
  return h;
}

// Throws ValueError unless every rank holds tensors of the same names and shapes.
template <class T>
void require_same_layout(const Communicator& comm, const std::vector<std::pair<std::string, Tensor<T>>>& tensors,
                         const char* op) {
  const std::uint64_t mine = layout_fingerprint(tensors);
  std::uint64_t range[2] = {mine, ~mine};  // max of both: the largest fingerprint and the smallest's complement
  comm.allreduce_max(range, 2);
  EMBER_CHECK(range[0] == mine && ~range[1] == mine, ValueError, op,
              "the ranks hold different models (their parameter names or shapes differ); rank ", comm.rank(),
              " has ", tensors.size(), " tensors");
}

}  // namespace detail

// Makes every rank's parameters and buffers equal to root's (one broadcast of all of them in
// one flat buffer). Requires every rank to call it with a model of the same names and shapes
// (checked: ValueError otherwise, on every rank). Gradients are left alone.
template <class T>
void broadcast_parameters(const Communicator& comm, const nn::Module<T>& module, int root = 0) {
  auto tensors = module.named_parameters();
  for (auto& named : module.named_buffers()) tensors.push_back(named);
  detail::require_same_layout(comm, tensors, "broadcast_parameters");
  std::size_t total = 0;
  for (auto& [name, t] : tensors) total += static_cast<std::size_t>(t.numel());
  std::vector<T> flat(total);
  std::size_t at = 0;
  for (auto& [name, t] : tensors) {
    const Tensor<T> c = t.contiguous();
    std::copy(c.data(), c.data() + c.numel(), flat.begin() + static_cast<std::ptrdiff_t>(at));
    at += static_cast<std::size_t>(t.numel());
  }
  comm.broadcast(flat.data(), flat.size(), root);
  at = 0;
  for (auto& [name, t] : tensors) {
    Tensor<T> target = t;  // a handle on the module's tensor (contiguous: parameters and buffers are)
    EMBER_CHECK(target.is_contiguous(), ValueError, "broadcast_parameters", "tensor '", name,
                "' is not contiguous");
    std::copy(flat.begin() + static_cast<std::ptrdiff_t>(at),
              flat.begin() + static_cast<std::ptrdiff_t>(at + static_cast<std::size_t>(t.numel())), target.data());
    at += static_cast<std::size_t>(t.numel());
  }
}

struct GradientReducerOptions {
  // Parameters are grouped, last registered first (the order in which a backward pass finishes
  // their gradients), into buckets of about this many bytes, one MPI_Allreduce per bucket. The
  // reference CNN's 4.8 MB of gradients fit in one bucket of the default size (PyTorch DDP's
  // default is 25 MB).
  std::size_t bucket_bytes = std::size_t(25) << 20;
};

template <class T>
class GradientReducer {
 public:
  // Plans the buckets for `module`'s parameters, which must not change while the reducer is
  // used. Requires every rank to construct it with a model of the same names and shapes, at
  // the same point (it communicates once to check that: ValueError otherwise).
  GradientReducer(const Communicator& comm, const nn::Module<T>& module, GradientReducerOptions options = {})
      : comm_(comm), parameters_(module.named_parameters()) {
    EMBER_CHECK(options.bucket_bytes >= sizeof(T), ValueError, "GradientReducer", "bucket_bytes must be >= ",
                sizeof(T), ", got ", options.bucket_bytes);
    detail::require_same_layout(comm_, parameters_, "GradientReducer");
    const std::size_t per_bucket = options.bucket_bytes / sizeof(T);
    for (std::size_t i = parameters_.size(); i-- > 0;) {
      const auto n = static_cast<std::size_t>(parameters_[i].second.numel());
      if (buckets_.empty() || (buckets_.back().elements > 0 && buckets_.back().elements + n > per_bucket))
        buckets_.emplace_back();
      buckets_.back().members.push_back(i);
      buckets_.back().elements += n;
    }
  }

  // Replaces every parameter's gradient with the mean over the ranks of that gradient. A
  // parameter without a gradient on a rank counts as zeros there (and gets one). Every rank must
  // call it at the same step. The result is the same bits on every rank, so identical optimizer
  // steps keep the copies identical. Throws MpiError when the communication fails.
  void average() {
    const T scale = T(1) / static_cast<T>(comm_.size());
    for (Bucket& bucket : buckets_) {
      bucket.flat.resize(bucket.elements);
      std::size_t at = 0;
      for (std::size_t i : bucket.members) at = pack(parameters_[i].second, bucket.flat, at);
      comm_.allreduce_sum(bucket.flat.data(), bucket.flat.size());
      for (T& v : bucket.flat) v *= scale;
      at = 0;
      for (std::size_t i : bucket.members) at = unpack(bucket.flat, at, parameters_[i].second);
    }
  }

  std::size_t num_buckets() const { return buckets_.size(); }
  // The number of gradient elements all-reduced per call.
  std::size_t num_elements() const {
    std::size_t n = 0;
    for (const Bucket& b : buckets_) n += b.elements;
    return n;
  }

 private:
  struct Bucket {
    std::vector<std::size_t> members;  // indices into parameters_
    std::size_t elements = 0;
    std::vector<T> flat;               // kept between calls: no allocation per step
  };

  static std::size_t pack(const Tensor<T>& p, std::vector<T>& flat, std::size_t at) {
    const auto n = static_cast<std::size_t>(p.numel());
    const Tensor<T> g = p.grad();
    if (g.defined()) {
      const Tensor<T> c = g.contiguous();
      std::copy(c.data(), c.data() + n, flat.begin() + static_cast<std::ptrdiff_t>(at));
    } else {
      std::fill(flat.begin() + static_cast<std::ptrdiff_t>(at), flat.begin() + static_cast<std::ptrdiff_t>(at + n), T(0));
    }
    return at + n;
  }
  static std::size_t unpack(const std::vector<T>& flat, std::size_t at, Tensor<T>& p) {
    const auto n = static_cast<std::size_t>(p.numel());
    Tensor<T> g = p.grad();
    if (!g.defined() || !g.is_contiguous()) {
      g = Tensor<T>::uninitialized(p.shape());
      p.set_grad(g);
    }
    std::copy(flat.begin() + static_cast<std::ptrdiff_t>(at), flat.begin() + static_cast<std::ptrdiff_t>(at + n),
              g.data());
    return at + n;
  }

  Communicator comm_;
  std::vector<std::pair<std::string, Tensor<T>>> parameters_;
  std::vector<Bucket> buckets_;
};

// One call of GradientReducer<T>(comm, module, options).average(): plans the buckets each time
// (a training loop keeps a GradientReducer instead).
template <class T>
void allreduce_gradients(const Communicator& comm, const nn::Module<T>& module, GradientReducerOptions options = {}) {
  GradientReducer<T>(comm, module, options).average();
}

}  // namespace ember::distributed
