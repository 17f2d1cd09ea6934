// A program that uses every ember add-on: data (IDX files, a DataLoader), image (load_image,
// to_mnist, to_input), metrics (accuracy, confusion matrix), viz (a PNG grid, an SVG chart, the
// HTML report) and onnx (a traced module exported). Run with the MNIST sample folder as its
// argument; exit code 0 when all is well. This unit compiles stb's implementations (EMBER_STB_IMPLEMENTATION).
#define EMBER_STB_IMPLEMENTATION
#include <ember/ember.hpp>
#include <ember/data.hpp>
#include <ember/image.hpp>
#include <ember/metrics.hpp>
#include <ember/onnx.hpp>
#include <ember/viz.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace data = ember::data;

int fail(const std::string& why) {
  std::printf("FAIL: %s\n", why.c_str());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) return fail("usage: addons MNIST_SAMPLE_DIR");
  try {
    // data: the sample's test split through a DataLoader.
    const data::Dataset test = data::load_mnist(argv[1], data::Split::Test);
    ember::Generator gen(1);
    data::DataLoaderOptions options;
    options.batch_size = 8;
    options.shuffle = false;
    data::DataLoader loader(test, options, gen);
    loader.start_epoch();
    const data::Batch batch = loader.batch(0);
    if (!(batch.images.shape() == ember::Shape({8, 1, 28, 28}))) return fail("batch of the wrong shape");

    // viz: the first eight digits as a PNG grid, a chart, and a report holding both.
    std::vector<ember::viz::GridImage> grid;
    std::vector<std::int64_t> truth, guess;
    for (ember::index_t i = 0; i < 8; ++i) {
      const auto label = static_cast<int>(batch.labels.data()[i]);
      const std::uint8_t* pixels = test.image(i);  // batch 0 holds images 0..7: no shuffling
      grid.push_back({std::vector<std::uint8_t>(pixels, pixels + 28 * 28), label, label});
      truth.push_back(label);
      guess.push_back(i == 0 ? (label + 1) % 10 : label);  // one mistake
    }
    ember::viz::image_grid("consumer_grid.png", grid);
    const std::string chart = ember::viz::line_chart("loss", "epoch", "loss", {{"train", {1, 2, 3}, {0.9, 0.5, 0.3}}});
    ember::viz::Section section{"consumer"};
    section.add_svg(chart);
    ember::io::write_file_atomic("consumer_report.html", ember::viz::html_report("consumer", {section}));

    // metrics: seven of eight right.
    if (ember::metrics::accuracy(truth, guess) != 0.875) return fail("accuracy is not 7/8");
    const ember::metrics::ConfusionMatrix cm = ember::metrics::confusion_matrix(truth, guess, 10);
    if (cm.counts.size() != 100) return fail("confusion matrix of the wrong size");

    // onnx: a module traced (through the compiled library's ops in compiled mode) and exported,
    // and a one-node graph built by hand.
    ember::nn::Sequential<float> net{std::make_shared<ember::nn::Linear<float>>(4, 3, true, gen),
                                     std::make_shared<ember::nn::ReLU<float>>()};
    const ember::onnx::Model traced = ember::onnx::to_model(net, ember::zeros<float>(ember::Shape{2, 4}));
    if (traced.graph.nodes.size() != 2 || traced.graph.nodes[0].op_type != "Gemm" ||
        traced.graph.initializers.size() != 2 || traced.graph.initializers[0].name != "0.weight")
      return fail("the traced graph is not Gemm(0.weight, 0.bias), Relu");
    ember::onnx::export_module(net, ember::zeros<float>(ember::Shape{2, 4}), "consumer_traced.onnx");
    ember::onnx::Model model;
    model.graph.inputs = {{"input", {ember::onnx::Dimension::symbolic("batch"), 4}}};
    model.graph.nodes = {{"Relu", "relu", {"input"}, {"output"}, {}}};
    model.graph.outputs = {{"output", {ember::onnx::Dimension::symbolic("batch"), 4}}};
    ember::onnx::save(model, "consumer.onnx");
    if (ember::onnx::serialize(model).size() < 40) return fail("the ONNX file is too short");

    // image: the PNG grid read back, and turned into a model input.
    const data::GrayImage png = data::load_image("consumer_grid.png");
    const ember::Tensor<float> input = data::to_input(data::to_mnist(png));
    if (!(input.shape() == ember::Shape({1, 1, 28, 28}))) return fail("to_input gave the wrong shape");
    std::printf("ok: %lld test images, a %dx%d grid read back, accuracy %.3f\n",
                static_cast<long long>(test.size()), png.width, png.height, ember::metrics::accuracy(truth, guess));
    return 0;
  } catch (const ember::Error& e) {
    return fail(e.what());
  }
}
