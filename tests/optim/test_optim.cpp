// Optimizers, learning-rate schedulers and gradient clipping against PyTorch's results
// (tests/data/optim_fixtures, written by tests/fixtures/make_optim_fixtures.py), option
// validation, skipped parameters, state_dict round trips and resuming, and one small
// training run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/optim/adadelta.hpp>
#include <ember/optim/adam.hpp>
#include <ember/optim/clip.hpp>
#include <ember/optim/optimizer.hpp>
#include <ember/optim/scheduler.hpp>
#include <ember/optim/sgd.hpp>

#include "npy.hpp"

using Catch::Matchers::Equals;
using ember::Shape;
using ember::Tensor;
namespace optim = ember::optim;

namespace {

// ---- fixtures ---------------------------------------------------------------------------

std::string fixture_file(const std::string& name) {
  return std::string(EMBER_TEST_DATA_DIR) + "/optim_fixtures/" + name + ".npy";
}
ember_test::NpyArray fixture(const std::string& name) { return ember_test::read_npy(fixture_file(name)); }

// Row s of a stacked array [S, ...] as a tensor of shape [...].
template <class T>
Tensor<T> row(const ember_test::NpyArray& a, std::int64_t s) {
  std::vector<std::int64_t> shape(a.shape.begin() + 1, a.shape.end());
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  REQUIRE((s + 1) * n <= a.numel());
  std::vector<T> values(a.data.begin() + s * n, a.data.begin() + (s + 1) * n);
  return Tensor<T>::from_vector(values, Shape(shape));
}

template <class T>
Tensor<T> whole(const ember_test::NpyArray& a) {
  std::vector<T> values(a.data.begin(), a.data.end());
  return Tensor<T>::from_vector(values, Shape(a.shape));
}

// Tolerances of the brief: relative, 1e-12 in double, 1e-5 in float (the fixtures are
// float64 PyTorch runs; the inputs are float32-representable, so float starts from the
// same values and differs by its own rounding only).
template <class T>
constexpr double rtol() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

// "" when every |actual - expected| <= rtol * |expected|, else the first element that is not.
template <class T>
std::string relative_mismatch(const Tensor<T>& actual, const std::vector<double>& expected, double tol) {
  std::vector<T> got = actual.to_vector();
  std::ostringstream out;
  if (got.size() != expected.size()) {
    out << "size " << got.size() << " vs expected " << expected.size();
    return out.str();
  }
  out.precision(17);
  for (std::size_t i = 0; i < got.size(); ++i) {
    double g = static_cast<double>(got[i]), e = expected[i];
    if (!(std::abs(g - e) <= tol * std::abs(e))) {
      out << "element " << i << ": got " << g << ", expected " << e << " (relative error " << std::abs(g - e) / std::abs(e)
          << ")";
      return out.str();
    }
  }
  return "";
}

template <class T>
std::string relative_mismatch(const Tensor<T>& actual, const Tensor<double>& expected, double tol) {
  if (actual.shape() != expected.shape())
    return "shape " + actual.shape().to_string() + " vs expected " + expected.shape().to_string();
  return relative_mismatch(actual, expected.to_vector(), tol);
}

template <class T>
bool bitwise_equal(const Tensor<T>& a, const Tensor<T>& b) {
  return a.shape() == b.shape() && a.to_vector() == b.to_vector();
}

// The optimizer settings of every fixture configuration (as in make_optim_fixtures.py).
const std::vector<std::string> kConfigs = {"sgd_plain", "sgd_momentum_wd", "sgd_nesterov", "sgd_dampening",
                                           "sgd_momentum_skip", "adam", "adam_wd", "adam_skip",
                                           "adamw", "adadelta", "adadelta_wd"};

template <class T>
std::unique_ptr<optim::Optimizer<T>> make_optimizer(const std::string& config, const std::vector<Tensor<T>>& params) {
  if (config == "sgd_plain") return std::make_unique<optim::SGD<T>>(params, optim::SGDOptions{0.1});
  if (config == "sgd_momentum_wd") return std::make_unique<optim::SGD<T>>(params, optim::SGDOptions{0.1, 0.9, 0, 1e-4});
  if (config == "sgd_nesterov")
    return std::make_unique<optim::SGD<T>>(params, optim::SGDOptions{0.1, 0.9, 0, 0, true});
  if (config == "sgd_dampening") return std::make_unique<optim::SGD<T>>(params, optim::SGDOptions{0.1, 0.5, 0.3});
  if (config == "sgd_momentum_skip") return std::make_unique<optim::SGD<T>>(params, optim::SGDOptions{0.1, 0.9});
  if (config == "adam" || config == "adam_skip")
    return std::make_unique<optim::Adam<T>>(params, optim::AdamOptions{1e-2});
  if (config == "adam_wd")
    return std::make_unique<optim::Adam<T>>(params, optim::AdamOptions{1e-2, 0.9, 0.999, 1e-8, 0.1});
  if (config == "adamw")
    return std::make_unique<optim::AdamW<T>>(params, optim::AdamWOptions{1e-2, 0.9, 0.999, 1e-8, 0.1});
  if (config == "adadelta") return std::make_unique<optim::Adadelta<T>>(params, optim::AdadeltaOptions{1.0});
  if (config == "adadelta_wd")
    return std::make_unique<optim::Adadelta<T>>(params, optim::AdadeltaOptions{1.0, 0.9, 1e-6, 0.1});
  FAIL("unknown optimizer configuration " << config);
  return nullptr;
}

// One configuration's fixture: the inputs, the gradients and PyTorch's parameters after
// each step.
struct Case {
  std::string config;
  ember_test::NpyArray init[2], grads[2], steps[2], has_grad;

