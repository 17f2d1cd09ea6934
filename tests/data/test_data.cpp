// The data pipeline: the IDX reader (raw and gzip) and its answers to bad files, MNIST loading,
// datasets and random splits, and the DataLoader's batches, order, normalisation and
// augmentation. Real data comes from the small MNIST sample in tests/data/mnist-sample
// (first 2000 training and 1000 test images); bad files are written to a temporary directory.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <ember/ember.hpp>
#include <ember/data/dataloader.hpp>
#include <ember/data/dataset.hpp>
#include <ember/data/idx.hpp>
#include <ember/data/mnist.hpp>
#include <ember/data/transforms.hpp>

#ifndef EMBER_TEST_DATA_DIR
#error "EMBER_TEST_DATA_DIR must name the tests/data directory"
#endif

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using ember::index_t;
using ember::data::Dataset;
using Bytes = std::vector<std::uint8_t>;

namespace {

const std::string kSample = std::string(EMBER_TEST_DATA_DIR) + "/mnist-sample";

// A fresh directory under /tmp, removed with everything in it at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char pattern[] = "/tmp/ember-test-data-XXXXXX";
    const char* made = mkdtemp(pattern);
    REQUIRE(made != nullptr);
    path = made;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path + "/" + name; }
};

void write_file(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Written through zlib's own gzip writer, so the tests do not depend on a gzip program.
void write_gzip(const std::string& path, const Bytes& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb6");
  REQUIRE(gz != nullptr);
  const int written = bytes.empty() ? 0 : gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  const int closed = gzclose(gz);
  REQUIRE(written == static_cast<int>(bytes.size()));
  REQUIRE(closed == Z_OK);
}

Bytes read_gzip(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  REQUIRE(gz != nullptr);
  Bytes out;
  std::uint8_t buffer[1 << 16];
  int got;
  while ((got = gzread(gz, buffer, sizeof buffer)) > 0) out.insert(out.end(), buffer, buffer + got);
  gzclose(gz);
  REQUIRE(got == 0);
  return out;
}

// An IDX file: magic 00 00 <type> <ndim>, big-endian dimensions, then `data`.
Bytes idx_bytes(const std::vector<std::uint32_t>& dims, const Bytes& data, std::uint8_t type = 0x08) {
  Bytes out{0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(d >> shift));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  ember::Generator gen(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(gen.next_u64() >> 56);
  return out;
}

// The message of the ErrorType that f throws, or a description of what happened instead
// (another exception type, e.g. std::bad_alloc, or none), so that CHECK_THAT shows it.
template <class ErrorType>
std::string error_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const ErrorType& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<wrong exception type> ") + e.what();
  }
  return "<no exception>";
}

std::string idx_error(const std::string& path) {
  return error_message<ember::FormatError>([&] { ember::data::read_idx(path); });
}

// Copies the sample's four .gz files into dir.
void copy_sample(const std::string& dir) {
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                           "t10k-labels-idx1-ubyte.gz"})
    fs::copy_file(kSample + "/" + name, dir + "/" + name);
}

const Dataset& train_sample() {
  static const Dataset ds = ember::data::load_mnist(kSample, ember::data::Split::Train);
  return ds;
}

std::vector<index_t> first_n(index_t n) {
  std::vector<index_t> indices(static_cast<std::size_t>(n));
  std::iota(indices.begin(), indices.end(), index_t(0));
  return indices;
}

ember::data::DataLoaderOptions loader_options(index_t batch_size, bool shuffle, bool augment = false) {
  ember::data::DataLoaderOptions o;
  o.batch_size = batch_size;
  o.shuffle = shuffle;
  o.augment = augment;
  return o;
}

// Pixel values back in [0, 1] from a normalised batch image.
std::vector<double> unnormalised(const ember::data::Batch& b, index_t k) {
  const index_t pixels = b.images.size(2) * b.images.size(3);
  std::vector<double> out(static_cast<std::size_t>(pixels));
  for (index_t i = 0; i < pixels; ++i)
    out[static_cast<std::size_t>(i)] =
        b.images.data()[k * pixels + i] * ember::data::kMnistStd + ember::data::kMnistMean;
  return out;
}

}  // namespace

// ---- IDX ----------------------------------------------------------------------------------

TEST_CASE("read_idx reads the MNIST sample, gzip and raw alike", "[data][idx]") {
  const std::string gz_path = kSample + "/train-images-idx3-ubyte.gz";
  ember::data::IdxArray images = ember::data::read_idx(gz_path);
  CHECK(images.dims == std::vector<index_t>{2000, 28, 28});
  REQUIRE(images.data.size() == 2000u * 28 * 28);
  // The first training image (a 5): its ink total and a few known pixels.
  long sum = 0;
  for (int i = 0; i < 784; ++i) sum += images.data[static_cast<std::size_t>(i)];
  CHECK(sum == 27525);
  CHECK(int(images.data[5 * 28 + 12]) == 3);
  CHECK(int(images.data[5 * 28 + 16]) == 126);
  CHECK(int(images.data[5 * 28 + 21]) == 255);
  CHECK(int(images.data[0]) == 0);

  ember::data::IdxArray labels = ember::data::read_idx(kSample + "/train-labels-idx1-ubyte.gz");
  CHECK(labels.dims == std::vector<index_t>{2000});
  CHECK(Bytes(labels.data.begin(), labels.data.begin() + 10) == Bytes{5, 0, 4, 1, 9, 2, 1, 3, 1, 4});
  ember::data::IdxArray test_labels = ember::data::read_idx(kSample + "/t10k-labels-idx1-ubyte.gz");
  CHECK(test_labels.dims == std::vector<index_t>{1000});
  CHECK(Bytes(test_labels.data.begin(), test_labels.data.begin() + 8) == Bytes{7, 2, 1, 0, 4, 1, 4, 9});

  // The same content decompressed to a raw file reads identically.
  TempDir tmp;
  write_file(tmp.file("train-images-idx3-ubyte"), read_gzip(gz_path));
  ember::data::IdxArray raw = ember::data::read_idx(tmp.file("train-images-idx3-ubyte"));
  CHECK(raw.dims == images.dims);
  CHECK(raw.data == images.data);
}

