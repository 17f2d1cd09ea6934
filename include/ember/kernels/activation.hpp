#pragma once
// Element-wise activation kernels on contiguous buffers.

#include "ember/core/parallel.hpp"

namespace ember::kernels {

template <class T>
void relu_forward(const T* x, T* y, index_t n) {
  parallel_blocks(n, 1.0, [&](index_t begin, index_t end, int) {
    for (index_t i = begin; i < end; ++i) y[i] = x[i] < T(0) ? T(0) : x[i];  // NaN passes through, as in PyTorch
  });
}

// dx = dy where the output was positive, else 0 (the gradient at exactly 0 is 0, as in PyTorch).
template <class T>
void relu_backward(const T* y, const T* dy, T* dx, index_t n) {
  parallel_blocks(n, 1.0, [&](index_t begin, index_t end, int) {
    // Both loads unconditional: a load under the condition keeps the loop scalar and branchy.
    for (index_t i = begin; i < end; ++i) {
      const T g = dy[i], v = y[i];
      dx[i] = v <= T(0) ? T(0) : g;  // NaN output: the gradient passes, as in PyTorch
    }
  });
}

// y[i] = f(x[i]) over threads (activations other than ReLU: f is pure and cheap).
template <class T, class F>
void map_forward(const T* x, T* y, index_t n, F f) {
  parallel_blocks(n, 4.0, [&](index_t begin, index_t end, int) {
    for (index_t i = begin; i < end; ++i) y[i] = f(x[i]);
  });
}

// dx[i] = dy[i] * df(x[i], y[i]), the derivative written in terms of the input and the output.
template <class T, class DF>
void map_backward(const T* x, const T* y, const T* dy, T* dx, index_t n, DF df) {
  parallel_blocks(n, 4.0, [&](index_t begin, index_t end, int) {
    for (index_t i = begin; i < end; ++i) dx[i] = dy[i] * df(x[i], y[i]);
  });
}

}  // namespace ember::kernels