  explicit Case(const std::string& name) : config(name) {
    for (int j = 0; j < 2; ++j) {
      const std::string suffix = std::to_string(j);
      init[j] = fixture(name + "/param" + suffix + "_init");
      grads[j] = fixture(name + "/grads" + suffix);
      steps[j] = fixture(name + "/param" + suffix + "_steps");
    }
    has_grad = fixture(name + "/has_grad");
  }
  static constexpr int kSteps = 5;

  template <class T>
  std::vector<Tensor<T>> fresh_params() const {
    std::vector<Tensor<T>> params;
    for (int j = 0; j < 2; ++j) params.push_back(whole<T>(init[j]).requires_grad_());
    return params;
  }
  // The gradients of step s (0-based): set, or reset where PyTorch's .grad was None.
  template <class T>
  void set_grads(std::vector<Tensor<T>>& params, int s) const {
    for (int j = 0; j < 2; ++j) {
      if (has_grad.data[static_cast<std::size_t>(s * 2 + j)] != 0) params[j].set_grad(row<T>(grads[j], s));
      else params[j].reset_grad();
    }
  }
  // Steps s_begin..s_end-1 with the fixture's gradients.
  template <class T>
  void run(optim::Optimizer<T>& opt, std::vector<Tensor<T>>& params, int s_begin, int s_end) const {
    for (int s = s_begin; s < s_end; ++s) {
      set_grads(params, s);
      opt.step();
    }
  }
};

std::vector<std::string> entry_names(const optim::Optimizer<double>::StateDict& sd) {
  std::vector<std::string> out;
  for (auto& [name, t] : sd) out.push_back(name);
  return out;
}

template <class T>
Tensor<T> copy_of(const Tensor<T>& t) {
  return Tensor<T>::from_vector(t.to_vector(), t.shape());
}

}  // namespace

// ---- optimizers vs PyTorch --------------------------------------------------------------

TEMPLATE_TEST_CASE("every optimizer matches torch.optim step by step", "[optim][pytorch]", float, double) {
  using T = TestType;
  for (const auto& config : kConfigs) {
    Case c(config);
    auto params = c.template fresh_params<T>();
    auto opt = make_optimizer<T>(config, params);
    for (int s = 0; s < Case::kSteps; ++s) {
      c.set_grads(params, s);
      opt->step();
      for (int j = 0; j < 2; ++j) {
        INFO(config << ", step " << s + 1 << ", parameter " << j);
        CHECK(relative_mismatch(params[j], row<double>(c.steps[j], s), rtol<T>()) == "");
      }
    }
    CHECK(opt->step_count() == Case::kSteps);
  }
}

TEST_CASE("a skipped parameter neither moves nor gets state", "[optim]") {
  for (const auto& config : kConfigs) {
    INFO(config);
    Case c(config);
    auto params = c.fresh_params<double>();
    auto opt = make_optimizer<double>(config, params);
    params[0].set_grad(row<double>(c.grads[0], 0));
    params[1].reset_grad();
    const auto before = params[1].to_vector();
    opt->step();
    CHECK(params[1].to_vector() == before);
    for (auto& name : entry_names(opt->state_dict())) CHECK(name.rfind("1.", 0) != 0);
  }
}

TEST_CASE("optimizers update the module's tensors in place", "[optim]") {
  ember::Generator gen(7);
  ember::nn::Linear<double> layer(3, 2, true, gen);
  optim::Adam<double> opt(layer.parameters(), {0.1});
  const double* weight_data = layer.weight.data();
  const auto before = layer.weight.to_vector();
  auto loss = ember::mse_loss(layer(ember::randn<double>({4, 3}, gen)), ember::zeros<double>({4, 2}));
  loss.backward();
  opt.step();
  CHECK(layer.weight.data() == weight_data);
  CHECK(layer.weight.to_vector() != before);
  CHECK(opt.params()[0].shares_storage_with(layer.weight));
}

TEST_CASE("zero_grad zeroes the gradients in place", "[optim]") {
  auto w = ember::ones<float>({2, 2}).requires_grad_();
  auto b = ember::ones<float>({2}).requires_grad_();
  optim::SGD<float> opt({w, b}, {0.1});
  w.set_grad(ember::full<float>({2, 2}, 3.0f));
  const float* grad_data = w.grad().data();
  opt.zero_grad();  // b has no gradient: nothing to do for it
  CHECK(w.grad().data() == grad_data);
  CHECK(w.grad().to_vector() == std::vector<float>(4, 0.0f));
  CHECK_FALSE(b.grad().defined());
}