TEST_CASE("read_idx reads every rank from 1 to 4", "[data][idx]") {
  TempDir tmp;
  const std::vector<std::vector<std::uint32_t>> shapes{{5}, {2, 3}, {2, 3, 4}, {1, 2, 3, 2}};
  for (const auto& dims : shapes) {
    std::size_t n = 1;
    for (auto d : dims) n *= d;
    const Bytes data = random_bytes(n, n);
    write_file(tmp.file("a.idx"), idx_bytes(dims, data));
    ember::data::IdxArray a = ember::data::read_idx(tmp.file("a.idx"));
    CHECK(a.dims == std::vector<index_t>(dims.begin(), dims.end()));
    CHECK(a.data == data);
    CHECK(a.numel() == static_cast<index_t>(n));
  }
}

TEST_CASE("read_idx rejects bad files with a FormatError naming the file and the problem", "[data][idx][errors]") {
  TempDir tmp;
  const Bytes valid = idx_bytes({3, 2, 2}, random_bytes(12, 1));  // 16-byte header + 12 bytes of data
  auto cut = [&](std::size_t n) { return Bytes(valid.begin(), valid.begin() + static_cast<long>(n)); };
  Bytes trailing = valid;
  trailing.push_back(7);

  struct Case {
    std::string name;
    Bytes content;
    std::string problem;
  };
  // Each content is tried as a raw file and gzip-compressed: the answer must be the same.
  const std::vector<Case> cases{
      {"empty", {}, "empty file, expected an IDX file"},
      {"cut-at-1", cut(1), "truncated: expected a 4-byte magic number, got 1 bytes"},
      {"cut-at-3", cut(3), "truncated: expected a 4-byte magic number, got 3 bytes"},
      {"cut-in-dims", cut(9), "truncated header: expected 12 bytes for 3 dimensions, got 5"},
      {"cut-after-header", cut(16), "truncated: expected 12 bytes of data, got 0"},
      {"cut-in-data", cut(21), "truncated: expected 12 bytes of data, got 5"},
      {"cut-last-byte", cut(27), "truncated: expected 12 bytes of data, got 11"},
      {"trailing", trailing, "trailing bytes: expected 12 bytes of data, got "},
      {"wrong-magic", Bytes{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0},
       "bad magic 0x12345678, expected an IDX file of unsigned bytes (0x0000080N)"},
      {"float-type", idx_bytes({3}, Bytes(12, 0), 0x0d),
       "bad magic 0x00000d01, expected an IDX file of unsigned bytes (0x0000080N)"},
      {"int-type", idx_bytes({2, 2}, Bytes(16, 0), 0x0c), "bad magic 0x00000c02"},
      {"rank-0", Bytes{0, 0, 8, 0, 1, 2, 3}, "bad magic 0x00000800"},
      {"rank-5", idx_bytes({1, 1, 1, 1, 1}, Bytes{9}), "bad magic 0x00000805"},
      {"nonzero-first-byte", Bytes{1, 0, 8, 1, 0, 0, 0, 1, 5}, "bad magic 0x01000801"},
      {"zero-dim", idx_bytes({3, 0, 2}, {}), "dimension 1 of [3, 0, 2] is 0, expected sizes > 0"},
      {"zero-first-dim", idx_bytes({0}, {}), "dimension 0 of [0] is 0, expected sizes > 0"},
      // 2^62 bytes declared: an error, never an attempt to allocate 4 EiB.
      {"huge-dims", idx_bytes({1u << 31, 1u << 31, 1}, random_bytes(12, 2)),
       "dimensions [2147483648, 2147483648, 1] declare 4611686018427387904 bytes of data, more than the limit "
       "of 1073741824 (read_idx's max_bytes)"},
      // 512 MiB declared (within the limit), 12 bytes present: no 512 MiB buffer either.
      {"lying-dims", idx_bytes({1u << 29, 1, 1}, random_bytes(12, 2)),
       "truncated: expected 536870912 bytes of data, got 12"},
      {"overflowing-dims", idx_bytes({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {}),
       "dimensions [4294967295, 4294967295, 4294967295, 4294967295] declare more than 2^63 - 1 bytes of data"},
  };
  for (const Case& c : cases) {
    for (bool gzip : {false, true}) {
      const std::string path = tmp.file(c.name + (gzip ? ".idx.gz" : ".idx"));
      if (gzip)
        write_gzip(path, c.content);
      else
        write_file(path, c.content);
      INFO(path);
      CHECK_THAT(idx_error(path), StartsWith("read_idx: " + path + ": ") && Contains(c.problem));
    }
  }
}

TEST_CASE("read_idx reports truncated and corrupt gzip streams", "[data][idx][errors][gzip]") {
  TempDir tmp;
  const std::string good = tmp.file("good.gz");
  write_gzip(good, idx_bytes({10, 28, 28}, random_bytes(7840, 3)));  // random: barely compressible
  const Bytes gz = read_file(good);
  REQUIRE(gz.size() > 7000);
  CHECK(ember::data::read_idx(good).data.size() == 7840u);

  for (std::size_t n : {std::size_t(2), std::size_t(10), std::size_t(100), gz.size() / 2, gz.size() - 4}) {
    const std::string path = tmp.file("cut-" + std::to_string(n) + ".gz");
    write_file(path, Bytes(gz.begin(), gz.begin() + static_cast<long>(n)));
    INFO("gzip file cut to " << n << " of " << gz.size() << " bytes");
    CHECK_THAT(idx_error(path),
               StartsWith("read_idx: " + path + ": truncated gzip stream (unexpected end of file)"));
  }

  Bytes bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0xff;  // the CRC-32 of the trailer
  write_file(tmp.file("bad-crc.gz"), bad_crc);
  CHECK_THAT(idx_error(tmp.file("bad-crc.gz")),
             StartsWith("read_idx: " + tmp.file("bad-crc.gz") + ": corrupt gzip stream (") && Contains("check"));

  Bytes bad_block = gz;
  bad_block[10] = 0xff;  // the first deflate block header: an invalid block type
  write_file(tmp.file("bad-block.gz"), bad_block);
  CHECK_THAT(idx_error(tmp.file("bad-block.gz")),
             StartsWith("read_idx: " + tmp.file("bad-block.gz") + ": corrupt gzip stream ("));
}

// Regression: zlib's gz* reader took the sample's image file with its 8-byte trailer (CRC-32,
// length) cut short or missing for a clean end of file, while gzip -t rejects it.
TEST_CASE("read_idx needs each gzip member's verified trailer; garbage after a complete member is ignored",
          "[data][idx][errors][gzip]") {
  TempDir tmp;
  const std::string sample = kSample + "/train-images-idx3-ubyte.gz";
  const Bytes gz = read_file(sample);
  const std::size_t declared = ember::data::read_idx(sample).data.size();
  for (std::size_t cut : {std::size_t(1), std::size_t(4), std::size_t(7), std::size_t(8)}) {
    const std::string path = tmp.file("trailer-cut-" + std::to_string(cut) + ".gz");
    write_file(path, Bytes(gz.begin(), gz.end() - static_cast<long>(cut)));
    INFO(cut << " of the trailer's 8 bytes cut");
    CHECK_THAT(idx_error(path), StartsWith("read_idx: " + path + ": truncated gzip stream (unexpected end of file)"));
  }
  Bytes bad_length = gz;
  bad_length.back() ^= 0x01;  // the length field's high byte
  write_file(tmp.file("bad-length.gz"), bad_length);
  CHECK_THAT(idx_error(tmp.file("bad-length.gz")), Contains("corrupt gzip stream (") && Contains("check"));

  Bytes garbage = gz;
  for (char c : std::string("not gzip\n")) garbage.push_back(static_cast<std::uint8_t>(c));
  write_file(tmp.file("garbage.gz"), garbage);
  CHECK(ember::data::read_idx(tmp.file("garbage.gz")).data.size() == declared);

  Bytes two_members = gz;  // gzip's concatenation: the second member is more data than declared
  two_members.insert(two_members.end(), gz.begin(), gz.end());
  write_file(tmp.file("two.gz"), two_members);
  CHECK_THAT(idx_error(tmp.file("two.gz")), Contains("trailing bytes: expected"));
}

TEST_CASE("read_idx stops a gzip bomb at the declared size", "[data][idx][errors][gzip]") {
  TempDir tmp;
  // 16 MiB of zeros compress to a few KiB. Declared: one 28x28 image; the reader must stop
  // one byte past it and report trailing data.
  Bytes bomb = idx_bytes({1, 28, 28}, Bytes(16u << 20, 0));
  write_gzip(tmp.file("bomb.gz"), bomb);
  CHECK(fs::file_size(tmp.file("bomb.gz")) < 100000u);
  CHECK_THAT(idx_error(tmp.file("bomb.gz")), Contains("bomb.gz: trailing bytes: expected 784 bytes of data, got more"));

  // A header that declares 512 MiB over 16 MiB of real data: the buffer grows with the data
  // that arrives, so this ends in a FormatError, not in an allocation of the declared size.
  Bytes liar = idx_bytes({1u << 29, 1, 1}, Bytes(16u << 20, 0));
  write_gzip(tmp.file("liar.gz"), liar);
  CHECK_THAT(idx_error(tmp.file("liar.gz")),
             Contains("liar.gz: truncated: expected 536870912 bytes of data, got 16777216"));
}

TEST_CASE("read_idx refuses declared sizes above max_bytes", "[data][idx][errors]") {
  const std::string labels = kSample + "/train-labels-idx1-ubyte.gz";
  CHECK(ember::data::read_idx(labels, 2000).data.size() == 2000u);
  CHECK_THAT(error_message<ember::FormatError>([&] { ember::data::read_idx(labels, 1999); }),
             Equals("read_idx: " + labels +
                    ": dimensions [2000] declare 2000 bytes of data, more than the limit of 1999 (read_idx's max_bytes)"));
}

TEST_CASE("read_idx on a directory, a device or a missing file", "[data][idx][errors]") {
  TempDir tmp;
  fs::create_directory(tmp.file("a-directory"));
  CHECK_THAT(idx_error(tmp.file("a-directory")),
             Equals("read_idx: " + tmp.file("a-directory") + ": is a directory, expected an IDX file"));
  CHECK_THAT(idx_error(tmp.file("missing-file")),
             Equals("read_idx: " + tmp.file("missing-file") + ": cannot open: No such file or directory"));
  CHECK_THROWS_AS(ember::data::read_idx(tmp.file("missing-file")), ember::FormatError);
  CHECK_THAT(idx_error("/dev/null"), Equals("read_idx: /dev/null: not a regular file, expected an IDX file"));
}

// ---- MNIST --------------------------------------------------------------------------------

TEST_CASE("load_mnist loads both splits of the sample", "[data][mnist]") {
  const Dataset& train = train_sample();
  CHECK(train.size() == 2000);
  CHECK(train.rows() == 28);
  CHECK(train.cols() == 28);
  CHECK(train.label(0) == 5);
  CHECK(train.label(9) == 4);
  CHECK(int(train.image(0)[5 * 28 + 16]) == 126);
  std::vector<int> per_class(10, 0);
  for (index_t i = 0; i < train.size(); ++i) per_class[static_cast<std::size_t>(train.label(i))]++;
  for (int c = 0; c < 10; ++c) CHECK(per_class[static_cast<std::size_t>(c)] > 150);  // every digit present

  Dataset test = ember::data::load_mnist(kSample, ember::data::Split::Test);
  CHECK(test.size() == 1000);
  CHECK(test.label(0) == 7);
  long sum = 0;
  for (int i = 0; i < 784; ++i) sum += test.image(0)[i];
  CHECK(sum == 18454);
  CHECK_THROWS_AS(test.image(1000), ember::IndexError);
  CHECK_THROWS_AS(test.label(-1), ember::IndexError);
}

TEST_CASE("load_mnist prefers the raw file when both raw and .gz exist", "[data][mnist]") {
  TempDir tmp;
  copy_sample(tmp.path);
  Bytes labels = read_gzip(tmp.file("train-labels-idx1-ubyte.gz"));
  labels[8] = 9;  // first label 5 -> 9, to tell the two files apart
  write_file(tmp.file("train-labels-idx1-ubyte"), labels);
  Dataset train = ember::data::load_mnist(tmp.path, ember::data::Split::Train);
  CHECK(train.label(0) == 9);
  CHECK(train.label(1) == 0);
}

TEST_CASE("load_mnist errors name the file and the directory", "[data][mnist][errors]") {
  using ember::data::Split;
  auto load_error = [](const std::string& dir, Split split) {
    return error_message<ember::FormatError>([&] { ember::data::load_mnist(dir, split); });
  };
  TempDir tmp;
  const std::string nowhere = tmp.file("nowhere");
  CHECK(load_error(nowhere, Split::Train) == "load_mnist: no train-images-idx3-ubyte[.gz] in " + nowhere +
                                                 " (no such directory); run scripts/fetch-mnist.sh");
  CHECK(load_error(tmp.path, Split::Test) ==
        "load_mnist: no t10k-images-idx3-ubyte[.gz] in " + tmp.path + "; run scripts/fetch-mnist.sh");
  // Regression: --data naming a file said "no such directory".
  const std::string file = tmp.file("train-images-idx3-ubyte.gz");
  { std::ofstream(file) << "not a directory"; }
  CHECK(load_error(file, Split::Train) == "load_mnist: no train-images-idx3-ubyte[.gz] in " + file +
                                              " (that is a file: expected the directory that holds the MNIST "
                                              "files); run scripts/fetch-mnist.sh");
  fs::remove(file);

  copy_sample(tmp.path);
  fs::remove(tmp.file("t10k-labels-idx1-ubyte.gz"));
  CHECK(load_error(tmp.path, Split::Test) ==
        "load_mnist: no t10k-labels-idx1-ubyte[.gz] in " + tmp.path + "; run scripts/fetch-mnist.sh");

  // One label fewer than images.
  Bytes labels = read_gzip(tmp.file("train-labels-idx1-ubyte.gz"));
  write_file(tmp.file("train-labels-idx1-ubyte"),
             idx_bytes({1999}, Bytes(labels.begin() + 8, labels.begin() + 8 + 1999)));
  CHECK(load_error(tmp.path, Split::Train) == "load_mnist: " + tmp.file("train-labels-idx1-ubyte") +
                                                  ": 1999 labels for 2000 images in " +
                                                  tmp.file("train-images-idx3-ubyte.gz"));

  // A label outside 0..9.
  Bytes bad_labels(labels.begin() + 8, labels.end());
  bad_labels[3] = 10;
  write_file(tmp.file("train-labels-idx1-ubyte"), idx_bytes({2000}, bad_labels));
  CHECK(load_error(tmp.path, Split::Train) ==
        "load_mnist: " + tmp.file("train-labels-idx1-ubyte") + ": label 10 at index 3 is outside 0..9");
  // The same labels for a data set of more classes: accepted up to the count asked for.
  CHECK(ember::data::load_mnist(tmp.path, Split::Train, 11).label(3) == 10);
  CHECK(ember::data::load_mnist(tmp.path, Split::Train, 256).size() == 2000);
  bad_labels[3] = 200;
  write_file(tmp.file("train-labels-idx1-ubyte"), idx_bytes({2000}, bad_labels));
  try {
    ember::data::load_mnist(tmp.path, Split::Train, 12);
    FAIL("no error for label 200 of 12 classes");
  } catch (const ember::FormatError& e) {
    CHECK(std::string(e.what()) ==
          "load_mnist: " + tmp.file("train-labels-idx1-ubyte") + ": label 200 at index 3 is outside 0..11");
  }
  CHECK_THROWS_AS(ember::data::load_mnist(tmp.path, Split::Train, 0), ember::ValueError);
  CHECK_THROWS_AS(ember::data::load_mnist(tmp.path, Split::Train, 257), ember::ValueError);

  // Labels of the wrong rank.
  write_file(tmp.file("train-labels-idx1-ubyte"), idx_bytes({2000, 1}, Bytes(2000, 1)));
  CHECK(load_error(tmp.path, Split::Train) ==
        "load_mnist: " + tmp.file("train-labels-idx1-ubyte") + ": expected labels of shape [N], got [2000, 1]");

  // Images that are not 28x28.
  write_file(tmp.file("train-images-idx3-ubyte"), idx_bytes({2, 28, 27}, Bytes(2 * 28 * 27, 0)));
  CHECK(load_error(tmp.path, Split::Train) == "load_mnist: " + tmp.file("train-images-idx3-ubyte") +
                                                  ": expected images of shape [N, 28, 28], got [2, 28, 27]");

  // A truncated file: read_idx's error, naming the file.
  write_file(tmp.file("train-images-idx3-ubyte"), idx_bytes({2000, 28, 28}, Bytes(100, 0)));
  CHECK(load_error(tmp.path, Split::Train) == "read_idx: " + tmp.file("train-images-idx3-ubyte") +
                                                  ": truncated: expected 1568000 bytes of data, got 100");
}

// ---- Dataset and random_split -------------------------------------------------------------

TEST_CASE("Dataset construction, subset and its errors", "[data][dataset]") {
  Dataset ds(Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {0, 1, 2}, 2, 2);
  CHECK(ds.size() == 3);
  CHECK(ds.rows() == 2);
  CHECK(ds.cols() == 2);
  CHECK(int(ds.image(2)[0]) == 9);
  CHECK(ds.label(1) == 1);

  Dataset sub = ds.subset({2, 0, 2});
  CHECK(sub.size() == 3);
  CHECK(sub.label(0) == 2);
  CHECK(sub.label(1) == 0);
  CHECK(sub.image(0) == ds.image(2));  // shares the pixels
  Dataset subsub = sub.subset({1});    // positions in `sub`, not in `ds`
  CHECK(subsub.label(0) == 0);
  CHECK(subsub.image(0) == ds.image(0));

  CHECK(Dataset().size() == 0);
  CHECK_THROWS_WITH(ds.subset({0, 3}), Equals("Dataset::subset: index 3 out of range for a dataset of 3 samples"));
  CHECK_THROWS_AS(ds.image(3), ember::IndexError);
  CHECK_THROWS_WITH(Dataset(Bytes(11), {0, 1, 2}, 2, 2),
                    Equals("Dataset: 3 labels need 12 pixels of 2x2 images, got 11"));
  CHECK_THROWS_AS(Dataset(Bytes(11), {0, 1, 2}, 2, 2), ember::ShapeError);
  CHECK_THROWS_AS(Dataset({}, {}, 0, 2), ember::ValueError);
}

TEST_CASE("random_split: sizes, determinism, disjoint parts", "[data][dataset]") {
  const Dataset& full = train_sample();
  ember::Generator g1(5), g2(5), g3(6);
  auto [train, val] = ember::data::random_split(full, 400, g1);
  CHECK(train.size() == 1600);
  CHECK(val.size() == 400);

  // Samples are identified by where their pixels live: each appears in exactly one part.
  std::set<const std::uint8_t*> seen;
  for (index_t i = 0; i < train.size(); ++i) seen.insert(train.image(i));
  for (index_t i = 0; i < val.size(); ++i) seen.insert(val.image(i));
  CHECK(seen.size() == 2000u);

  auto [train2, val2] = ember::data::random_split(full, 400, g2);
  auto [train3, val3] = ember::data::random_split(full, 400, g3);
  bool same2 = true, same3 = true;
  for (index_t i = 0; i < val.size(); ++i) {
    same2 = same2 && val2.image(i) == val.image(i) && val2.label(i) == val.label(i);
    same3 = same3 && val3.image(i) == val.image(i);
  }
  CHECK(same2);   // same seed, same split
  CHECK(!same3);  // another seed, another split
  CHECK(train2.image(0) == train.image(0));

  // Not simply the first or last samples.
  bool val_is_tail = true;
  for (index_t i = 0; i < val.size(); ++i) val_is_tail = val_is_tail && val.image(i) == full.image(1600 + i);
  CHECK(!val_is_tail);

  ember::Generator g(1);
  CHECK(ember::data::random_split(full, 0, g).second.size() == 0);
  CHECK(ember::data::random_split(full, 2000, g).first.size() == 0);
  CHECK_THROWS_WITH(
      ember::data::random_split(full, 2001, g),
      Equals("random_split: validation size must be in [0, 2000] for a dataset of 2000 samples, got 2001"));
  CHECK_THROWS_AS(ember::data::random_split(full, -1, g), ember::ValueError);
}

// ---- DataLoader ---------------------------------------------------------------------------

TEST_CASE("DataLoader batch counts and shapes, with and without drop_last", "[data][loader]") {
  const Dataset& ds = train_sample();
  ember::Generator gen(1);
  ember::data::DataLoader loader(ds, loader_options(64, true), gen);
  CHECK(loader.num_batches() == 32);  // 31 full batches and one of 16
  loader.start_epoch();
  CHECK(loader.batch(0).images.shape() == ember::Shape{64, 1, 28, 28});
  CHECK(loader.batch(0).labels.shape() == ember::Shape{64});
  CHECK(loader.batch(31).images.shape() == ember::Shape{16, 1, 28, 28});
  CHECK(loader.batch(31).labels.shape() == ember::Shape{16});

  auto drop = loader_options(64, true);
  drop.drop_last = true;
  ember::data::DataLoader dropping(ds, drop, gen);
  CHECK(dropping.num_batches() == 31);
  auto exact = loader_options(500, false);
  exact.drop_last = true;
  CHECK(ember::data::DataLoader(ds, exact, gen).num_batches() == 4);
  CHECK(ember::data::DataLoader(ds, loader_options(5000, false), gen).num_batches() == 1);
  CHECK(ember::data::DataLoader(Dataset(), loader_options(8, true), gen).num_batches() == 0);
}

TEST_CASE("DataLoader visits every sample exactly once per epoch", "[data][loader]") {
  const Dataset& ds = train_sample();
  for (bool drop_last : {false, true}) {
    ember::Generator gen(3);
    auto options = loader_options(64, true);
    options.drop_last = drop_last;
    ember::data::DataLoader loader(ds, options, gen);
    loader.start_epoch();
    std::vector<index_t> seen;
    for (index_t b = 0; b < loader.num_batches(); ++b) {
      auto batch = loader.batch(b);
      for (index_t k = 0; k < batch.labels.numel(); ++k) {
        const index_t i = batch.indices[static_cast<std::size_t>(k)];
        seen.push_back(i);
        CHECK(batch.labels.data()[k] == ds.label(i));  // labels travel with their images
      }
    }
    std::sort(seen.begin(), seen.end());
    INFO("drop_last " << drop_last);
    CHECK(seen.size() == (drop_last ? 1984u : 2000u));
    CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());  // no repeats
  }
}

