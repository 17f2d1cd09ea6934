#pragma once
// Element-wise functions of one tensor, the public way to write such an op of your own: map()
// applies f to every element (no graph), unary_op() records the op with its derivative so that
// backward() reaches through it.

#include <vector>

#include "ember/autograd/node.hpp"
#include "ember/kernels/elementwise.hpp"

namespace ember {

// A new contiguous tensor of a's shape holding f(a_i) for every element (any strides in a).
// Not recorded: use it in forwards and backward rules of your own. Throws only what f throws.
template <class T, class F>
Tensor<T> map(const Tensor<T>& a, F f) {
  Tensor<T> out = Tensor<T>::uninitialized(a.shape());
  kernels::unary(a, out, f);
  return out;
}

// y = f(x) element-wise, recorded as `name` with the derivative dy_i/dx_i = df(x_i, y_i), so
// that backward() gives dx = dy * df(x, y). f and df take and return T; they must be pure (the
// backward rule calls df later, on saved copies of x and y). Returns y (requires grad when x
// does, outside NoGradGuard).
template <class T, class F, class DF>
Tensor<T> unary_op(const char* name, const Tensor<T>& x, F f, DF df) {
  Tensor<T> y = map(x, f);
  const Tensor<T> x0 = kernels::make_contiguous(x).detach(), y0 = y.detach();  // never capture y itself (cycle)
  return record<T>(name, y, {x}, [x0, y0, df](const Tensor<T>& g, const Node<T>& self) {
    Tensor<T> gx;
    if (self.needs_grad(0)) {
      const Tensor<T> gc = kernels::make_contiguous(g);
      gx = Tensor<T>::uninitialized(x0.shape());
      const T *pg = gc.data(), *px = x0.data(), *py = y0.data();
      T* pd = gx.data();
      for (index_t i = 0; i < gx.numel(); ++i) pd[i] = pg[i] * df(px[i], py[i]);
    }
    return std::vector<Tensor<T>>{gx};
  });
}

}  // namespace ember
