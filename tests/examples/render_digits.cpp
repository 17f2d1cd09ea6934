// Renders MNIST test digits as the image files a user might feed `mnist predict`: the
// original 28x28 PNG, dark ink on a white, larger canvas, a small digit far off-centre on a
// wide RGB canvas, and a JPEG. Writes the files into OUT_DIR and prints "path label" lines.
//
// Usage: ember_render_digits MNIST_DIR OUT_DIR COUNT
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#define EMBER_STB_IMPLEMENTATION
#include <ember/ember.hpp>
#include <ember/data.hpp>
#include <ember/viz.hpp>  // stb_image_write, whose implementation this unit compiles

namespace {

// A canvas of `channels` bytes per pixel filled with `background`.
struct Canvas {
  int width, height, channels;
  std::vector<std::uint8_t> pixels;
  Canvas(int w, int h, int c, std::uint8_t background)
      : width(w), height(h), channels(c), pixels(static_cast<std::size_t>(w * h * c), background) {}

  // Pastes a 28x28 digit (255 = ink) upscaled by `scale` with its top-left at (x, y); ink is
  // drawn as `ink` blended over the background by the pixel's intensity.
  void paste(const std::uint8_t* digit, int x, int y, int scale, std::uint8_t ink) {
    for (int row = 0; row < 28 * scale; ++row)
      for (int col = 0; col < 28 * scale; ++col) {
        const double alpha = digit[(row / scale) * 28 + col / scale] / 255.0;
        for (int ch = 0; ch < channels; ++ch) {
          std::uint8_t& p = pixels[static_cast<std::size_t>(((y + row) * width + (x + col)) * channels + ch)];
          p = static_cast<std::uint8_t>(p + alpha * (ink - p) + 0.5);
        }
      }
  }
};

void write(const std::string& path, const Canvas& c) {
  const bool jpeg = path.size() > 4 && path.substr(path.size() - 4) == ".jpg";
  const int ok = jpeg ? stbi_write_jpg(path.c_str(), c.width, c.height, c.channels, c.pixels.data(), 95)
                      : stbi_write_png(path.c_str(), c.width, c.height, c.channels, c.pixels.data(), c.width * c.channels);
  if (!ok) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: ember_render_digits MNIST_DIR OUT_DIR COUNT\n";
    return 2;
  }
  try {
    const auto test = ember::data::load_mnist(argv[1], ember::data::Split::Test);
    const std::string out = argv[2];
    std::filesystem::create_directories(out);
    const int count = std::stoi(argv[3]);
    for (int i = 0; i < count; ++i) {
      const std::uint8_t* digit = test.image(i);
      const std::string stem = out + "/" + std::to_string(i) + "_";
      const auto label = test.label(i);

      Canvas original(28, 28, 1, 0);  // MNIST polarity: light ink on black
      original.paste(digit, 0, 0, 1, 255);
      Canvas inverted(120, 120, 1, 255);  // dark ink on paper, 3x larger, off-centre
      inverted.paste(digit, 10, 30, 3, 0);
      Canvas wide(300, 160, 3, 235);  // a small dark digit near a corner of a wide RGB page
      wide.paste(digit, 230, 8, 2, 20);
      Canvas photo(100, 100, 1, 250);  // JPEG artefacts
      photo.paste(digit, 30, 20, 2, 30);

      for (const auto& [name, canvas] : {std::pair<std::string, const Canvas&>{"original.png", original},
                                         {"inverted.png", inverted},
                                         {"wide.png", wide},
                                         {"photo.jpg", photo}}) {
        write(stem + name, canvas);
        std::cout << stem << name << " " << label << "\n";
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "ember_render_digits: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