TEST_CASE("DataLoader shards: k shards of batch B are the batches of one loader of batch k * B", "[data][loader][shard]") {
  const Dataset full = train_sample();
  for (index_t size : {index_t(2000), index_t(1999)}) {  // 1999: one sample left out per epoch
    const Dataset ds = size == full.size() ? full : full.subset(first_n(size));
    for (index_t shards : {index_t(2), index_t(3)}) {
      CAPTURE(size, shards);
      ember::Generator single_gen(11);
      ember::data::DataLoader single(ds, loader_options(8 * shards, true, true), single_gen);
      std::vector<ember::Generator> gens;
      std::vector<ember::data::DataLoader> loaders;
      gens.reserve(static_cast<std::size_t>(shards));
      for (index_t r = 0; r < shards; ++r) {
        gens.emplace_back(11);
        auto options = loader_options(8, true, true);
        options.shard_index = r;
        options.shard_count = shards;
        loaders.emplace_back(ds, options, gens.back());
      }
      for (int epoch = 0; epoch < 2; ++epoch) {
        single.start_epoch();
        for (auto& l : loaders) l.start_epoch();
        const index_t kept = size / shards * shards;
        for (auto& l : loaders) {
          REQUIRE(l.epoch_size() == size / shards);
          REQUIRE(l.num_batches() == (size / shards + 7) / 8);
        }
        // Global step b of the shards = batch b of the single loader: the same samples (shard r
        // holds positions r, r + k, ...), with the same augmentation, and every rank's generator
        // ends the epoch where the single loader's does.
        for (index_t b = 0; b < loaders[0].num_batches(); ++b) {
          auto whole = single.batch(b);
          const index_t pixels = 28 * 28;
          for (index_t r = 0; r < shards; ++r) {
            auto part = loaders[static_cast<std::size_t>(r)].batch(b);
            for (index_t k = 0; k < part.labels.numel(); ++k) {
              const index_t position = (b * 8 + k) * shards + r;  // in the epoch's order
              REQUIRE(position < kept);
              const index_t in_whole = position - b * 8 * shards;
              REQUIRE(part.indices[static_cast<std::size_t>(k)] == whole.indices[static_cast<std::size_t>(in_whole)]);
              REQUIRE(std::equal(part.images.data() + k * pixels, part.images.data() + (k + 1) * pixels,
                                 whole.images.data() + in_whole * pixels));
            }
          }
        }
        for (auto& g : gens) REQUIRE(g.state() == single_gen.state());
      }
    }
  }
  // One shard of one is the loader without shards.
  ember::Generator a(5), b(5);
  auto options = loader_options(64, true, true);
  options.shard_count = 1;
  ember::data::DataLoader plain(full, loader_options(64, true, true), a), one(full, options, b);
  plain.start_epoch();
  one.start_epoch();
  CHECK(plain.order() == one.order());
  CHECK(plain.batch(3).images.to_vector() == one.batch(3).images.to_vector());
}