TEST_CASE("optimizer options are validated", "[optim][errors]") {
  auto p = ember::zeros<double>({2}).requires_grad_();
  using optim::SGDOptions;
  CHECK_THROWS_AS(optim::SGD<double>({p}, SGDOptions{-0.1}), ember::ValueError);
  CHECK_THROWS_WITH(optim::SGD<double>({p}, SGDOptions{-0.1}), Equals("SGD: expected lr >= 0, got -0.1"));
  CHECK_THROWS_WITH(optim::SGD<double>({p}, SGDOptions{std::nan("")}), Equals("SGD: expected lr >= 0, got nan"));
  CHECK_THROWS_WITH(optim::SGD<double>({p}, SGDOptions{0.1, -0.5}), Equals("SGD: expected momentum >= 0, got -0.5"));
  CHECK_THROWS_WITH(optim::SGD<double>({p}, SGDOptions{0.1, 0, 0, -1}),
                    Equals("SGD: expected weight_decay >= 0, got -1"));
  CHECK_THROWS_WITH(optim::SGD<double>({p}, SGDOptions{0.1, 0, 0, 0, true}),
                    Equals("SGD: nesterov requires momentum > 0 and dampening == 0, got momentum 0 and dampening 0"));
  CHECK_THROWS_WITH(optim::SGD<double>({p}, SGDOptions{0.1, 0.9, 0.1, 0, true}),
                    Equals("SGD: nesterov requires momentum > 0 and dampening == 0, got momentum 0.9 and dampening 0.1"));
  CHECK_NOTHROW(optim::SGD<double>({p}, SGDOptions{0.0, 0.9, 0, 0, true}));

  using optim::AdamOptions;
  CHECK_THROWS_WITH(optim::Adam<double>({p}, AdamOptions{-1e-3}), Equals("Adam: expected lr >= 0, got -0.001"));
  CHECK_THROWS_WITH(optim::Adam<double>({p}, AdamOptions{1e-3, 1.0}), Equals("Adam: expected 0 <= beta1 < 1, got 1"));
  CHECK_THROWS_WITH(optim::Adam<double>({p}, AdamOptions{1e-3, 0.9, -0.1}),
                    Equals("Adam: expected 0 <= beta2 < 1, got -0.1"));
  CHECK_THROWS_WITH(optim::Adam<double>({p}, AdamOptions{1e-3, 0.9, 0.999, -1e-8}),
                    Equals("Adam: expected eps >= 0, got -1e-08"));
  CHECK_THROWS_WITH(optim::Adam<double>({p}, AdamOptions{1e-3, 0.9, 0.999, 1e-8, -0.1}),
                    Equals("Adam: expected weight_decay >= 0, got -0.1"));
  CHECK_THROWS_WITH(optim::AdamW<double>({p}, optim::AdamWOptions{1e-3, 0.9, 1.5}),
                    Equals("AdamW: expected 0 <= beta2 < 1, got 1.5"));

  using optim::AdadeltaOptions;
  CHECK_THROWS_WITH(optim::Adadelta<double>({p}, AdadeltaOptions{-1}), Equals("Adadelta: expected lr >= 0, got -1"));
  CHECK_THROWS_WITH(optim::Adadelta<double>({p}, AdadeltaOptions{1, 1.5}),
                    Equals("Adadelta: expected 0 <= rho <= 1, got 1.5"));
  CHECK_THROWS_WITH(optim::Adadelta<double>({p}, AdadeltaOptions{1, 0.9, -1}),
                    Equals("Adadelta: expected eps >= 0, got -1"));
  CHECK_THROWS_WITH(optim::Adadelta<double>({p}, AdadeltaOptions{1, 0.9, 1e-6, -2}),
                    Equals("Adadelta: expected weight_decay >= 0, got -2"));

  optim::SGD<double> sgd({p}, SGDOptions{0.1});
  CHECK_THROWS_WITH(sgd.set_lr(-1), Equals("SGD: expected lr >= 0, got -1"));
  CHECK(sgd.lr() == 0.1);
}

TEST_CASE("defaults are PyTorch's", "[optim]") {
  CHECK(optim::AdamOptions{}.lr == 1e-3);
  CHECK(optim::AdamOptions{}.beta1 == 0.9);
  CHECK(optim::AdamOptions{}.beta2 == 0.999);
  CHECK(optim::AdamOptions{}.eps == 1e-8);
  CHECK(optim::AdamOptions{}.weight_decay == 0);
  CHECK(optim::AdamWOptions{}.weight_decay == 1e-2);
  CHECK(optim::AdadeltaOptions{}.lr == 1.0);
  CHECK(optim::AdadeltaOptions{}.rho == 0.9);
  CHECK(optim::AdadeltaOptions{}.eps == 1e-6);
  const optim::SGDOptions sgd{0.5};
  CHECK((sgd.momentum == 0 && sgd.dampening == 0 && sgd.weight_decay == 0 && !sgd.nesterov));
}

TEST_CASE("the parameter list is validated", "[optim][errors]") {
  auto p = ember::zeros<float>({2, 3}).requires_grad_();
  CHECK_THROWS_WITH(optim::SGD<float>({}, {0.1}), Equals("SGD: expected at least one parameter, got an empty list"));
  CHECK_THROWS_WITH(optim::Adam<float>({p, Tensor<float>()}), Equals("Adam: parameter 1 is an undefined tensor"));
  CHECK_THROWS_WITH(optim::Adam<float>({p, p}),
                    Equals("Adam: parameter 1 is the same tensor as parameter 0 (it would be updated twice)"));
  auto non_leaf = p * 2.0f;
  CHECK_THROWS_WITH(optim::Adadelta<float>({non_leaf}),
                    Equals("Adadelta: parameter 0 of shape [2, 3] is not a leaf tensor (only leaves can be optimized)"));
  auto strided = ember::zeros<float>({2, 3}).t();
  CHECK_THROWS_WITH(optim::SGD<float>({strided}, {0.1}), Equals("SGD: parameter 0 of shape [3, 2] is not contiguous"));
}

