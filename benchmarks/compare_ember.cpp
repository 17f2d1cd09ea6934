// ember's half of benchmarks/compare_pytorch.py, in two phases, each its own process so that
// the caller can measure the peak RSS of a training run on its own:
//
//   compare_ember --phase train --data data/mnist --epochs 1 --threads 2 --model M [--train-images N]
//       trains the reference CNN with PyTorch's example recipe (Adadelta lr 1.0, StepLR gamma
//       0.7 per epoch, batch 64, shuffled, data in memory), tests it (batches of 100), saves it
//       to M. Timed: the training loop only (batches, forward, backward, step).
//   compare_ember --phase infer --data data/mnist --threads 2 --model M
//       inference throughput at batch 1000 over the test images, and median batch-1 latency.
//
// --precision float32|bf16 (default float32): bf16 runs the training loop, the test pass and
// the inference under ember::PrecisionGuard(bf16), as PyTorch's side runs under
// torch.autocast("cpu", dtype=torch.bfloat16): the conv/linear GEMMs in bf16, the rest float32.
//
// Each prints one JSON object (with the precision it ran in).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/data.hpp>

#include "mnist/model.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Options {
  std::string data = "data/mnist", phase = "train", model;
  long epochs = 1, threads = 2, train_images = 0, seed = 1, batch = 64;
  ember::Precision precision = ember::Precision::float32;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("option " + flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--data") o.data = value;
    else if (flag == "--epochs") o.epochs = std::stol(value);
    else if (flag == "--threads") o.threads = std::stol(value);
    else if (flag == "--train-images") o.train_images = std::stol(value);
    else if (flag == "--seed") o.seed = std::stol(value);
    else if (flag == "--batch-size") o.batch = std::stol(value);
    else if (flag == "--phase") o.phase = value;
    else if (flag == "--model") o.model = value;
    else if (flag == "--precision") o.precision = ember::parse_precision(value, "compare_ember");
    else throw std::invalid_argument("unknown option " + flag);
  }
  if (o.epochs < 1 || o.threads < 1 || o.batch < 1) throw std::invalid_argument("epochs, threads, batch must be >= 1");
  if (o.phase != "train" && o.phase != "infer") throw std::invalid_argument("--phase must be train or infer");
  if (o.model.empty()) throw std::invalid_argument("--model FILE is required");
  return o;
}

double test_accuracy(mnist::Net<float>& net, const ember::data::Dataset& test) {
  ember::Generator unused(0);
  ember::data::DataLoaderOptions options;
  options.batch_size = 100;  // small: the peak RSS measured is the training run's
  options.shuffle = false;
  ember::data::DataLoader loader(test, options, unused);
  loader.start_epoch();
  ember::NoGradGuard no_grad;
  long correct = 0;
  for (ember::index_t b = 0; b < loader.num_batches(); ++b) {
    auto batch = loader.batch(b);
    auto predicted = net(batch.images).argmax(1);
    for (ember::index_t i = 0; i < batch.labels.numel(); ++i) correct += predicted.data()[i] == batch.labels.data()[i];
  }
  return static_cast<double>(correct) / static_cast<double>(test.size());
}

// Images per second of forward passes at batch 1000 over the test images: the median of 5 passes.
double inference_rate(mnist::Net<float>& net, const ember::data::Dataset& test) {
  ember::Generator unused(0);
  ember::data::DataLoaderOptions options;
  options.batch_size = 1000;
  options.shuffle = false;
  ember::data::DataLoader loader(test, options, unused);
  loader.start_epoch();
  std::vector<ember::Tensor<float>> batches;
  for (ember::index_t b = 0; b < loader.num_batches(); ++b) batches.push_back(loader.batch(b).images);
  ember::NoGradGuard no_grad;
  for (auto& x : batches) net(x);  // warm-up: workspaces
  std::vector<double> rates;
  for (int pass = 0; pass < 5; ++pass) {
    const auto start = Clock::now();
    for (auto& x : batches) net(x);
    rates.push_back(static_cast<double>(test.size()) / seconds_since(start));
  }
  return median(rates);
}