TEST_CASE("DataLoader order: reproducible for a generator state, new each epoch", "[data][loader]") {
  const Dataset& ds = train_sample();
  ember::Generator a(42), b(42);
  ember::data::DataLoader la(ds, loader_options(64, true), a), lb(ds, loader_options(64, true), b);
  la.start_epoch();
  lb.start_epoch();
  CHECK(la.order() == lb.order());
  const std::vector<index_t> first = la.order();
  la.start_epoch();
  CHECK(la.order() != first);  // the next epoch draws a new order
  std::vector<index_t> identity(2000);
  std::iota(identity.begin(), identity.end(), index_t(0));
  CHECK(first != identity);

  // A resumed run restores the generator state and gets the same batches, in any call order.
  ember::Generator g(9);
  ember::data::DataLoader loader(ds, loader_options(64, true, true), g);
  const auto state = g.state();
  loader.start_epoch();
  auto b5 = loader.batch(5);
  g.set_state(state);
  loader.start_epoch();
  auto b5_again = loader.batch(5);  // batch 5 before any other batch of this epoch
  CHECK(b5_again.indices == b5.indices);
  CHECK(b5_again.images.to_vector() == b5.images.to_vector());
  CHECK(b5_again.labels.to_vector() == b5.labels.to_vector());
  CHECK(loader.batch(5).images.to_vector() == b5.images.to_vector());  // and again

  // Without shuffling the order is the dataset's.
  ember::Generator unused(0);
  ember::data::DataLoader plain(ds, loader_options(64, false), unused);
  plain.start_epoch();
  CHECK(plain.order() == identity);
  CHECK(plain.batch(1).indices.front() == 64);
}