// ---- state_dict ---------------------------------------------------------------------------

TEMPLATE_TEST_CASE("a state_dict resumes every optimizer bit for bit", "[optim][state_dict]", float, double) {
  using T = TestType;
  for (const auto& config : kConfigs) {
    Case c(config);
    auto straight = c.template fresh_params<T>();
    auto opt_straight = make_optimizer<T>(config, straight);
    c.run(*opt_straight, straight, 0, Case::kSteps);

    // Saving after 1 and 2 steps catches state that does not exist yet in the *_skip cases.
    for (int saved_at = 1; saved_at < Case::kSteps; ++saved_at) {
      INFO(config << ", saved after step " << saved_at);
      auto first = c.template fresh_params<T>();
      auto opt_first = make_optimizer<T>(config, first);
      c.run(*opt_first, first, 0, saved_at);
      const auto saved = opt_first->state_dict();
      std::vector<Tensor<T>> resumed;
      for (auto& p : first) resumed.push_back(copy_of(p).requires_grad_());
      c.run(*opt_first, first, saved_at, Case::kSteps);  // the saved copies must not change

      auto opt_resumed = make_optimizer<T>(config, resumed);
      opt_resumed->load_state_dict(saved);
      CHECK(opt_resumed->step_count() == saved_at);
      c.run(*opt_resumed, resumed, saved_at, Case::kSteps);
      for (int j = 0; j < 2; ++j) {
        CHECK(bitwise_equal(first[j], straight[j]));
        CHECK(bitwise_equal(resumed[j], straight[j]));
      }
      // The whole state agrees too, names and values.
      auto a = opt_straight->state_dict(), b = opt_resumed->state_dict();
      REQUIRE(a.size() == b.size());
      for (std::size_t k = 0; k < a.size(); ++k) {
        CHECK(a[k].first == b[k].first);
        CHECK(bitwise_equal(a[k].second, b[k].second));
      }
    }
  }
}

TEST_CASE("state_dict names the buffers as PyTorch does", "[optim][state_dict]") {
  Case c("adam_skip");
  auto params = c.fresh_params<double>();
  optim::Adam<double> adam(params, {1e-2});
  CHECK(entry_names(adam.state_dict()) == std::vector<std::string>{"step", "lr"});
  c.run(adam, params, 0, 3);  // parameter 1 is first updated at step 3
  CHECK(entry_names(adam.state_dict()) == std::vector<std::string>{"step", "lr", "0.exp_avg", "0.exp_avg_sq",
                                                                   "0.step", "1.exp_avg", "1.exp_avg_sq", "1.step"});
  auto sd = adam.state_dict();
  CHECK(sd[0].second.to_vector() == std::vector<double>{3});
  CHECK(sd[1].second.to_vector() == std::vector<double>{1e-2});
  CHECK(sd[4].second.to_vector() == std::vector<double>{3});
  CHECK(sd[7].second.to_vector() == std::vector<double>{1});  // its own count
  CHECK(sd[2].second.shape() == Shape{3, 4});
  CHECK(sd[5].second.shape() == Shape{4});

  Case all("adam");  // every parameter has a gradient at every step
  auto p = all.fresh_params<double>();
  optim::SGD<double> momentum(p, {0.1, 0.9});
  optim::Adadelta<double> adadelta(p);
  optim::SGD<double> plain(p, {0.1});
  all.run(momentum, p, 0, 1);
  all.run(adadelta, p, 0, 1);
  all.run(plain, p, 0, 1);
  CHECK(entry_names(momentum.state_dict()) ==
        std::vector<std::string>{"step", "lr", "0.momentum_buffer", "1.momentum_buffer"});
  CHECK(entry_names(adadelta.state_dict()) ==
        std::vector<std::string>{"step", "lr", "0.square_avg", "0.acc_delta", "1.square_avg", "1.acc_delta"});
  CHECK(entry_names(plain.state_dict()) == std::vector<std::string>{"step", "lr"});
}

