// Writes the seed corpora of the fuzz targets from real files: IDX files cut from the
// committed MNIST sample (raw and gzip), model files and checkpoints of fuzz::small_net as
// ember writes them, a sample digit as PNG (grey, RGB, RGBA), JPEG and BMP, and typical
// command lines of the mnist program.
//
//   make_seeds OUT_DIR MNIST_SAMPLE_DIR     (creates OUT_DIR/{idx,safetensors,checkpoint,image,cli})
#define EMBER_STB_IMPLEMENTATION
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <zlib.h>

#include "fuzz_support.hpp"

#include <ember/data.hpp>
#include <ember/viz.hpp>  // stb_image_write, whose implementation this unit compiles

namespace {

using Bytes = std::vector<std::uint8_t>;

void write(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("make_seeds: cannot write " + path);
}


Bytes gzip(const Bytes& raw) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // 15 + 16: gzip wrapper
  Bytes out(deflateBound(&z, static_cast<uLong>(raw.size())) + 32);
  z.next_in = const_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void be32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

// The first `count` items of an IDX file, with its header rewritten to say so.
Bytes idx_prefix(const ember::data::IdxArray& a, std::uint32_t count) {
  Bytes b{0, 0, 0x08, static_cast<std::uint8_t>(a.dims.size())};
  std::size_t item = 1;
  for (std::size_t d = 0; d < a.dims.size(); ++d) {
    be32(b, d == 0 ? count : static_cast<std::uint32_t>(a.dims[d]));
    if (d > 0) item *= static_cast<std::size_t>(a.dims[d]);
  }
  b.insert(b.end(), a.data.begin(), a.data.begin() + static_cast<std::ptrdiff_t>(count * item));
  return b;
}

void idx_seeds(const std::string& out, const std::string& sample) {
  const auto images = ember::data::read_idx(sample + "/t10k-images-idx3-ubyte.gz");
  const auto labels = ember::data::read_idx(sample + "/t10k-labels-idx1-ubyte.gz");
  const Bytes img3 = idx_prefix(images, 3), lab20 = idx_prefix(labels, 20);
  write(out + "/images3", img3);
  write(out + "/images3.gz", gzip(img3));
  write(out + "/labels20", lab20);
  write(out + "/labels20.gz", gzip(lab20));
  Bytes rank4{0, 0, 0x08, 4};
  for (std::uint32_t d : {2u, 1u, 3u, 3u}) be32(rank4, d);
  for (int i = 0; i < 18; ++i) rank4.push_back(static_cast<std::uint8_t>(i));
  write(out + "/rank4", rank4);
}

void model_seeds(const std::string& out) {
  auto net = fuzz::small_net();
  ember::io::save_model(net, out + "/small_net.safetensors", "fuzz::small_net");
  ember::io::save_model(net, out + "/small_net_extra.safetensors", "fuzz::small_net", {{"note", "a\"b\\u00e9"}});
  ember::nn::Sequential<double> doubles{std::make_shared<ember::nn::Linear<double>>(2, 2)};
  ember::io::save_model(doubles, out + "/doubles.safetensors", "doubles");
  auto labels = ember::Tensor<std::int64_t>::zeros(ember::Shape{3});
  for (ember::index_t i = 0; i < 3; ++i) labels.at(i) = i;
  ember::io::save_safetensors<std::int64_t>(out + "/int64.safetensors", {{"labels", labels}});
}

void checkpoint_seeds(const std::string& out) {
  auto net = fuzz::small_net();
  ember::Generator gen(3);
  auto x = ember::randn<float>({2, 1, 4, 4}, gen);
  auto step = [&](ember::optim::Optimizer<float>& opt) {  // one step, so that the state is not empty
    opt.zero_grad();
    net(x).sum().backward();
    opt.step();
  };
  ember::optim::SGD<float> sgd(net.parameters(), ember::optim::SGDOptions{0.1, 0.9});
  step(sgd);
  ember::io::save_checkpoint(out + "/sgd.safetensors", net, sgd.state_dict(), 2, gen.state(),
                             {{"history", "epoch,loss\n1,0.5\n"}}, "fuzz::small_net");
  ember::optim::Adam<float> adam(net.parameters());
  step(adam);
  ember::io::save_checkpoint(out + "/adam.safetensors", net, adam.state_dict(), 1, gen.state(), {},
                             "fuzz::small_net");
}

void image_seeds(const std::string& out, const std::string& sample) {
  const auto images = ember::data::read_idx(sample + "/t10k-images-idx3-ubyte.gz");
  std::vector<unsigned char> grey(images.data.begin(), images.data.begin() + 28 * 28), rgb, rgba;
  for (unsigned char v : grey) {
    const unsigned char ink = static_cast<unsigned char>(255 - v);  // dark ink on white paper
    rgb.insert(rgb.end(), {ink, ink, static_cast<unsigned char>(ink / 2)});
    rgba.insert(rgba.end(), {0, 0, 0, v});  // black ink, transparent paper
  }
  stbi_write_png((out + "/grey.png").c_str(), 28, 28, 1, grey.data(), 28);
  stbi_write_png((out + "/rgb.png").c_str(), 28, 28, 3, rgb.data(), 28 * 3);
  stbi_write_png((out + "/rgba.png").c_str(), 28, 28, 4, rgba.data(), 28 * 4);
  stbi_write_jpg((out + "/rgb.jpg").c_str(), 28, 28, 3, rgb.data(), 90);
  stbi_write_bmp((out + "/grey.bmp").c_str(), 28, 28, 1, grey.data());
}

void cli_seeds(const std::string& out) {
  const std::vector<std::vector<std::string>> lines = {
      {"train", "--epochs", "3", "--lr=0.5", "--optimizer", "sgd", "--momentum", "0.9", "--augment"},
      {"train", "--resume", "--seed", "2", "--val-size", "0", "--scheduler", "onecycle", "--threads=2"},
      {"evaluate", "--model", "runs/mnist/model.safetensors", "--limit", "100", "--batch-size", "500"},
      {"predict", "--json", "a.png", "b.jpg"},
      {"train", "--help"},
      {"--help"}};
  int n = 0;
  for (const auto& line : lines) {
    Bytes b;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (i) b.push_back(0);
      b.insert(b.end(), line[i].begin(), line[i].end());
    }
    write(out + "/line" + std::to_string(n++), b);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_seeds OUT_DIR MNIST_SAMPLE_DIR\n";
    return 2;
  }
  try {
    const std::string out = argv[1], sample = argv[2];
    for (const char* sub : {"idx", "safetensors", "checkpoint", "image", "cli"})
      std::filesystem::create_directories(out + "/" + sub);
    idx_seeds(out + "/idx", sample);
    model_seeds(out + "/safetensors");
    checkpoint_seeds(out + "/checkpoint");
    image_seeds(out + "/image", sample);
    cli_seeds(out + "/cli");
  } catch (const std::exception& e) {
    std::cerr << "make_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