TEST_CASE("DataLoader normalises pixels as (p / 255 - mean) / std", "[data][loader]") {
  const Dataset& ds = train_sample();
  ember::Generator gen(0);
  ember::data::DataLoader loader(ds, loader_options(100, false), gen);
  loader.start_epoch();
  auto batch = loader.batch(0);
  const float* img = batch.images.data();  // sample 0, the "5"
  CHECK(img[5 * 28 + 16] == Approx((126 / 255.0 - 0.1307) / 0.3081).epsilon(1e-6));
  CHECK(img[7 * 28 + 8] == Approx((238 / 255.0 - 0.1307) / 0.3081).epsilon(1e-6));
  CHECK(img[0] == Approx(-0.1307 / 0.3081).epsilon(1e-6));
  CHECK(batch.labels.data()[0] == 5);

  // Over the whole sample the normalised pixels have mean ~0 and standard deviation ~1.
  ember::data::DataLoader all(ds, loader_options(2000, false), gen);
  all.start_epoch();
  auto everything = all.batch(0).images.to_vector();
  double sum = 0, sum_sq = 0;
  for (float v : everything) {
    sum += v;
    sum_sq += double(v) * v;
  }
  const double n = static_cast<double>(everything.size()), mean = sum / n;
  CHECK(std::abs(mean) < 0.01);
  CHECK(std::sqrt(sum_sq / n - mean * mean) == Approx(1.0).margin(0.01));

  auto custom = loader_options(10, false);
  custom.mean = 0.5;
  custom.std = 0.25;
  ember::data::DataLoader other(ds, custom, gen);
  other.start_epoch();
  CHECK(other.batch(0).images.data()[5 * 28 + 16] == Approx((126 / 255.0 - 0.5) / 0.25).epsilon(1e-6));

  // The stand-alone normalize gives the same numbers.
  auto raw = ember::from_vector<float>({0.0f, 126 / 255.0f, 1.0f});
  CHECK(ember::data::normalize(raw).to_vector() ==
        std::vector<float>{(0.0f - 0.1307f) / 0.3081f, (126 / 255.0f - 0.1307f) / 0.3081f, (1.0f - 0.1307f) / 0.3081f});
  CHECK(raw.to_vector()[1] == 126 / 255.0f);  // the input is left alone
  CHECK_THROWS_AS(ember::data::normalize(raw, 0.1, 0.0), ember::ValueError);
}

