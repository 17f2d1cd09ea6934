#pragma once
// cat and stack: PyTorch's torch.cat and torch.stack, one graph node each.

#include <string>
#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/kernels/elementwise.hpp"
#include "ember/ops/reshape.hpp"

namespace ember {

// Joins tensors along dimension `dim` (negative counts from the end): all of the same rank,
// equal in every other dimension. Returns a new contiguous tensor. Throws ValueError for an
// empty list, ShapeError naming the first tensor that does not fit, IndexError for `dim`.
template <class T>
Tensor<T> cat(const std::vector<Tensor<T>>& tensors, int dim = 0) {
  const char* op = "cat";
  EMBER_CHECK(!tensors.empty(), ValueError, op, "expected at least one tensor");
  const Shape& first = tensors[0].shape();
  EMBER_CHECK(first.rank() >= 1, ShapeError, op, "zero-dimensional tensor 0 cannot be concatenated");
  dim = first.normalize_dim(dim, op);
  std::vector<index_t> out_dims = first.to_vector();
  out_dims[static_cast<std::size_t>(dim)] = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Shape& s = tensors[i].shape();
    bool fits = s.rank() == first.rank();
    for (int d = 0; fits && d < s.rank(); ++d) fits = d == dim || s[d] == first[d];
    EMBER_CHECK(fits, ShapeError, op, "tensor ", i, " has shape ", s, ", expected ", first.rank(),
                " dimensions matching ", first, " except in dimension ", dim);
    out_dims[static_cast<std::size_t>(dim)] += s[dim];
  }
  index_t outer = 1, inner = 1;  // the dimensions before dim, and after it
  for (int d = 0; d < dim; ++d) outer *= first[d];
  for (int d = dim + 1; d < first.rank(); ++d) inner *= first[d];
  const index_t out_row = out_dims[static_cast<std::size_t>(dim)] * inner;
  Tensor<T> out = Tensor<T>::uninitialized(Shape(out_dims));
  std::vector<index_t> widths;  // each input's share of an output row
  index_t column = 0;
  for (const auto& t : tensors) {
    const Tensor<T> c = kernels::make_contiguous(t);
    const index_t width = t.shape()[dim] * inner;
    for (index_t o = 0; o < outer; ++o)
      std::copy(c.data() + o * width, c.data() + (o + 1) * width, out.data() + o * out_row + column);
    column += width;
    widths.push_back(width);
  }
  std::vector<Shape> shapes;
  for (const auto& t : tensors) shapes.push_back(t.shape());
  Tensor<T> y = record<T>(op, out, tensors, [widths, shapes, outer, out_row](const Tensor<T>& g, const Node<T>& self) {
    const Tensor<T> gc = kernels::make_contiguous(g);
    std::vector<Tensor<T>> grads(shapes.size());
    index_t at = 0;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      const index_t width = widths[i];
      if (self.needs_grad(i)) {
        grads[i] = Tensor<T>::uninitialized(shapes[i]);
        for (index_t o = 0; o < outer; ++o)
          std::copy(gc.data() + o * out_row + at, gc.data() + o * out_row + at + width, grads[i].data() + o * width);
      }
      at += width;
    }
    return grads;
  });
  trace::annotate(y, [&] { return trace::Annotation<T>{{{"dim", {double(dim)}}}, {}}; });
  return y;
}

// Joins tensors of one shape along a new dimension `dim` (in [-(rank + 1), rank]): stack of k
// tensors [A, B] at dim 1 gives [A, k, B]. The result may have at most 4 dimensions. Throws
// ValueError for an empty list, ShapeError for different shapes or too many dimensions.
template <class T>
Tensor<T> stack(const std::vector<Tensor<T>>& tensors, int dim = 0) {
  const char* op = "stack";
  EMBER_CHECK(!tensors.empty(), ValueError, op, "expected at least one tensor");
  const Shape& first = tensors[0].shape();
  for (std::size_t i = 1; i < tensors.size(); ++i)
    EMBER_CHECK(tensors[i].shape() == first, ShapeError, op, "expected every tensor of shape ", first, ", tensor ",
                i, " has shape ", tensors[i].shape());
  EMBER_CHECK(first.rank() < Shape::kMaxRank, ShapeError, op, "stacking tensors of shape ", first, " would give ",
              first.rank() + 1, " dimensions (at most ", Shape::kMaxRank, " are supported)");
  const int rank = first.rank() + 1;
  EMBER_CHECK(dim >= -rank && dim < rank, IndexError, op, "dimension ", dim, " out of range for a result of ", rank,
              " dimensions (expected in [", -rank, ", ", rank - 1, "])");
  if (dim < 0) dim += rank;
  std::vector<index_t> dims = first.to_vector();
  dims.insert(dims.begin() + dim, 1);
  std::vector<Tensor<T>> expanded;
  for (const auto& t : tensors) expanded.push_back(reshape(t, dims));
  return cat(expanded, dim);
}

}  // namespace ember