TEST_CASE("load_state_dict validates names, counts and shapes", "[optim][state_dict][errors]") {
  Case c("adam");
  auto params = c.fresh_params<double>();
  optim::Adam<double> adam(params, {1e-2});
  c.run(adam, params, 0, 2);
  const auto good = adam.state_dict();
  using StateDict = optim::Optimizer<double>::StateDict;
  auto without = [&](const std::string& name) {
    StateDict out;
    for (auto& e : good)
      if (e.first != name) out.push_back(e);
    return out;
  };
  auto with = [&](const std::string& name, Tensor<double> t) {
    StateDict out = without(name);
    out.emplace_back(name, t);
    return out;
  };
  auto load = [&](const StateDict& sd) { adam.load_state_dict(sd); };
  const std::string op = "Adam::load_state_dict: ";

  CHECK_THROWS_WITH(load(without("lr")), Equals(op + "missing entry 'lr'"));
  CHECK_THROWS_WITH(load(without("step")), Equals(op + "missing entry 'step'"));
  CHECK_THROWS_AS(load(without("1.exp_avg_sq")), ember::ValueError);
  CHECK_THROWS_WITH(load(without("1.exp_avg_sq")),
                    Equals(op + "parameter 1 has 2 of its 3 state entries: missing '1.exp_avg_sq'"));
  CHECK_THROWS_WITH(load(without("0.step")), Equals(op + "parameter 0 has 2 of its 3 state entries: missing '0.step'"));
  CHECK_THROWS_AS(load(with("0.exp_avg", ember::zeros<double>({4}))), ember::ShapeError);
  CHECK_THROWS_WITH(load(with("0.exp_avg", ember::zeros<double>({4}))),
                    Equals(op + "entry '0.exp_avg': expected shape [3, 4] (parameter 0), got [4]"));
  CHECK_THROWS_WITH(load(with("0.momentum_buffer", ember::zeros<double>({3, 4}))),
                    Equals(op + "unknown entry '0.momentum_buffer' (expected 'step', 'lr' or '<parameter index>.<buffer>'"
                                " with buffer exp_avg, exp_avg_sq or step)"));
  CHECK_THROWS_WITH(load(with("weight", ember::zeros<double>({1}))),
                    Equals(op + "unknown entry 'weight' (expected 'step', 'lr' or '<parameter index>.<buffer>'"
                                " with buffer exp_avg, exp_avg_sq or step)"));
  CHECK_THROWS_WITH(load(with("2.exp_avg", ember::zeros<double>({3, 4}))),
                    Equals(op + "entry '2.exp_avg' refers to parameter 2, but the optimizer has 2 parameters"));
  StateDict twice = good;
  twice.push_back(good[2]);
  CHECK_THROWS_WITH(load(twice), Equals(op + "entry '0.exp_avg' appears more than once"));
  CHECK_THROWS_WITH(load(with("step", ember::full<double>({1}, 2.5))),
                    Equals(op + "entry 'step': expected a whole number >= 0, got 2.5"));
  CHECK_THROWS_WITH(load(with("1.step", ember::zeros<double>({1}))),
                    Equals(op + "entry '1.step': expected a whole number >= 1, got 0"));
  CHECK_THROWS_AS(load(with("lr", ember::zeros<double>({2}))), ember::ShapeError);
  CHECK_THROWS_WITH(load(with("lr", ember::zeros<double>({2}))),
                    Equals(op + "entry 'lr': expected one element, got shape [2]"));
  CHECK_THROWS_WITH(load(with("lr", ember::full<double>({1}, -1))),
                    Equals(op + "entry 'lr': expected lr >= 0, got -1"));
  CHECK_THROWS_WITH(load(with("0.exp_avg", Tensor<double>())), Equals(op + "entry '0.exp_avg' is an undefined tensor"));

  // None of the failed loads changed anything.
  auto now = adam.state_dict();
  REQUIRE(now.size() == good.size());
  for (std::size_t k = 0; k < now.size(); ++k) CHECK(bitwise_equal(now[k].second, good[k].second));
  CHECK(adam.step_count() == 2);
}

TEST_CASE("loading a dict without a parameter's entries drops its state", "[optim][state_dict]") {
  Case c("sgd_momentum_skip");
  auto params = c.fresh_params<double>();
  optim::SGD<double> opt(params, {0.1, 0.9});
  c.run(opt, params, 0, 4);  // both parameters have momentum
  auto fresh_params = c.fresh_params<double>();
  optim::SGD<double> fresh(fresh_params, {0.1, 0.9});
  c.run(fresh, fresh_params, 0, 1);  // only parameter 0 has momentum
  opt.load_state_dict(fresh.state_dict());
  CHECK(entry_names(opt.state_dict()) == std::vector<std::string>{"step", "lr", "0.momentum_buffer"});

  optim::SGD<double> plain(params, {0.1});
  CHECK_THROWS_WITH(plain.load_state_dict(opt.state_dict()),
                    Equals("SGD::load_state_dict: unknown entry '0.momentum_buffer' (expected 'step' or 'lr': SGD with "
                           "these options keeps no buffers)"));
}

// ---- schedulers ---------------------------------------------------------------------------

namespace {

struct ScheduleCase {
  std::string name;
  std::function<std::unique_ptr<optim::LRScheduler<float>>(optim::Optimizer<float>&)> make;
};

std::vector<ScheduleCase> schedule_cases() {
  return {{"step_lr", [](auto& o) { return std::make_unique<optim::StepLR<float>>(o, 7, 0.7); }},
          {"cosine_annealing", [](auto& o) { return std::make_unique<optim::CosineAnnealingLR<float>>(o, 10, 0.01); }},
          {"one_cycle", [](auto& o) {
             // the fixture's SGD has no momentum: PyTorch's cycle_momentum=False, as here
             return std::make_unique<optim::OneCycleLR<float>>(o, 0.1, 30, 0.3, 25, 1e4, false);
           }}};
}

}  // namespace

TEST_CASE("schedulers match torch.optim.lr_scheduler", "[optim][scheduler][pytorch]") {
  for (const auto& sc : schedule_cases()) {
    auto expected = fixture("schedulers/" + sc.name).data;
    REQUIRE(expected.size() == 30);
    auto p = ember::zeros<float>({1}).requires_grad_();
    optim::SGD<float> opt({p}, {0.1});
    auto sched = sc.make(opt);
    for (int e = 0; e < 30; ++e) {
      INFO(sc.name << ", epoch " << e);
      CHECK(sched->last_epoch() == e);
      CHECK(std::abs(opt.lr() - expected[static_cast<std::size_t>(e)]) <= 1e-12 * expected[static_cast<std::size_t>(e)]);
      CHECK(sched->last_lr() == opt.lr());
      CHECK(sched->lr_at(e) == opt.lr());
      sched->step();
    }
  }
}