TEST_CASE("DataLoader validates its options and arguments", "[data][loader][errors]") {
  const Dataset& ds = train_sample();
  ember::Generator gen(0);
  CHECK_THROWS_WITH(ember::data::DataLoader(ds, loader_options(0, true), gen),
                    Equals("DataLoader: batch_size must be >= 1, got 0"));
  CHECK_THROWS_AS(ember::data::DataLoader(ds, loader_options(-3, true), gen), ember::ValueError);
  auto bad_std = loader_options(8, true);
  bad_std.std = 0;
  CHECK_THROWS_WITH(ember::data::DataLoader(ds, bad_std, gen),
                    Equals("DataLoader: expected a finite mean and std > 0, got mean 0.1307 and std 0"));
  bad_std.std = -1;
  CHECK_THROWS_AS(ember::data::DataLoader(ds, bad_std, gen), ember::ValueError);
  auto bad_affine = loader_options(8, true, true);
  bad_affine.affine.scale_min = 1.2;
  bad_affine.affine.scale_max = 1.1;
  CHECK_THROWS_WITH(ember::data::DataLoader(ds, bad_affine, gen),
                    Equals("RandomAffine: expected 0 < scale_min <= scale_max, got 1.2 and 1.1"));
  bad_affine.affine = ember::data::RandomAffine{-1, 0.1, 0.9, 1.1};
  CHECK_THROWS_AS(ember::data::DataLoader(ds, bad_affine, gen), ember::ValueError);

  auto bad_shard = loader_options(8, true);
  bad_shard.shard_index = 2;
  bad_shard.shard_count = 2;
  CHECK_THROWS_WITH(ember::data::DataLoader(ds, bad_shard, gen),
                    Equals("DataLoader: expected 0 <= shard_index < shard_count, got shard 2 of 2"));
  bad_shard.shard_count = 0;
  bad_shard.shard_index = 0;
  CHECK_THROWS_AS(ember::data::DataLoader(ds, bad_shard, gen), ember::ValueError);

  ember::data::DataLoader loader(ds, loader_options(64, true), gen);
  CHECK_THROWS_WITH(loader.batch(0), Equals("DataLoader::batch: call start_epoch() before batch()"));
  loader.start_epoch();
  CHECK_THROWS_WITH(loader.batch(32), Equals("DataLoader::batch: batch 32 out of range for an epoch of 32 batches"));
  CHECK_THROWS_AS(loader.batch(-1), ember::IndexError);
}

