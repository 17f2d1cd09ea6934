#pragma once
// backward(): walks the graph below a tensor in reverse topological order, calls each
// node's backward rule once with the sum of the gradients that reached it, and
// accumulates the results into the .grad of the leaves (and of retain_grad() tensors).

#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/node.hpp"
#include "ember/core/factory.hpp"
#include "ember/kernels/elementwise.hpp"

namespace ember {
namespace detail {

// Nodes reachable from root, each after every node that feeds it a gradient.
template <class T>
std::vector<Node<T>*> reverse_topological_order(Node<T>* root) {
  std::vector<Node<T>*> post_order;
  std::unordered_set<Node<T>*> visited{root};
  std::vector<std::pair<Node<T>*, std::size_t>> stack{{root, 0}};  // iterative: deep graphs are fine
  while (!stack.empty()) {
    auto& [node, next_input] = stack.back();
    if (next_input < node->inputs.size()) {
      Node<T>* child = node->inputs[next_input++].grad_fn().get();
      if (child && visited.insert(child).second) stack.push_back({child, 0});
    } else {
      post_order.push_back(node);
      stack.pop_back();
    }
  }
  return {post_order.rbegin(), post_order.rend()};
}

template <class T>
void accumulate_into_grad(const std::shared_ptr<TensorImpl<T>>& impl, const Tensor<T>& g) {
  if (!impl->grad) {
    impl->grad = kernels::copy(g).impl_ptr();  // a fresh buffer: .grad must not alias anything
  } else {
    Tensor<T> existing(impl->grad);
    kernels::add_into(existing, g);
  }
}

template <class T>
void add_to_pending(std::unordered_map<Node<T>*, Tensor<T>>& pending, Node<T>* node, const Tensor<T>& g) {
  auto it = pending.find(node);
  if (it == pending.end()) {
    pending.emplace(node, g);
  } else {
    Tensor<T> sum = Tensor<T>::uninitialized(g.shape());
    kernels::binary(it->second, g, sum, [](T x, T y) { return x + y; });
    it->second = sum;
  }
}

}  // namespace detail

template <class T>
void Tensor<T>::backward(const Tensor& gradient, bool retain_graph) const {
  static_assert(std::is_floating_point_v<T>, "backward() needs a floating-point tensor");
  EMBER_CHECK(requires_grad(), ValueError, "backward",
              "tensor does not require grad and has no grad_fn (did you forget requires_grad_(), or run under "
              "NoGradGuard?)");
  Tensor seed = gradient;
  if (!seed.defined()) {
    EMBER_CHECK(numel() == 1, ValueError, "backward",
                "a gradient can be created implicitly only for one-element outputs, got shape ", shape(),
                "; pass the gradient explicitly");
    seed = ones<T>(shape());
  }
  EMBER_CHECK(seed.shape() == shape(), ShapeError, "backward", "expected a gradient of shape ", shape(), ", got ",
              seed.shape());

  NoGradGuard no_grad;  // backward rules build no graph of their own
  if (is_leaf()) {
    detail::accumulate_into_grad(impl_ptr(), seed);
    return;
  }
  std::unordered_map<Node<T>*, Tensor<T>> pending{{grad_fn().get(), seed}};
  std::unordered_map<Node<T>*, std::shared_ptr<Impl>> retained;
  if (retains_grad()) retained[grad_fn().get()] = impl_ptr();

  for (Node<T>* node : detail::reverse_topological_order(grad_fn().get())) {
    auto found = pending.find(node);
    if (found == pending.end()) continue;  // no gradient flowed here
    Tensor<T> grad_out = std::move(found->second);
    pending.erase(found);
    if (auto r = retained.find(node); r != retained.end()) detail::accumulate_into_grad(r->second, grad_out);

    EMBER_CHECK(!node->released(), ValueError, "backward",
                "trying to backward through the graph of '", node->name,
                "' a second time; its saved values were freed by the first backward() "
                "(pass retain_graph=true to the first call)");
    profiler::Profile* profile = profiler::active();
    const auto start = profile ? profiler::Clock::now() : profiler::Clock::time_point{};
    std::vector<Tensor<T>> input_grads = node->backward(grad_out, *node);
    if (profile) profile->add({node->scope, node->name, profiler::Phase::backward, profiler::seconds_since(start)});
    if (!retain_graph) node->release();

    for (std::size_t i = 0; i < node->inputs.size(); ++i) {
      const Tensor<T>& input = node->inputs[i];
      if (!input.requires_grad() || i >= input_grads.size() || !input_grads[i].defined()) continue;
      EMBER_CHECK(input_grads[i].shape() == input.shape(), ShapeError, node->name + " (backward)",
                  "gradient for input ", i, " has shape ", input_grads[i].shape(), ", expected ", input.shape());
      if (input.is_leaf()) {
        detail::accumulate_into_grad(input.impl_ptr(), input_grads[i]);
      } else {
        detail::add_to_pending(pending, input.grad_fn().get(), input_grads[i]);
        if (input.retains_grad()) retained[input.grad_fn().get()] = input.impl_ptr();
      }
    }
  }
}

}  // namespace ember
