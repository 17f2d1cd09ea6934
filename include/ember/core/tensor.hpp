#pragma once
// Tensor<T>: a cheap handle to an n-dimensional array (rank 0 to 4) with reverse-mode
// autograd built in, as in PyTorch. Copying a Tensor copies the handle: both name the
// same tensor. Views (reshape, transpose, detach) share storage with their base.
//
// This header holds the data structure; the differentiable operations live in ops/
// (free functions such as ember::matmul), and the member shortcuts declared below
// (x.sum(), x.view(...), loss.backward()) are defined in ops/tensor_methods.hpp.
// Include <ember/ember.hpp> to get everything.

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "ember/core/allocator.hpp"
#include "ember/core/error.hpp"
#include "ember/core/shape.hpp"

namespace ember {

template <class T>
class Tensor;
template <class T>
struct Node;  // autograd/node.hpp

namespace detail {

template <class T>
using Buffer = std::vector<T, TensorAllocator<T>>;  // core/allocator.hpp

template <class T>
struct TensorImpl {
  std::shared_ptr<Buffer<T>> storage;
  Shape shape;
  Shape strides;  // in elements; Shape is reused as a small fixed array
  index_t offset = 0;
  bool requires_grad = false;
  bool retains_grad = false;                 // non-leaf that keeps its .grad (retain_grad())
  std::shared_ptr<TensorImpl<T>> grad;       // accumulated gradient, same shape
  std::shared_ptr<Node<T>> grad_fn;          // the op that produced this tensor, if recorded
};

}  // namespace detail

template <class T>
class Tensor {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int64_t>,
                "Tensor<T>: T must be float, double (differentiable) or std::int64_t (indices, labels)");

 public:
  using value_type = T;
  using Impl = detail::TensorImpl<T>;
  using EigenArray = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
  using ConstEigenArray = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
  using RowMajorMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using EigenMatrix = Eigen::Map<RowMajorMatrix>;
  using ConstEigenMatrix = Eigen::Map<const RowMajorMatrix>;

  // An undefined tensor (like an empty torch::Tensor()): defined() is false.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

  // A new zero-filled contiguous tensor.
  static Tensor zeros(const Shape& shape) { return with_storage(shape, std::make_shared<detail::Buffer<T>>(
                                                                           static_cast<std::size_t>(shape.numel()), T(0))); }

  // A new contiguous tensor whose values are unspecified: for ops that write every element
  // (like torch.empty). Debug builds (no NDEBUG) fill it with NaN (or a pattern for integers),
  // so that a read before the write shows up in the tests instead of passing on zeroed pages.
  static Tensor uninitialized(const Shape& shape) {
    auto storage = std::make_shared<detail::Buffer<T>>(static_cast<std::size_t>(shape.numel()));
#ifndef NDEBUG
    const T poison = std::numeric_limits<T>::has_quiet_NaN ? std::numeric_limits<T>::quiet_NaN() : T(-0x5A5A5A5A);
    std::fill(storage->begin(), storage->end(), poison);
#endif
    return with_storage(shape, std::move(storage));
  }
  // torch.empty: the same as uninitialized() (values unspecified). A zero-filled tensor is zeros().
  static Tensor empty(const Shape& shape) { return uninitialized(shape); }

