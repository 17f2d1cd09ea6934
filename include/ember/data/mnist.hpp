#pragma once
// MNIST from its four standard IDX files in one directory:
//   train-images-idx3-ubyte  train-labels-idx1-ubyte   (60,000 samples)
//   t10k-images-idx3-ubyte   t10k-labels-idx1-ubyte    (10,000 samples)
// each raw or gzip-compressed with a .gz suffix (the raw file wins when both are present:
// it is what scripts/fetch-mnist.sh writes, and reading it needs no decompression).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ember/core/error.hpp"
#include "ember/data/dataset.hpp"
#include "ember/data/idx.hpp"

namespace ember::data {

enum class Split { Train, Test };

namespace detail {

inline std::string mnist_prefix(Split split) { return split == Split::Train ? "train" : "t10k"; }

// The path of `name` or `name.gz` in dir; throws naming both and the directory when neither exists.
inline std::string find_mnist_file(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const std::string& candidate : {name, name + ".gz"}) {
    const fs::path path = fs::path(dir) / candidate;
    if (fs::is_regular_file(path, ec)) return path.string();
  }
  const char* why = fs::is_directory(dir, ec) ? ""
                    : fs::exists(dir, ec)     ? " (that is a file: expected the directory that holds the MNIST files)"
                                              : " (no such directory)";
  ::ember::detail::throw_error<FormatError>("load_mnist", "no ", name, "[.gz] in ", dir, why,
                                            "; run scripts/fetch-mnist.sh");
}

}  // namespace detail

inline constexpr index_t kMnistRows = 28, kMnistCols = 28, kMnistClasses = 10;

// Loads one split. Throws FormatError naming the file when a file is missing or malformed,
// when the images are not [N, 28, 28] or the labels not [N] with the same N, or when a label
// is outside 0..classes-1 (0..9 for MNIST; a data set in MNIST's files with other classes can
// ask for up to 256, every byte, and count its classes itself).
inline Dataset load_mnist(const std::string& dir, Split split, index_t classes = kMnistClasses) {
  EMBER_CHECK(classes >= 1 && classes <= 256, ValueError, "load_mnist", "expected 1 to 256 classes, got ", classes);
  const std::string prefix = detail::mnist_prefix(split);
  const std::string images_path = detail::find_mnist_file(dir, prefix + "-images-idx3-ubyte");
  const std::string labels_path = detail::find_mnist_file(dir, prefix + "-labels-idx1-ubyte");

  IdxArray images = read_idx(images_path);
  EMBER_CHECK(images.dims.size() == 3 && images.dims[1] == kMnistRows && images.dims[2] == kMnistCols, FormatError,
              "load_mnist", images_path, ": expected images of shape [N, 28, 28], got ",
              detail::dims_to_string(images.dims));
  IdxArray labels = read_idx(labels_path);
  EMBER_CHECK(labels.dims.size() == 1, FormatError, "load_mnist", labels_path,
              ": expected labels of shape [N], got ", detail::dims_to_string(labels.dims));
  EMBER_CHECK(labels.dims[0] == images.dims[0], FormatError, "load_mnist", labels_path, ": ", labels.dims[0],
              " labels for ", images.dims[0], " images in ", images_path);

  std::vector<std::int64_t> label_values(labels.data.size());
  for (std::size_t i = 0; i < labels.data.size(); ++i) {
    EMBER_CHECK(labels.data[i] < classes, FormatError, "load_mnist", labels_path, ": label ", int(labels.data[i]),
                " at index ", i, " is outside 0..", classes - 1);
    label_values[i] = labels.data[i];
  }
  return Dataset(std::move(images.data), std::move(label_values), kMnistRows, kMnistCols);
}

}  // namespace ember::data
