#pragma once
// DataLoader: mini-batches of a Dataset as float tensors, shuffled and optionally augmented,
// as torch.utils.data.DataLoader with ToTensor + (RandomAffine) + Normalize.
//
//   ember::data::DataLoader loader(train_set, {/*batch_size*/ 64}, gen);
//   for (int epoch = 1; epoch <= epochs; ++epoch) {
//     loader.start_epoch();                        // draws this epoch's order from gen
//     for (ember::index_t b = 0; b < loader.num_batches(); ++b) {
//       auto batch = loader.batch(b);              // images [B, 1, 28, 28], labels [B]
//       ...
//     }
//   }
//
// Randomness: every draw happens in start_epoch(), from the generator passed to the
// constructor, in this order: the epoch's permutation (when shuffling), then one 64-bit seed
// per position in the epoch (when augmenting) from which that sample's transform is drawn.
// batch(b) draws nothing: batches can be built in any order, again, or skipped, and
// restoring the generator's state before start_epoch() (a resumed run) gives the same
// batches bit for bit. Samples are converted independently of each other, so the thread
// count does not change the result either.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "ember/core/error.hpp"
#include "ember/core/parallel.hpp"
#include "ember/core/random.hpp"
#include "ember/core/shape.hpp"
#include "ember/core/tensor.hpp"
#include "ember/data/dataset.hpp"
#include "ember/data/transforms.hpp"

namespace ember::data {

struct DataLoaderOptions {
  index_t batch_size = 64;
  bool shuffle = true;
  bool drop_last = false;  // drop the last batch when it is smaller than batch_size
  double mean = kMnistMean, std = kMnistStd;  // pixels become (p / 255 - mean) / std
  bool augment = false;                       // apply `affine` to every sample
  RandomAffine affine{};
  // Data-parallel training (as torch's DistributedSampler with drop_last): this process takes
  // shard `shard_index` of `shard_count`. Every process draws the same epoch (order and
  // augmentation) from the same seed; the order is cut to a multiple of shard_count (its last
  // size() % shard_count positions are left out that epoch) and shard r takes positions
  // r, r + shard_count, r + 2 * shard_count, ... So shard_count processes with batch B see,
  // step by step, the batches of one process with batch shard_count * B, each sample with the
  // same augmentation.
  index_t shard_index = 0, shard_count = 1;
};

struct Batch {
  Tensor<float> images;               // [B, 1, rows, cols], normalised
  Tensor<std::int64_t> labels;        // [B]
  std::vector<index_t> indices;       // the samples' positions in the dataset
};

class DataLoader {
 public:
  // Keeps a handle to the dataset (its pixels are shared, not copied) and a reference to gen,
  // which must outlive the loader.
  DataLoader(const Dataset& dataset, DataLoaderOptions options, Generator& gen)
      : dataset_(dataset), options_(options), gen_(&gen) {
    EMBER_CHECK(options_.batch_size >= 1, ValueError, "DataLoader", "batch_size must be >= 1, got ",
                options_.batch_size);
    EMBER_CHECK(options_.std > 0 && std::isfinite(options_.std) && std::isfinite(options_.mean), ValueError,
                "DataLoader", "expected a finite mean and std > 0, got mean ", options_.mean, " and std ",
                options_.std);
    EMBER_CHECK(options_.shard_count >= 1 && options_.shard_index >= 0 && options_.shard_index < options_.shard_count,
                ValueError, "DataLoader", "expected 0 <= shard_index < shard_count, got shard ", options_.shard_index,
                " of ", options_.shard_count);
    if (options_.augment) options_.affine.validate();
  }

  // Draws the order of this epoch (and the augmentation seeds); call before each epoch.
  void start_epoch() {
    const index_t n = dataset_.size();
    if (options_.shuffle) {
      order_ = detail::random_permutation(n, *gen_);
    } else {
      order_.resize(static_cast<std::size_t>(n));
      std::iota(order_.begin(), order_.end(), index_t(0));
    }
    seeds_.clear();
    if (options_.augment) {
      seeds_.resize(static_cast<std::size_t>(n));
      for (auto& seed : seeds_) seed = gen_->next_u64();
    }
    if (options_.shard_count > 1) keep_shard();
    started_ = true;
  }