TEST_CASE("set_last_epoch resumes a schedule exactly", "[optim][scheduler]") {
  for (const auto& sc : schedule_cases()) {
    auto p = ember::zeros<float>({1}).requires_grad_();
    optim::SGD<float> opt({p}, {0.1});
    auto sched = sc.make(opt);
    std::vector<double> lrs;
    for (int e = 0; e < 30; ++e, sched->step()) lrs.push_back(opt.lr());
    for (int resume_at : {0, 1, 7, 12, 29}) {
      INFO(sc.name << ", resumed at " << resume_at);
      optim::SGD<float> opt2({p}, {0.1});
      auto sched2 = sc.make(opt2);
      opt2.set_lr(0.5);  // e.g. a loaded state_dict's lr: the schedule overrides it
      sched2->set_last_epoch(resume_at);
      CHECK(sched2->last_epoch() == resume_at);
      for (int e = resume_at; e < 30; ++e, sched2->step()) CHECK(opt2.lr() == lrs[static_cast<std::size_t>(e)]);
    }
  }
}

TEST_CASE("schedulers validate their settings and epochs", "[optim][scheduler][errors]") {
  auto p = ember::zeros<float>({1}).requires_grad_();
  optim::SGD<float> opt({p}, {0.1});
  CHECK_THROWS_WITH(optim::StepLR<float>(opt, 0), Equals("StepLR: expected step_size >= 1, got 0"));
  CHECK_THROWS_WITH(optim::StepLR<float>(opt, 1, -0.5), Equals("StepLR: expected a finite gamma >= 0, got -0.5"));
  CHECK_THROWS_WITH(optim::CosineAnnealingLR<float>(opt, 0), Equals("CosineAnnealingLR: expected T_max >= 1, got 0"));
  CHECK_THROWS_WITH(optim::CosineAnnealingLR<float>(opt, 5, -1),
                    Equals("CosineAnnealingLR: expected a finite eta_min >= 0, got -1"));
  CHECK_THROWS_WITH(optim::OneCycleLR<float>(opt, 0.1, 0), Equals("OneCycleLR: expected total_steps >= 1, got 0"));
  CHECK_THROWS_WITH(optim::OneCycleLR<float>(opt, 0.1, 10, 1.5),
                    Equals("OneCycleLR: expected 0 <= pct_start <= 1, got 1.5"));
  CHECK_THROWS_WITH(optim::OneCycleLR<float>(opt, -0.1, 10), Equals("OneCycleLR: expected a finite max_lr >= 0, got -0.1"));
  CHECK_THROWS_WITH(optim::OneCycleLR<float>(opt, 0.1, 10, 0.3, 0),
                    Equals("OneCycleLR: expected a finite div_factor > 0, got 0"));

  optim::StepLR<float> step(opt, 2, 0.5);
  CHECK_THROWS_WITH(step.set_last_epoch(-1), Equals("StepLR: expected last_epoch >= 0, got -1"));
  CHECK(step.last_epoch() == 0);

  // PyTorch allows stepping to last_epoch == total_steps and raises after that.
  optim::OneCycleLR<float> cycle(opt, 0.1, 30, 0.3, 25, 1e4, false);
  for (int i = 0; i < 30; ++i) cycle.step();
  CHECK(cycle.last_epoch() == 30);
  const double lr = opt.lr();
  CHECK_THROWS_WITH(cycle.step(), Equals("OneCycleLR: expected last_epoch <= total_steps = 30, got 31"));
  CHECK(cycle.last_epoch() == 30);
  CHECK(opt.lr() == lr);
}

TEST_CASE("OneCycleLR cycles SGD's momentum and Adam's beta1 as torch.optim.lr_scheduler", "[optim][scheduler][pytorch]") {
  auto p = ember::zeros<double>({1}).requires_grad_();
  optim::SGD<double> sgd({p}, {0.1, 0.9});
  optim::Adam<double> adam({p}, {0.1});
  optim::OneCycleLR sgd_cycle(sgd, 0.1, 30), adam_cycle(adam, 0.1, 30);
  const auto sgd_expected = fixture("schedulers/one_cycle_momentum").data;
  const auto adam_expected = fixture("schedulers/one_cycle_beta1").data;
  REQUIRE(sgd_expected.size() == 30);
  REQUIRE(adam_expected.size() == 30);
  for (std::size_t e = 0; e < 30; ++e) {
    INFO("epoch " << e);
    CHECK(std::abs(sgd.momentum() - sgd_expected[e]) <= 1e-15);
    CHECK(std::abs(adam.options().beta1 - adam_expected[e]) <= 1e-15);
    CHECK(sgd_cycle.momentum_at(static_cast<int>(e)) == sgd.momentum());
    sgd_cycle.step();
    adam_cycle.step();
  }
  CHECK(sgd.options().momentum == sgd.momentum());
}