// Median latency of a single-image forward pass, in microseconds.
double batch1_latency_us(mnist::Net<float>& net, const ember::data::Dataset& test) {
  ember::Generator unused(0);
  ember::data::DataLoaderOptions options;
  options.batch_size = 1;
  options.shuffle = false;
  ember::data::DataLoader loader(test, options, unused);
  loader.start_epoch();
  ember::NoGradGuard no_grad;
  std::vector<double> us;
  for (ember::index_t i = 0; i < 300; ++i) {
    auto x = loader.batch(i % loader.num_batches()).images;
    const auto start = Clock::now();
    auto logits = net(x);
    us.push_back(1e6 * seconds_since(start));
  }
  us.erase(us.begin(), us.begin() + 20);  // warm-up
  return median(us);
}

int train_phase(const Options& o) {
  ember::data::Dataset train = ember::data::load_mnist(o.data, ember::data::Split::Train);
  const ember::data::Dataset test = ember::data::load_mnist(o.data, ember::data::Split::Test);
  if (o.train_images > 0 && o.train_images < train.size()) {
    std::vector<ember::index_t> first(static_cast<std::size_t>(o.train_images));
    for (std::size_t i = 0; i < first.size(); ++i) first[i] = static_cast<ember::index_t>(i);
    train = train.subset(first);
  }
  ember::Generator model_gen(static_cast<std::uint64_t>(o.seed)), data_gen(static_cast<std::uint64_t>(o.seed) + 1);
  mnist::Net<float> net(model_gen);
  ember::optim::Adadelta<float> optimizer(net.parameters(), ember::optim::AdadeltaOptions{1.0, 0.9, 1e-6, 0.0});
  ember::optim::StepLR<float> scheduler(optimizer, 1, 0.7);
  ember::data::DataLoaderOptions options;
  options.batch_size = o.batch;
  ember::data::DataLoader loader(train, options, data_gen);

  ember::PrecisionGuard precision(o.precision);  // the training loop and the test pass
  double train_seconds = 0;
  for (long epoch = 0; epoch < o.epochs; ++epoch) {
    net.train();
    loader.start_epoch();
    const auto start = Clock::now();
    for (ember::index_t b = 0; b < loader.num_batches(); ++b) {
      auto batch = loader.batch(b);
      auto loss = ember::cross_entropy(net(batch.images), batch.labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
    train_seconds += seconds_since(start);
    scheduler.step();
  }
  net.eval();
  const double accuracy = test_accuracy(net, test);
  ember::io::save_model(net, o.model, "mnist-reference");
  std::printf(
      "{\"framework\": \"ember\", \"precision\": \"%s\", \"threads\": %ld, \"epochs\": %ld, \"train_images\": %lld, "
      "\"train_seconds\": %.4f, \"train_images_per_s\": %.2f, \"test_accuracy\": %.6f}\n",
      ember::to_string(o.precision), o.threads, o.epochs, static_cast<long long>(train.size()), train_seconds,
      static_cast<double>(train.size() * o.epochs) / train_seconds, accuracy);
  return 0;
}

int infer_phase(const Options& o) {
  const ember::data::Dataset test = ember::data::load_mnist(o.data, ember::data::Split::Test);
  mnist::Net<float> net;
  ember::io::load_model(net, o.model, "mnist-reference");
  net.eval();
  ember::PrecisionGuard precision(o.precision);
  const double rate = inference_rate(net, test);
  const double latency = batch1_latency_us(net, test);
  std::printf(
      "{\"framework\": \"ember\", \"precision\": \"%s\", \"threads\": %ld, \"inference_images_per_s\": %.2f, "
      "\"latency_us\": %.2f}\n",
      ember::to_string(o.precision), o.threads, rate, latency);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    ember::set_num_threads(static_cast<int>(o.threads));
    return o.phase == "train" ? train_phase(o) : infer_phase(o);
  } catch (const std::exception& e) {
    std::cerr << "compare_ember: " << e.what() << "\n";
    return 1;
  }
}