  // The samples of one epoch for this shard: size() of the dataset without sharding.
  index_t epoch_size() const { return dataset_.size() / options_.shard_count; }

  index_t num_batches() const {
    const index_t n = epoch_size(), bs = options_.batch_size;
    return options_.drop_last ? n / bs : (n + bs - 1) / bs;
  }

  // Batch b of the current epoch (0 <= b < num_batches()).
  Batch batch(index_t b) const {
    EMBER_CHECK(started_, ValueError, "DataLoader::batch", "call start_epoch() before batch()");
    EMBER_CHECK(b >= 0 && b < num_batches(), IndexError, "DataLoader::batch", "batch ", b,
                " out of range for an epoch of ", num_batches(), " batches");
    const index_t begin = b * options_.batch_size;
    const index_t count = std::min(options_.batch_size, epoch_size() - begin);
    const index_t rows = dataset_.rows(), cols = dataset_.cols(), pixels = rows * cols;

    Batch out;
    out.images = Tensor<float>::uninitialized({count, 1, rows, cols});
    out.labels = Tensor<std::int64_t>::zeros({count});
    out.indices.assign(order_.begin() + begin, order_.begin() + begin + count);
    // Look samples up serially: Dataset's checks may throw, which must not happen inside an
    // OpenMP region.
    std::vector<const std::uint8_t*> sources(static_cast<std::size_t>(count));
    for (index_t k = 0; k < count; ++k) {
      sources[static_cast<std::size_t>(k)] = dataset_.image(out.indices[static_cast<std::size_t>(k)]);
      out.labels.data()[k] = dataset_.label(out.indices[static_cast<std::size_t>(k)]);
    }

    float* images = out.images.data();
    const float mean = static_cast<float>(options_.mean), stddev = static_cast<float>(options_.std);
    const double work = static_cast<double>(pixels) * (options_.augment ? 30.0 : 3.0);
    parallel_blocks(count, work, [&](index_t first, index_t last, int) {
      for (index_t k = first; k < last; ++k) {
        const std::uint8_t* src = sources[static_cast<std::size_t>(k)];
        float* dst = images + k * pixels;
        if (options_.augment) {
          Generator sample_gen(seeds_[static_cast<std::size_t>(begin + k)]);
          affine_to_float(src, rows, cols, options_.affine.sample(rows, cols, sample_gen), dst);
        } else {
          for (index_t i = 0; i < pixels; ++i) dst[i] = static_cast<float>(src[i]) / 255.0f;
        }
        for (index_t i = 0; i < pixels; ++i) dst[i] = (dst[i] - mean) / stddev;
      }
    });
    return out;
  }

  const DataLoaderOptions& options() const { return options_; }
  // The current epoch's sample order (positions in the dataset; this shard's); empty before
  // start_epoch().
  const std::vector<index_t>& order() const { return order_; }

 private:
  // Keeps this shard's positions of the epoch's order and augmentation seeds.
  void keep_shard() {
    const index_t count = options_.shard_count, n = epoch_size();
    for (index_t k = 0; k < n; ++k) {
      const auto from = static_cast<std::size_t>(k * count + options_.shard_index), to = static_cast<std::size_t>(k);
      order_[to] = order_[from];
      if (!seeds_.empty()) seeds_[to] = seeds_[from];
    }
    order_.resize(static_cast<std::size_t>(n));
    if (!seeds_.empty()) seeds_.resize(static_cast<std::size_t>(n));
  }

  Dataset dataset_;
  DataLoaderOptions options_;
  Generator* gen_;
  std::vector<index_t> order_;
  std::vector<std::uint64_t> seeds_;  // per position in the epoch, when augmenting
  bool started_ = false;
};

}  // namespace ember::data