TEMPLATE_TEST_CASE("SGD and AdamW under OneCycleLR match torch.optim step by step", "[optim][scheduler][pytorch]",
                   float, double) {
  using T = TestType;
  for (const std::string config : {"sgd_one_cycle", "adamw_one_cycle"}) {
    Case c(config);
    auto params = c.template fresh_params<T>();
    std::unique_ptr<optim::Optimizer<T>> opt;
    if (config == "sgd_one_cycle") opt = std::make_unique<optim::SGD<T>>(params, optim::SGDOptions{0.1, 0.9});
    else opt = std::make_unique<optim::AdamW<T>>(params, optim::AdamWOptions{1e-2, 0.9, 0.999, 1e-8, 0.1});
    optim::OneCycleLR<T> cycle(*opt, config == "sgd_one_cycle" ? 0.1 : 1e-2, Case::kSteps);
    for (int s = 0; s < Case::kSteps; ++s) {
      c.set_grads(params, s);
      opt->step();
      cycle.step();
      for (int j = 0; j < 2; ++j) {
        INFO(config << ", step " << s + 1 << ", parameter " << j);
        CHECK(relative_mismatch(params[j], row<double>(c.steps[j], s), rtol<T>()) == "");
      }
    }
  }
}

TEST_CASE("OneCycleLR's momentum cycling: optimizers without momentum, ranges, resuming", "[optim][scheduler][errors]") {
  auto p = ember::zeros<double>({1}).requires_grad_();
  optim::Adadelta<double> adadelta({p}, {1.0});
  CHECK_FALSE(adadelta.has_momentum());
  CHECK_THROWS_WITH(optim::OneCycleLR(adadelta, 1.0, 10),
                    Equals("OneCycleLR: Adadelta has no momentum to cycle: pass cycle_momentum = false (or build SGD "
                           "with momentum > 0)"));
  CHECK_THROWS_WITH(adadelta.set_momentum(0.9),
                    Equals("Adadelta: no momentum term (Adadelta has none; SGD has one only when built with momentum "
                           "> 0)"));
  optim::OneCycleLR without(adadelta, 1.0, 10, 0.3, 25, 1e4, false);
  CHECK(adadelta.lr() == Approx(1.0 / 25).epsilon(1e-15));

  optim::SGD<double> plain({p}, {0.1});
  CHECK_FALSE(plain.has_momentum());
  CHECK(plain.momentum() == 0);
  CHECK_THROWS_WITH(optim::OneCycleLR(plain, 0.1, 10),
                    Equals("OneCycleLR: SGD has no momentum to cycle: pass cycle_momentum = false (or build SGD with "
                           "momentum > 0)"));

  // Both ends are checked against the optimizer's range before anything changes.
  optim::Adam<double> adam({p}, {0.1});
  CHECK_THROWS_WITH(optim::OneCycleLR(adam, 0.1, 10, 0.3, 25, 1e4, true, 0.85, 1.0),
                    Equals("Adam: expected 0 <= beta1 < 1, got 1"));
  CHECK(adam.options().beta1 == 0.9);
  CHECK(adam.lr() == 0.1);
  optim::SGD<double> sgd({p}, {0.1, 0.9});
  CHECK_THROWS_WITH(optim::OneCycleLR(sgd, 0.1, 10, 0.3, 25, 1e4, true, 0.0, 0.95),
                    Equals("SGD: expected a finite momentum > 0 (SGD was built with momentum), got 0"));

  // set_last_epoch restores the momentum too (it is not in the optimizer's state_dict).
  optim::OneCycleLR cycle(adam, 0.1, 10);
  std::vector<double> betas;
  for (int e = 0; e < 10; ++e, cycle.step()) betas.push_back(adam.options().beta1);
  optim::Adam<double> resumed({p}, {0.1});
  optim::OneCycleLR resumed_cycle(resumed, 0.1, 10);
  resumed.set_momentum(0.5);  // e.g. a fresh optimizer: the schedule overrides it
  resumed_cycle.set_last_epoch(6);
  CHECK(resumed.options().beta1 == betas[6]);
  CHECK(betas.front() == 0.95);
  CHECK(*std::min_element(betas.begin(), betas.end()) == Approx(0.85).epsilon(1e-3));
}

TEST_CASE("OneCycleLR starts at max_lr / div_factor and ends at its minimum", "[optim][scheduler]") {
  auto p = ember::zeros<double>({1}).requires_grad_();
  optim::Adam<double> opt({p}, {0.5});
  optim::OneCycleLR cycle(opt, 0.1, 30);  // CTAD: OneCycleLR<double>
  CHECK(opt.lr() == Approx(0.1 / 25).epsilon(1e-15));  // computed by the cosine, as PyTorch
  CHECK(cycle.base_lr() == 0.1 / 25);
  cycle.set_last_epoch(29);
  CHECK(opt.lr() == Approx(0.1 / 25 / 1e4).epsilon(1e-12));
}

