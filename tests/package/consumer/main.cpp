// Smallest useful ember program: a forward pass, a backward pass, and checks
// that the gradient arrived. Built by the package.* tests.
#include <ember/ember.hpp>

#include <cmath>
#include <iostream>

int main() {
  ember::Generator gen(42);
  auto w = ember::randn<float>({3, 2}, gen).requires_grad_();
  auto x = ember::ones<float>({4, 3});
  auto loss = ember::sum(ember::matmul(x, w) * ember::matmul(x, w));
  loss.backward();

  const float value = loss.item();
  if (!w.grad().defined()) {
    std::cout << "fail: w.grad() is undefined after backward()\n";
    return 1;
  }
  if (!(w.grad().shape() == ember::Shape({3, 2}))) {
    std::cout << "fail: w.grad() has the wrong shape\n";
    return 1;
  }
  if (!std::isfinite(value) || !(value > 0.0f)) {
    std::cout << "fail: loss is " << value << ", expected finite and > 0\n";
    return 1;
  }
  std::cout << "ok " << value << "\n";
  return 0;
}