TEST_CASE("augmentation: deterministic, changes the image, keeps the digit in frame", "[data][loader][augment]") {
  const Dataset& ds = train_sample();
  ember::Generator g1(11), g2(11), g0(11);
  ember::data::DataLoader aug1(ds, loader_options(64, false, true), g1), aug2(ds, loader_options(64, false, true), g2);
  ember::data::DataLoader plain(ds, loader_options(64, false), g0);
  aug1.start_epoch();
  aug2.start_epoch();
  plain.start_epoch();
  auto a = aug1.batch(3), b = aug2.batch(3), p = plain.batch(3);
  CHECK(a.images.to_vector() == b.images.to_vector());  // same generator state, same bits
  CHECK(a.labels.to_vector() == p.labels.to_vector());  // augmentation never touches labels

  aug1.start_epoch();  // a new epoch draws new transforms
  CHECK(aug1.batch(3).images.to_vector() != a.images.to_vector());

  for (index_t k = 0; k < 64; ++k) {
    const std::vector<double> x = unnormalised(a, k), y = unnormalised(p, k);
    double ink_aug = 0, ink = 0, max_diff = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      ink_aug += x[i];
      ink += y[i];
      max_diff = std::max(max_diff, std::abs(x[i] - y[i]));
      REQUIRE(x[i] >= -1e-5);
      REQUIRE(x[i] <= 1 + 1e-5);
    }
    INFO("sample " << k);
    CHECK(max_diff > 0.2);  // the image did change
    // Rotations of 10 degrees, shifts of 3 pixels and scales of 0.9-1.1 move MNIST's centred
    // digits without pushing them out: the ink changes by about the scale squared (0.81-1.21).
    CHECK(ink_aug > 0.75 * ink);
    CHECK(ink_aug < 1.3 * ink);
  }
}