TEST_CASE("an optimizer and its scheduler resume from a checkpoint bit for bit", "[optim][scheduler][state_dict]") {
  // The training-loop pattern: per step, then per "epoch" of 2 steps, for 10 steps; saved after 6.
  Case c("sgd_momentum_wd");
  auto grads_at = [&](std::vector<Tensor<float>>& params, int s) { c.set_grads(params, s % Case::kSteps); };
  auto train = [&](optim::Optimizer<float>& opt, optim::LRScheduler<float>& sched, std::vector<Tensor<float>>& params,
                   int from, int to) {
    for (int s = from; s < to; ++s) {
      grads_at(params, s);
      opt.step();
      if (s % 2 == 1) sched.step();
    }
  };
  auto straight = c.fresh_params<float>();
  optim::SGD<float> opt_a(straight, {0.1, 0.9, 0, 1e-4});
  optim::StepLR<float> sched_a(opt_a, 2, 0.7);
  train(opt_a, sched_a, straight, 0, 10);

  auto first = c.fresh_params<float>();
  optim::SGD<float> opt_b(first, {0.1, 0.9, 0, 1e-4});
  optim::StepLR<float> sched_b(opt_b, 2, 0.7);
  train(opt_b, sched_b, first, 0, 6);
  const auto saved = opt_b.state_dict();
  const int saved_epoch = sched_b.last_epoch();

  std::vector<Tensor<float>> resumed;
  for (auto& p : first) resumed.push_back(copy_of(p).requires_grad_());
  optim::SGD<float> opt_c(resumed, {0.1, 0.9, 0, 1e-4});
  optim::StepLR<float> sched_c(opt_c, 2, 0.7);  // built before loading, as in PyTorch
  opt_c.load_state_dict(saved);
  sched_c.set_last_epoch(saved_epoch);
  train(opt_c, sched_c, resumed, 6, 10);
  for (int j = 0; j < 2; ++j) CHECK(bitwise_equal(resumed[j], straight[j]));
  CHECK(opt_c.lr() == opt_a.lr());
}

// ---- gradient clipping -----------------------------------------------------------------

TEMPLATE_TEST_CASE("clip_grad_norm matches torch.nn.utils.clip_grad_norm_", "[optim][clip][pytorch]", float, double) {
  using T = TestType;
  auto grad0 = fixture("clip/grad0"), grad1 = fixture("clip/grad1");
  auto max_norm = fixture("clip/max_norm").data, total = fixture("clip/total_norm").data;
  auto clipped0 = fixture("clip/clipped0"), clipped1 = fixture("clip/clipped1");
  for (std::size_t k = 0; k < max_norm.size(); ++k) {
    INFO("max_norm " << max_norm[k]);
    std::vector<Tensor<T>> params{ember::zeros<T>({3, 4}).requires_grad_(), ember::zeros<T>({4}).requires_grad_(),
                                  ember::zeros<T>({2}).requires_grad_()};  // the last has no gradient
    params[0].set_grad(whole<T>(grad0));
    params[1].set_grad(whole<T>(grad1));
    const double norm = optim::clip_grad_norm(params, max_norm[k]);
    CHECK(std::abs(norm - total[k]) <= rtol<T>() * total[k]);
    CHECK(relative_mismatch(params[0].grad(), row<double>(clipped0, static_cast<std::int64_t>(k)), rtol<T>()) == "");
    CHECK(relative_mismatch(params[1].grad(), row<double>(clipped1, static_cast<std::int64_t>(k)), rtol<T>()) == "");
    CHECK_FALSE(params[2].grad().defined());
  }
}

TEST_CASE("clip_grad_norm edge cases", "[optim][clip]") {
  std::vector<Tensor<double>> params{ember::zeros<double>({2}).requires_grad_()};
  CHECK(optim::clip_grad_norm(params, 1.0) == 0.0);  // no gradients at all
  params[0].set_grad(ember::from_vector<double>({3, 4}));
  CHECK_THROWS_WITH(optim::clip_grad_norm(params, -1.0), Equals("clip_grad_norm: expected max_norm >= 0, got -1"));
  CHECK(optim::clip_grad_norm(params, 5.0) == 5.0);  // within 1e-6 of the limit: scaled by 5 / (5 + 1e-6)
  CHECK(params[0].grad().to_vector()[0] == Approx(3 * 5 / (5 + 1e-6)).epsilon(1e-15));
  params[0].set_grad(ember::from_vector<double>({3, 4}));
  CHECK(optim::clip_grad_norm(params, 6.0) == 5.0);
  CHECK(params[0].grad().to_vector() == std::vector<double>{3, 4});
}

// ---- training -----------------------------------------------------------------------------

TEST_CASE("SGD with momentum fits a linear model", "[optim][training]") {
  ember::Generator gen(11);
  const auto x = ember::randn<double>({64, 3}, gen);
  const auto true_w = ember::from_vector<double>({1.5, -2.0, 0.5}, {3, 1});
  const auto y = ember::matmul(x, true_w) + 0.3 + ember::randn<double>({64, 1}, gen) * 0.01;
  ember::nn::Linear<double> model(3, 1, true, gen);
  optim::SGD<double> opt(model.parameters(), {0.05, 0.9});
  double first_loss = 0, loss_value = 0;
  for (int step = 0; step < 100; ++step) {
    opt.zero_grad();
    auto loss = ember::mse_loss(model(x), y);
    loss.backward();
    opt.step();
    loss_value = loss.item();
    if (step == 0) first_loss = loss_value;
  }
  INFO("loss " << first_loss << " -> " << loss_value);
  CHECK(loss_value < 1e-3 * first_loss);
  CHECK(loss_value < 1e-3);  // the noise floor is 1e-4
  CHECK(model.bias.item() == Approx(0.3).margin(0.01));
}