  // A tensor with the given shape, copying values (row-major order).
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
    EMBER_CHECK(static_cast<index_t>(values.size()) == shape.numel(), ShapeError, "from_vector", "shape ",
                shape, " needs ", shape.numel(), " values, got ", values.size());
    Tensor t = empty(shape);
    std::copy(values.begin(), values.end(), t.data());
    return t;
  }

  // ---- structure -------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  index_t offset() const { return impl().offset; }
  int dim() const { return shape().rank(); }
  index_t size(int d) const { return shape().size(d); }
  index_t numel() const { return shape().numel(); }

  bool is_contiguous() const {
    index_t expected = 1;
    for (int d = dim() - 1; d >= 0; --d) {
      if (shape()[d] != 1 && strides()[d] != expected) return false;
      expected *= shape()[d];
    }
    return true;
  }

  // True when both handles name the same storage (a view or the tensor itself).
  bool shares_storage_with(const Tensor& other) const { return impl().storage == other.impl().storage; }

  // ---- raw data (for kernels) ----------------------------------------------------------
  // Pointer to the first element; walk it with strides(), or linearly when contiguous.
  T* data() { return impl().storage->data() + impl().offset; }
  const T* data() const { return impl().storage->data() + impl().offset; }

  // The elements as a flat Eigen array; the tensor must be contiguous.
  EigenArray eigen() { return EigenArray(contiguous_data("Tensor::eigen"), numel()); }
  ConstEigenArray eigen() const {
    return ConstEigenArray(const_cast<Tensor*>(this)->contiguous_data("Tensor::eigen"), numel());
  }
  // A 2-D contiguous tensor as a row-major Eigen matrix.
  EigenMatrix matrix() {
    T* p = matrix_data();  // checks the rank before size(1) is read
    return EigenMatrix(p, size(0), size(1));
  }
  ConstEigenMatrix matrix() const {
    const T* p = const_cast<Tensor*>(this)->matrix_data();
    return ConstEigenMatrix(p, size(0), size(1));
  }

  // The elements in row-major order, whatever the strides.
  std::vector<T> to_vector() const {
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(numel()));
    for_each_offset([&](index_t off) { out.push_back(impl().storage->data()[off]); });
    return out;
  }

  // ---- element access ----------------------------------------------------------------
  // at(i, j, ...) is always bounds-checked and throws IndexError.
  template <class... Idx>
  T& at(Idx... idx) {
    return impl().storage->data()[checked_offset("Tensor::at", {static_cast<index_t>(idx)...})];
  }
  template <class... Idx>
  const T& at(Idx... idx) const {
    return impl().storage->data()[checked_offset("Tensor::at", {static_cast<index_t>(idx)...})];
  }
  // t(i, j, ...) is bounds-checked in debug builds (NDEBUG not defined) only.
  template <class... Idx>
  T& operator()(Idx... idx) {
    return impl().storage->data()[element_offset({static_cast<index_t>(idx)...})];
  }
  template <class... Idx>
  const T& operator()(Idx... idx) const {
    return impl().storage->data()[element_offset({static_cast<index_t>(idx)...})];
  }

  // The value of a one-element tensor.
  T item() const {
    EMBER_CHECK(numel() == 1, ValueError, "Tensor::item", "expected a tensor with one element, got shape ",
                shape(), " (", numel(), " elements)");
    return *data();
  }

  // ---- autograd state ------------------------------------------------------------------
  bool requires_grad() const { return defined() && impl().requires_grad; }
  // Marks a leaf tensor as a parameter whose gradient backward() accumulates. Returns *this.
  Tensor& requires_grad_(bool requires = true) {
    EMBER_CHECK(std::is_floating_point_v<T> || !requires, ValueError, "Tensor::requires_grad_",
                "only floating-point tensors can require gradients");
    EMBER_CHECK(is_leaf() || requires, ValueError, "Tensor::requires_grad_",
                "cannot clear requires_grad of a non-leaf tensor (use detach())");
    impl().requires_grad = requires;
    return *this;
  }
  // A leaf was created by the user (not by a recorded op); only leaves accumulate .grad.
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  // The op that produced this tensor (null for leaves).
  const std::shared_ptr<Node<T>>& grad_fn() const { return impl().grad_fn; }
  // Asks backward() to also keep the gradient of this non-leaf tensor.
  Tensor& retain_grad() {
    EMBER_CHECK(requires_grad(), ValueError, "Tensor::retain_grad", "tensor does not require grad");
    impl().retains_grad = true;
    return *this;
  }
  bool retains_grad() const { return impl().retains_grad; }
  // The accumulated gradient; undefined until a backward() reached this tensor.
  Tensor grad() const { return Tensor(impl().grad); }
  // Sets the gradient to zero, keeping its buffer (no allocation in a training loop).
  void zero_grad() {
    if (impl().grad) std::fill(impl().grad->storage->begin(), impl().grad->storage->end(), T(0));
  }
  // Forgets the gradient (PyTorch's set_to_none).
  void reset_grad() { impl().grad.reset(); }
  // Replaces the gradient (optimizers, gradient clipping). Must match the shape.
  void set_grad(const Tensor& g) {
    EMBER_CHECK(!g.defined() || g.shape() == shape(), ShapeError, "Tensor::set_grad", "expected gradient of shape ",
                shape(), ", got ", g.shape());
    impl().grad = g.defined() ? g.impl_ : nullptr;
  }
  // Internal: engine and op helpers use the implementation pointer.
  const std::shared_ptr<Impl>& impl_ptr() const { return impl_; }

  // A tensor sharing this one's data but cut off from the graph (never requires grad).
  Tensor detach() const {
    auto view = std::make_shared<Impl>();
    view->storage = impl().storage;
    view->shape = shape();
    view->strides = strides();
    view->offset = offset();
    return Tensor(std::move(view));
  }

  // A contiguous copy converted to another element type; not differentiable.
  template <class U>
  Tensor<U> cast() const {
    Tensor<U> out = Tensor<U>::zeros(shape());
    U* dst = out.data();
    for_each_offset([&](index_t off) { *dst++ = static_cast<U>(impl().storage->data()[off]); });
    return out;
  }

  // Calls fn(storage offset) for every element in row-major order.
  template <class Fn>
  void for_each_offset(Fn&& fn) const {
    Shape s = shape(), st = strides();
    index_t dims[4] = {1, 1, 1, 1}, steps[4] = {0, 0, 0, 0};
    for (int d = 0; d < s.rank(); ++d) {
      dims[4 - s.rank() + d] = s[d];
      steps[4 - s.rank() + d] = st[d];
    }
    for (index_t i0 = 0; i0 < dims[0]; ++i0)
      for (index_t i1 = 0; i1 < dims[1]; ++i1)
        for (index_t i2 = 0; i2 < dims[2]; ++i2)
          for (index_t i3 = 0; i3 < dims[3]; ++i3)
            fn(offset() + i0 * steps[0] + i1 * steps[1] + i2 * steps[2] + i3 * steps[3]);
  }

  // ---- differentiable shortcuts, defined in ops/tensor_methods.hpp -----------------------
  // Shape: -1 in a shape means "infer this size" (one at most).
  Tensor view(const std::vector<index_t>& shape) const;     // needs contiguous data; shares it
  Tensor reshape(const std::vector<index_t>& shape) const;  // a view when possible, else a copy
  Tensor flatten(int start_dim = 0) const;                  // merges start_dim..end into one
  Tensor transpose(int dim0, int dim1) const;               // a strided view
  Tensor t() const;                                         // transpose of a 2-D tensor
  Tensor contiguous() const;
  Tensor clone() const;
  // Reductions (dim may be negative).
  Tensor sum() const;
  Tensor sum(int dim, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(int dim, bool keepdim = false) const;
  Tensor max() const;
  Tensor max(int dim, bool keepdim = false) const;
  Tensor<std::int64_t> argmax(int dim, bool keepdim = false) const;
  // Element-wise.
  Tensor exp() const;
  Tensor log() const;
  Tensor neg() const;
  Tensor pow(double exponent) const;
  Tensor matmul(const Tensor& other) const;

  // Reverse-mode differentiation from this tensor (autograd/engine.hpp). A non-scalar needs
  // the gradient of the final result with respect to it. retain_graph keeps the graph for
  // another backward().
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;

 private:
  static Tensor with_storage(const Shape& shape, std::shared_ptr<detail::Buffer<T>> storage) {
    auto impl = std::make_shared<Impl>();
    impl->storage = std::move(storage);
    impl->shape = shape;
    impl->strides = contiguous_strides(shape);
    return Tensor(std::move(impl));
  }

  Impl& impl() const {
    EMBER_CHECK(impl_ != nullptr, ValueError, "Tensor", "use of an undefined tensor");
    return *impl_;
  }

  T* contiguous_data(const char* op) {
    EMBER_CHECK(is_contiguous(), ValueError, op, "tensor of shape ", shape(),
                " is not contiguous; call contiguous() first");
    return data();
  }
  T* matrix_data() {
    EMBER_CHECK(dim() == 2, ShapeError, "Tensor::matrix", "expected a 2-D tensor, got shape ", shape());
    return contiguous_data("Tensor::matrix");
  }

  index_t checked_offset(const char* op, std::initializer_list<index_t> idx) const {
    EMBER_CHECK(static_cast<int>(idx.size()) == dim(), IndexError, op, "expected ", dim(), " indices for shape ",
                shape(), ", got ", idx.size());
    index_t off = offset();
    int d = 0;
    for (index_t i : idx) {
      EMBER_CHECK(i >= 0 && i < shape()[d], IndexError, op, "index ", i, " out of range for dimension ", d,
                  " of size ", shape()[d], " (shape ", shape(), ")");
      off += i * strides()[d++];
    }
    return off;
  }

  index_t element_offset(std::initializer_list<index_t> idx) const {
#ifndef NDEBUG
    return checked_offset("Tensor::operator()", idx);
#else
    index_t off = offset();
    int d = 0;
    for (index_t i : idx) off += i * strides()[d++];
    return off;
#endif
  }

  std::shared_ptr<Impl> impl_;
};

}  // namespace ember
