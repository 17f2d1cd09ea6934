// A tiny end-to-end demo of ember's tensors and autograd: a linear model with a
// quadratic feature, fitted by plain gradient descent on synthetic data.
//
//   ember_demo [steps]      (default 500)
#include <cstdlib>
#include <iostream>
#include <string>

#include <ember/ember.hpp>

int main(int argc, char** argv) {
  try {
    int steps = 500;
    if (argc > 2) throw std::invalid_argument("usage: ember_demo [steps]");
    if (argc == 2) {
      char* end = nullptr;
      long parsed = std::strtol(argv[1], &end, 10);
      if (*argv[1] == '\0' || *end != '\0' || parsed < 1 || parsed > 1000000)
        throw std::invalid_argument(std::string("expected a number of steps in [1, 1000000], got '") + argv[1] + "'");
      steps = static_cast<int>(parsed);
    }
    ember::Generator gen(0);
    // Synthetic regression: target = x W_true + 0.5 x^2 . 1 + noise.
    const ember::index_t n = 256, features = 4;
    auto x = ember::randn<float>({n, features}, gen);
    auto w_true = ember::from_vector<float>({1.5f, -2.0f, 0.5f, 3.0f}, {features, 1});
    auto target = ember::matmul(x, w_true) + (x * x).sum(1, true) * 0.5 + ember::randn<float>({n, 1}, gen) * 0.01;

    auto w = ember::zeros<float>({features, 1}).requires_grad_();
    auto v = ember::zeros<float>({1}).requires_grad_();  // weight of the quadratic feature
    auto b = ember::zeros<float>({1}).requires_grad_();
    const float lr = 0.01f;
    for (int step = 1; step <= steps; ++step) {
      auto prediction = ember::matmul(x, w) + (x * x).sum(1, true) * v + b;
      auto loss = ((prediction - target).pow(2)).mean();
      loss.backward();
      {
        ember::NoGradGuard no_grad;  // the update itself is not part of the graph
        for (auto* p : {&w, &v, &b}) {
          p->eigen() -= lr * p->grad().eigen();
          p->zero_grad();
        }
      }
      if (step == 1 || step % 100 == 0 || step == steps)
        std::cout << "step " << step << "  loss " << loss.item() << "\n";
    }
    std::cout << "learned w = " << w.detach().reshape({-1}) << "\n(true w = [1.5, -2, 0.5, 3]; quadratic weight "
              << v.item() << ", true 0.5)\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ember_demo: " << e.what() << "\n";
    return 1;
  }
}
