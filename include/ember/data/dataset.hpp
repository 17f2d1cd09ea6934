#pragma once
// Dataset: greyscale images kept as uint8 (a quarter of the memory of float; the DataLoader
// converts and normalises one batch at a time) with int64 class labels.
//
// A Dataset is a cheap handle: the pixels live in shared, immutable storage and a Dataset is
// a list of sample positions into it. subset() and random_split() therefore copy indices,
// never images (splitting the 60,000 MNIST images costs 480 KB, not 47 MB).

#include <cstdint>
#include <memory>
#include <numeric>
#include <utility>
#include <vector>

#include "ember/core/error.hpp"
#include "ember/core/random.hpp"
#include "ember/core/shape.hpp"

namespace ember::data {

class Dataset {
 public:
  // An empty dataset (size() == 0).
  Dataset() = default;

  // images: count x rows x cols bytes, row-major; labels: count values.
  Dataset(std::vector<std::uint8_t> images, std::vector<std::int64_t> labels, index_t rows, index_t cols) {
    EMBER_CHECK(rows > 0 && cols > 0, ValueError, "Dataset", "expected rows > 0 and cols > 0, got ", rows, "x", cols);
    const auto count = static_cast<index_t>(labels.size());
    EMBER_CHECK(static_cast<index_t>(images.size()) == count * rows * cols, ShapeError, "Dataset", count,
                " labels need ", count * rows * cols, " pixels of ", rows, "x", cols, " images, got ", images.size());
    auto storage = std::make_shared<Storage>();
    storage->images = std::move(images);
    storage->labels = std::move(labels);
    storage->rows = rows;
    storage->cols = cols;
    storage_ = std::move(storage);
    indices_.resize(static_cast<std::size_t>(count));
    std::iota(indices_.begin(), indices_.end(), index_t(0));
  }

  index_t size() const { return static_cast<index_t>(indices_.size()); }
  index_t rows() const { return storage_ ? storage_->rows : 0; }
  index_t cols() const { return storage_ ? storage_->cols : 0; }

  // The rows x cols pixels of sample i, row-major (valid while any Dataset sharing them lives).
  const std::uint8_t* image(index_t i) const {
    const index_t at = position(i, "Dataset::image");
    return storage_->images.data() + at * storage_->rows * storage_->cols;
  }

  std::int64_t label(index_t i) const {
    return storage_->labels[static_cast<std::size_t>(position(i, "Dataset::label"))];
  }

  // The samples at `indices` (positions in this dataset, in that order; repeats allowed),
  // sharing this dataset's pixels.
  Dataset subset(const std::vector<index_t>& indices) const {
    Dataset out;
    out.storage_ = storage_;
    out.indices_.reserve(indices.size());
    for (index_t i : indices) out.indices_.push_back(position(i, "Dataset::subset"));
    return out;
  }

 private:
  struct Storage {
    std::vector<std::uint8_t> images;
    std::vector<std::int64_t> labels;
    index_t rows = 0, cols = 0;
  };

  // Where sample i lives in the shared storage.
  index_t position(index_t i, const char* op) const {
    EMBER_CHECK(i >= 0 && i < size(), IndexError, op, "index ", i, " out of range for a dataset of ", size(),
                " samples");
    return indices_[static_cast<std::size_t>(i)];
  }

  std::shared_ptr<const Storage> storage_;
  std::vector<index_t> indices_;
};

namespace detail {

// A uniformly random permutation of 0..n-1 (Fisher-Yates, from the back), drawing n-1 numbers
// from gen: the same generator state always gives the same permutation.
inline std::vector<index_t> random_permutation(index_t n, Generator& gen) {
  std::vector<index_t> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), index_t(0));
  for (index_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<index_t>(gen.randint(static_cast<std::uint64_t>(i) + 1));
    std::swap(perm[static_cast<std::size_t>(i)], perm[static_cast<std::size_t>(j)]);
  }
  return perm;
}

}  // namespace detail

// Splits a dataset at random into {training, validation}, the validation part holding
// validation_size samples (0..size()), as torch.utils.data.random_split: one permutation drawn
// from gen, its first size() - validation_size entries for training, the rest for validation.
inline std::pair<Dataset, Dataset> random_split(const Dataset& dataset, index_t validation_size, Generator& gen) {
  EMBER_CHECK(validation_size >= 0 && validation_size <= dataset.size(), ValueError, "random_split",
              "validation size must be in [0, ", dataset.size(), "] for a dataset of ", dataset.size(),
              " samples, got ", validation_size);
  const std::vector<index_t> perm = detail::random_permutation(dataset.size(), gen);
  const auto cut = perm.begin() + (dataset.size() - validation_size);
  return {dataset.subset(std::vector<index_t>(perm.begin(), cut)),
          dataset.subset(std::vector<index_t>(cut, perm.end()))};
}

}  // namespace ember::data