TEST_CASE("augmentation results do not depend on the thread count", "[data][loader][augment]") {
  const Dataset& ds = train_sample();
  const int threads = ember::get_num_threads();
  std::vector<float> results[2];
  for (int t : {1, 2}) {
    ember::set_num_threads(t);
    ember::Generator gen(21);
    ember::data::DataLoader loader(ds, loader_options(200, true, true), gen);
    loader.start_epoch();
    results[t - 1] = loader.batch(2).images.to_vector();
  }
  ember::set_num_threads(threads);
  CHECK(results[0] == results[1]);
}

TEST_CASE("the identity affine transform leaves the image unchanged", "[data][augment]") {
  const Dataset& ds = train_sample();
  auto identity = loader_options(64, false, true);
  identity.affine = ember::data::RandomAffine{0, 0, 1, 1};
  ember::Generator g1(4), g2(4);
  ember::data::DataLoader aug(ds, identity, g1), plain(ds, loader_options(64, false), g2);
  aug.start_epoch();
  plain.start_epoch();
  CHECK(aug.batch(0).images.to_vector() == plain.batch(0).images.to_vector());
  CHECK(aug.batch(31).images.to_vector() == plain.batch(31).images.to_vector());
}

TEST_CASE("affine_to_float moves pixels as torchvision's affine does", "[data][augment]") {
  // A 29x29 image (centre pixel 14, 14) with one white pixel.
  const index_t n = 29;
  Bytes src(static_cast<std::size_t>(n * n), 0);
  auto at = [&](const std::vector<float>& img, index_t y, index_t x) {
    return img[static_cast<std::size_t>(y * n + x)];
  };
  src[static_cast<std::size_t>(14 * n + 20)] = 255;  // 6 pixels right of the centre
  std::vector<float> dst(src.size());

  ember::data::affine_to_float(src.data(), n, n, {0, 2, -1, 1}, dst.data());  // shift right 2, up 1
  CHECK(at(dst, 13, 22) == 1.0f);
  CHECK(at(dst, 14, 20) == 0.0f);

  ember::data::affine_to_float(src.data(), n, n, {0, 0, 0, 0.5}, dst.data());  // half size
  CHECK(at(dst, 14, 17) == Approx(1.0f));

  ember::data::affine_to_float(src.data(), n, n, {90, 0, 0, 1}, dst.data());  // counter-clockwise
  CHECK(at(dst, 8, 14) == Approx(1.0f).margin(1e-5));  // right of centre -> above it
  CHECK(at(dst, 14, 20) == Approx(0.0f).margin(1e-5));

  ember::data::affine_to_float(src.data(), n, n, {0, 0.5, 0, 1}, dst.data());  // half a pixel: bilinear
  CHECK(at(dst, 14, 20) == Approx(0.5f));
  CHECK(at(dst, 14, 21) == Approx(0.5f));

  ember::data::affine_to_float(src.data(), n, n, {0, 40, 0, 1}, dst.data());  // shifted out: zero fill
  CHECK(*std::max_element(dst.begin(), dst.end()) == 0.0f);
}

TEST_CASE("RandomAffine draws within its ranges", "[data][augment]") {
  ember::data::RandomAffine affine;  // degrees 10, translate 0.1, scale 0.9..1.1
  ember::Generator gen(8);
  double min_angle = 1e9, max_angle = -1e9;
  for (int i = 0; i < 2000; ++i) {
    auto p = affine.sample(28, 28, gen);
    min_angle = std::min(min_angle, p.angle_degrees);
    max_angle = std::max(max_angle, p.angle_degrees);
    REQUIRE(std::abs(p.angle_degrees) <= 10);
    REQUIRE(std::abs(p.tx) <= 3);  // 0.1 * 28 = 2.8, rounded to whole pixels
    REQUIRE(std::abs(p.ty) <= 3);
    REQUIRE(p.tx == std::round(p.tx));
    REQUIRE(p.scale >= 0.9);
    REQUIRE(p.scale <= 1.1);
  }
  CHECK(min_angle < -9);
  CHECK(max_angle > 9);
  CHECK_THROWS_AS((ember::data::RandomAffine{10, 1.5, 0.9, 1.1}.validate()), ember::ValueError);
  CHECK_THROWS_AS((ember::data::RandomAffine{10, 0.1, 0, 1.1}.validate()), ember::ValueError);
}
