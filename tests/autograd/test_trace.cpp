// trace::Recording: which ops it sees (every recorded op, in grad mode or not), their inputs,
// scopes and settings, and what it leaves out (identity ops; everything when inactive).
#include <catch2/catch.hpp>

#include <ember/ember.hpp>

using ember::Shape;
using ember::Tensor;

namespace {

std::vector<std::string> names(const ember::trace::Recording<float>& r) {
  std::vector<std::string> out;
  for (const auto& op : r.ops()) out.push_back(op.name);
  return out;
}

bool same(const Tensor<float>& a, const Tensor<float>& b) { return a.impl_ptr() == b.impl_ptr(); }

}  // namespace

TEST_CASE("a recording sees each op once, in order, with its inputs and output", "[trace]") {
  ember::Generator gen(1);
  Tensor<float> x = ember::uniform<float>(Shape{2, 3}, -1, 1, gen), w = ember::uniform<float>(Shape{4, 3}, -1, 1, gen);
  ember::trace::Recording<float> recording;
  Tensor<float> h = ember::linear(x, w);
  Tensor<float> y = ember::softmax(ember::relu(h) * 2.0, 1);
  CHECK(names(recording) == std::vector<std::string>{"linear", "relu", "mul_scalar", "softmax"});
  const auto& ops = recording.ops();
  REQUIRE(ops[0].inputs.size() == 2);
  CHECK(same(ops[0].inputs[0], x));
  CHECK(same(ops[0].inputs[1], w));
  CHECK(same(ops[0].output, h));
  CHECK(same(ops[1].inputs[0], h));
  CHECK(same(ops[3].output, y));
  REQUIRE(ops[2].setting("scalar") != nullptr);
  CHECK(*ops[2].setting("scalar") == std::vector<double>{2.0});
  REQUIRE(ops[3].setting("dim") != nullptr);
  CHECK(*ops[3].setting("dim") == std::vector<double>{1.0});
  CHECK(ops[1].setting("dim") == nullptr);
}

TEST_CASE("ops are traced with or without grad mode, and graphs are still built", "[trace]") {
  Tensor<float> x = ember::ones<float>(Shape{2, 2});
  x.requires_grad_();
  ember::trace::Recording<float> recording;
  Tensor<float> y = ember::sum(x * x);
  CHECK(names(recording) == std::vector<std::string>{"mul", "sum"});
  y.backward();
  CHECK(x.grad().at(0, 0) == 2.0f);
  {
    ember::NoGradGuard no_grad;
    ember::exp(x);
  }
  CHECK(recording.ops().back().name == "exp");
}

TEST_CASE("ops that return their input leave no trace", "[trace]") {
  Tensor<float> x = ember::ones<float>(Shape{2, 3});
  ember::trace::Recording<float> recording;
  CHECK(same(ember::dropout(x, 0.5, false), x));
  CHECK(same(ember::contiguous(x), x));
  CHECK(recording.ops().empty());
  ember::contiguous(ember::transpose(x, 0, 1));  // a strided view: copied, and traced
  CHECK(names(recording) == std::vector<std::string>{"transpose", "contiguous"});
  CHECK(*recording.ops()[0].setting("dims") == std::vector<double>{0.0, 1.0});
}

TEST_CASE("nothing is traced without a recording, and recordings nest", "[trace]") {
  CHECK(ember::trace::active<float>() == nullptr);
  Tensor<float> x = ember::ones<float>(Shape{3});
  ember::trace::Recording<float> outer;
  ember::relu(x);
  {
    ember::trace::Recording<float> inner;
    CHECK(ember::trace::active<float>() == &inner);
    ember::neg(x);
    CHECK(names(inner) == std::vector<std::string>{"neg"});
  }
  CHECK(ember::trace::active<float>() == &outer);
  ember::exp(x);
  CHECK(names(outer) == std::vector<std::string>{"relu", "exp"});
  CHECK(ember::trace::active<double>() == nullptr);  // one recording per element type
}

TEST_CASE("traced ops carry the scope of the labelled module and their settings", "[trace]") {
  ember::Generator gen(2);
  ember::nn::Sequential<float> net;
  net.add(std::make_shared<ember::nn::Conv2d<float>>(1, 2, 3, ember::nn::Conv2dOptions{2, 1, 1, true}, gen));
  auto bn = net.add(std::make_shared<ember::nn::BatchNorm2d<float>>(2));
  net.add(std::make_shared<ember::nn::MaxPool2d<float>>(2));
  net.eval();
  ember::profiler::Profile profile;
  ember::nn::label_modules(profile, net);
  ember::trace::Recording<float> recording;
  net(ember::zeros<float>(Shape{1, 1, 8, 8}));
  const auto& ops = recording.ops();
  REQUIRE(names(recording) == std::vector<std::string>{"conv2d", "batch_norm", "max_pool2d"});
  CHECK(ops[0].scope == "0");
  CHECK(ops[1].scope == "1");
  CHECK(ops[2].scope == "2");
  CHECK(*ops[0].setting("stride") == std::vector<double>{2.0});
  CHECK(*ops[0].setting("padding") == std::vector<double>{1.0});
  CHECK(*ops[0].setting("dilation") == std::vector<double>{1.0});
  CHECK(*ops[1].setting("training") == std::vector<double>{0.0});
  CHECK(*ops[1].setting("eps") == std::vector<double>{1e-5});
  REQUIRE(ops[1].annotation.reads.size() == 2);  // the running statistics, read but not differentiated
  CHECK(same(ops[1].annotation.reads[0], bn->running_mean));
  CHECK(same(ops[1].annotation.reads[1], bn->running_var));
  CHECK(*ops[2].setting("kernel_size") == std::vector<double>{2.0});
  CHECK(*ops[2].setting("stride") == std::vector<double>{2.0});
}
