#pragma once
// Shape: the sizes of a tensor's dimensions, rank 0 (scalar) to 4 (NCHW).
// A fixed-size value type: no allocation, cheap to copy.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "ember/core/error.hpp"

namespace ember {

using index_t = std::int64_t;

class Shape {
 public:
  static constexpr int kMaxRank = 4;

  Shape() = default;  // rank 0: a scalar
  Shape(std::initializer_list<index_t> dims) { assign(dims.begin(), dims.end()); }
  explicit Shape(const std::vector<index_t>& dims) { assign(dims.begin(), dims.end()); }

  int rank() const { return rank_; }
  index_t operator[](int d) const { return dims_[static_cast<std::size_t>(d)]; }
  index_t& operator[](int d) { return dims_[static_cast<std::size_t>(d)]; }
  const index_t* begin() const { return dims_.data(); }
  const index_t* end() const { return dims_.data() + rank_; }

  // Number of elements; 1 for a scalar.
  index_t numel() const {
    index_t n = 1;
    for (int d = 0; d < rank_; ++d) n *= dims_[static_cast<std::size_t>(d)];
    return n;
  }

  // Size of dimension d, where d may be negative (counted from the end) as in PyTorch.
  index_t size(int d) const { return (*this)[normalize_dim(d, "Shape::size")]; }

  // Maps a possibly negative dimension index into [0, rank), or throws IndexError naming op.
  int normalize_dim(int d, const char* op) const {
    int r = rank_ == 0 ? 1 : rank_;  // PyTorch lets dim 0/-1 address a scalar
    EMBER_CHECK(d >= -r && d < r, IndexError, op, "dimension ", d, " out of range for a tensor of shape ",
                to_string(), " (expected in [", -r, ", ", r - 1, "])");
    return d < 0 ? d + r : d;
  }

  std::vector<index_t> to_vector() const { return {begin(), end()}; }

  std::string to_string() const {
    std::string s = "[";
    for (int d = 0; d < rank_; ++d) s += (d ? ", " : "") + std::to_string((*this)[d]);
    return s + "]";
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.rank_ != b.rank_) return false;
    for (int d = 0; d < a.rank_; ++d)
      if (a[d] != b[d]) return false;
    return true;
  }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.to_string(); }

 private:
  template <class It>
  void assign(It first, It last) {
    auto n = last - first;
    EMBER_CHECK(n <= kMaxRank, ShapeError, "Shape", "rank ", n, " is not supported (expected at most ",
                kMaxRank, ")");
    rank_ = static_cast<int>(n);
    for (int d = 0; first != last; ++first, ++d) {
      EMBER_CHECK(*first >= 0, ShapeError, "Shape", "negative size ", *first, " in dimension ", d);
      dims_[static_cast<std::size_t>(d)] = *first;
    }
  }

  std::array<index_t, kMaxRank> dims_{};
  int rank_ = 0;
};

// Element strides of a dense row-major tensor of the given shape.
inline Shape contiguous_strides(const Shape& shape) {
  Shape strides = shape;
  index_t step = 1;
  for (int d = shape.rank() - 1; d >= 0; --d) {
    strides[d] = step;
    step *= shape[d];
  }
  return strides;
}

// NumPy/PyTorch broadcasting: align trailing dimensions; each pair must be equal or contain a 1.
inline Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  int rank = a.rank() > b.rank() ? a.rank() : b.rank();
  std::vector<index_t> out(static_cast<std::size_t>(rank));
  for (int i = 0; i < rank; ++i) {
    int da = a.rank() - rank + i, db = b.rank() - rank + i;
    index_t sa = da >= 0 ? a[da] : 1, sb = db >= 0 ? b[db] : 1;
    EMBER_CHECK(sa == sb || sa == 1 || sb == 1, ShapeError, op, "shapes ", a, " and ", b,
                " cannot be broadcast (dimension ", i - rank, ": ", sa, " vs ", sb, ")");
    out[static_cast<std::size_t>(i)] = sa == 1 ? sb : sa;
  }
  return Shape(out);
}

}  // namespace ember
