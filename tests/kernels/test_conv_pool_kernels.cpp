// Convolution, pooling and ReLU kernels against naive loop implementations, on odd sizes,
// strides, padding, dilation, batch 1 and 7, channels 1 and 3; and 1 vs 2 threads.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <ember/ember.hpp>
#include <ember/kernels/activation.hpp>
#include <ember/kernels/conv.hpp>
#include <ember/kernels/pool.hpp>

using ember::index_t;
using ember::kernels::ConvGeometry;
using ember::kernels::ConvShape;

namespace {

struct ConvCase {
  index_t n, c, h, w, o, k, stride, pad, dilation;
};

// Every combination the issue asks for, plus a few odd ones.
std::vector<ConvCase> conv_cases() {
  std::vector<ConvCase> cases;
  for (index_t n : {1, 7})
    for (index_t c : {1, 3})
      for (auto [stride, pad, dil] : {std::tuple{1, 0, 1}, std::tuple{2, 1, 1}, std::tuple{1, 1, 2}, std::tuple{2, 0, 1}})
        cases.push_back({n, c, 9, 7, 4, 3, stride, pad, dil});
  cases.push_back({2, 2, 5, 6, 3, 2, 1, 1, 1});   // even kernel
  cases.push_back({3, 5, 11, 4, 2, 1, 1, 0, 1});  // 1x1
  cases.push_back({1, 2, 4, 4, 3, 4, 3, 2, 1});   // padding wider than the stride
  return cases;
}

std::vector<double> random_values(std::size_t n, ember::Generator& gen) {
  std::vector<double> v(n);
  for (auto& x : v) x = gen.normal();
  return v;
}

// Naive conv2d: out[n,o,y,x] = b[o] + sum_{c,i,j} in[n,c,y*s-p+i*d, x*s-p+j*d] * w[o,c,i,j].
std::vector<double> naive_conv(const ConvCase& t, const std::vector<double>& in, const std::vector<double>& w,
                               const std::vector<double>& b, index_t oh, index_t ow) {
  std::vector<double> out(static_cast<std::size_t>(t.n * t.o * oh * ow));
  for (index_t n = 0; n < t.n; ++n)
    for (index_t o = 0; o < t.o; ++o)
      for (index_t y = 0; y < oh; ++y)
        for (index_t x = 0; x < ow; ++x) {
          double s = b[static_cast<std::size_t>(o)];
          for (index_t c = 0; c < t.c; ++c)
            for (index_t i = 0; i < t.k; ++i)
              for (index_t j = 0; j < t.k; ++j) {
                index_t yy = y * t.stride - t.pad + i * t.dilation, xx = x * t.stride - t.pad + j * t.dilation;
                if (yy < 0 || yy >= t.h || xx < 0 || xx >= t.w) continue;
                s += in[static_cast<std::size_t>(((n * t.c + c) * t.h + yy) * t.w + xx)] *
                     w[static_cast<std::size_t>(((o * t.c + c) * t.k + i) * t.k + j)];
              }
          out[static_cast<std::size_t>(((n * t.o + o) * oh + y) * ow + x)] = s;
        }
  return out;
}

// Naive gradients of sum(out * g) by the same loops, accumulated the other way round.
void naive_conv_backward(const ConvCase& t, const std::vector<double>& in, const std::vector<double>& w,
                         const std::vector<double>& g, index_t oh, index_t ow, std::vector<double>& din,
                         std::vector<double>& dw, std::vector<double>& db) {
  din.assign(in.size(), 0.0);
  dw.assign(w.size(), 0.0);
  db.assign(static_cast<std::size_t>(t.o), 0.0);
  for (index_t n = 0; n < t.n; ++n)
    for (index_t o = 0; o < t.o; ++o)
      for (index_t y = 0; y < oh; ++y)
        for (index_t x = 0; x < ow; ++x) {
          double gv = g[static_cast<std::size_t>(((n * t.o + o) * oh + y) * ow + x)];
          db[static_cast<std::size_t>(o)] += gv;
          for (index_t c = 0; c < t.c; ++c)
            for (index_t i = 0; i < t.k; ++i)
              for (index_t j = 0; j < t.k; ++j) {
                index_t yy = y * t.stride - t.pad + i * t.dilation, xx = x * t.stride - t.pad + j * t.dilation;
                if (yy < 0 || yy >= t.h || xx < 0 || xx >= t.w) continue;
                auto ii = static_cast<std::size_t>(((n * t.c + c) * t.h + yy) * t.w + xx);
                auto wi = static_cast<std::size_t>(((o * t.c + c) * t.k + i) * t.k + j);
                din[ii] += gv * w[wi];
                dw[wi] += gv * in[ii];
              }
        }
}

template <class T>
std::vector<T> as(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

template <class T>
double max_rel_error(const std::vector<T>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    worst = std::max(worst, std::abs(double(got[i]) - want[i]) / (1.0 + std::abs(want[i])));
  return worst;
}

}  // namespace

TEMPLATE_TEST_CASE("conv2d kernels match the naive loops", "[kernels][conv]", float, double) {
  using T = TestType;
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  ember::Generator gen(10);
  for (const ConvCase& t : conv_cases()) {
    ConvGeometry geo(t.c, t.h, t.w, t.k, t.k, t.stride, t.pad, t.dilation);
    ConvShape shape{t.n, t.o, geo};
    INFO("N=" << t.n << " C=" << t.c << " O=" << t.o << " k=" << t.k << " stride=" << t.stride << " pad=" << t.pad
              << " dilation=" << t.dilation << " -> " << geo.out_h << "x" << geo.out_w);
    auto in = random_values(static_cast<std::size_t>(t.n * t.c * t.h * t.w), gen);
    auto w = random_values(static_cast<std::size_t>(t.o * t.c * t.k * t.k), gen);
    auto b = random_values(static_cast<std::size_t>(t.o), gen);
    auto want = naive_conv(t, in, w, b, geo.out_h, geo.out_w);
    auto in_t = as<T>(in), w_t = as<T>(w), b_t = as<T>(b);
    std::vector<T> out(want.size());
    ember::kernels::conv2d_forward(in_t.data(), w_t.data(), b_t.data(), out.data(), shape);
    CHECK(max_rel_error(out, want) < tolerance);

    auto g = random_values(want.size(), gen);
    std::vector<double> din, dw, db;
    naive_conv_backward(t, in, w, g, geo.out_h, geo.out_w, din, dw, db);
    auto g_t = as<T>(g);
    std::vector<T> din_t(din.size(), T(7)), dw_t(dw.size(), T(7)), db_t(db.size(), T(7));  // 7: must be overwritten
    ember::kernels::conv2d_backward(in_t.data(), w_t.data(), g_t.data(), din_t.data(), dw_t.data(), db_t.data(), shape);
    CHECK(max_rel_error(din_t, din) < tolerance * 10);
    CHECK(max_rel_error(dw_t, dw) < tolerance * 10);
    CHECK(max_rel_error(db_t, db) < tolerance * 10);
  }
}

// bf16 rounding of every value, in double.
std::vector<double> rounded_to_bf16(const std::vector<double>& v) {
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) r[i] = ember::kernels::round_to_bf16(static_cast<float>(v[i]));
  return r;
}

TEST_CASE("conv2d kernels in bf16 match the naive loops on bf16-rounded operands, on every path",
          "[kernels][conv][bf16]") {
  const auto paths = ember::kernels::available_bf16_paths();
  struct Reset {
    ~Reset() { ember::kernels::force_bf16_path(ember::kernels::Bf16Path::automatic); }
  } reset;
  ember::Generator gen(12);
  auto cases = conv_cases();
  cases.push_back({5, 4, 12, 10, 33, 3, 1, 1, 1});  // more than one tile of output channels
  for (auto path : paths) {
    ember::kernels::force_bf16_path(path);
    for (const ConvCase& t : cases) {
      ConvGeometry geo(t.c, t.h, t.w, t.k, t.k, t.stride, t.pad, t.dilation);
      ConvShape shape{t.n, t.o, geo};
      INFO("path " << ember::kernels::to_string(path) << " N=" << t.n << " C=" << t.c << " O=" << t.o << " k=" << t.k
                   << " stride=" << t.stride << " pad=" << t.pad << " dilation=" << t.dilation);
      auto in = random_values(static_cast<std::size_t>(t.n * t.c * t.h * t.w), gen);
      auto w = random_values(static_cast<std::size_t>(t.o * t.c * t.k * t.k), gen);
      auto b = random_values(static_cast<std::size_t>(t.o), gen);
      auto in_t = as<float>(in), w_t = as<float>(w), b_t = as<float>(b);
      // The GEMM operands are rounded, the bias is not.
      const auto want = naive_conv(t, rounded_to_bf16(in), rounded_to_bf16(w), std::vector<double>(b_t.begin(), b_t.end()), geo.out_h, geo.out_w);
      std::vector<float> out(want.size());
      ember::kernels::conv2d_forward(in_t.data(), w_t.data(), b_t.data(), out.data(), shape, ember::Precision::bf16);
      CHECK(max_rel_error(out, want) < 1e-5);

      auto g = random_values(want.size(), gen);
      auto g_t = as<float>(g);
      std::vector<double> din, dw, db, unused_din, unused_dw;
      naive_conv_backward(t, rounded_to_bf16(in), rounded_to_bf16(w), rounded_to_bf16(g), geo.out_h, geo.out_w, din, dw, db);
      naive_conv_backward(t, in, w, std::vector<double>(g_t.begin(), g_t.end()), geo.out_h, geo.out_w, unused_din, unused_dw, db);  // bias: float32
      std::vector<float> din_t(din.size(), 7.0f), dw_t(dw.size(), 7.0f), db_t(db.size(), 7.0f);
      ember::kernels::conv2d_backward(in_t.data(), w_t.data(), g_t.data(), din_t.data(), dw_t.data(), db_t.data(), shape,
                                      ember::Precision::bf16);
      CHECK(max_rel_error(din_t, din) < 1e-5);
      CHECK(max_rel_error(dw_t, dw) < 1e-5);
      CHECK(max_rel_error(db_t, db) < 1e-5);
    }
  }
}

TEST_CASE("im2col followed by col2im multiplies each input by its use count", "[kernels][conv]") {
  // <im2col(x), ones> = <x, col2im(ones)>: col2im is the adjoint of im2col.
  ember::Generator gen(3);
  for (const ConvCase& t : conv_cases()) {
    ConvGeometry geo(t.c, t.h, t.w, t.k, t.k, t.stride, t.pad, t.dilation);
    auto x = random_values(static_cast<std::size_t>(geo.input_size()), gen);
    auto y = random_values(static_cast<std::size_t>(geo.col_rows() * geo.col_cols()), gen);
    std::vector<double> col(y.size()), back(x.size(), 0.0);
    ember::kernels::im2col(x.data(), geo, col.data());
    ember::kernels::col2im(y.data(), geo, back.data());
    double lhs = 0, rhs = 0;
    for (std::size_t i = 0; i < y.size(); ++i) lhs += col[i] * y[i];
    for (std::size_t i = 0; i < x.size(); ++i) rhs += x[i] * back[i];
    CHECK(lhs == Approx(rhs).epsilon(1e-12));
  }
}

TEST_CASE("conv2d kernels give the same bits on 1 and 2 threads", "[kernels][conv][threads]") {
  ember::Generator gen(4);
  ConvCase t{16, 8, 14, 14, 16, 3, 1, 1, 1};  // big enough to pass the parallel threshold
  ConvGeometry geo(t.c, t.h, t.w, t.k, t.k, t.stride, t.pad, t.dilation);
  ConvShape shape{t.n, t.o, geo};
  auto in = as<float>(random_values(static_cast<std::size_t>(t.n * geo.input_size()), gen));
  auto w = as<float>(random_values(static_cast<std::size_t>(t.o * geo.col_rows()), gen));
  auto b = as<float>(random_values(static_cast<std::size_t>(t.o), gen));
  const std::size_t out_size = static_cast<std::size_t>(t.n * t.o * geo.col_cols());
  auto g = as<float>(random_values(out_size, gen));
  auto run = [&](int threads, std::vector<float>& out, std::vector<float>& din, std::vector<float>& dw) {
    ember::set_num_threads(threads);
    CHECK(ember::threads_for(t.n, shape.gemm_flops()) == threads);  // the parallel path really runs
    CHECK(ember::threads_for(t.n / ember::kernels::kSamplesPerGradBlock, 8 * shape.gemm_flops()) == threads);
    out.assign(out_size, 0);
    din.assign(in.size(), 0);
    dw.assign(w.size(), 0);
    std::vector<float> db(b.size());
    ember::kernels::conv2d_forward(in.data(), w.data(), b.data(), out.data(), shape);
    ember::kernels::conv2d_backward(in.data(), w.data(), g.data(), din.data(), dw.data(), db.data(), shape);
  };
  const int before = ember::get_num_threads();
  std::vector<float> out1, din1, dw1, out2, din2, dw2;
  run(1, out1, din1, dw1);
  run(2, out2, din2, dw2);
  ember::set_num_threads(before);
  // Per-sample work and a fixed summation order: identical, not merely close.
  CHECK(out1 == out2);
  CHECK(din1 == din2);
  CHECK(dw1 == dw2);
}

TEST_CASE("conv2d_forward of one sample splits its pixels over the threads: naive values, same bits",
          "[kernels][conv][threads]") {
  ember::Generator gen(6);
  // 18x18 output pixels: 324 = 3 full blocks of kPixelsPerBlock and a partial one.
  ConvCase t{1, 8, 20, 20, 16, 3, 1, 0, 1};
  ConvGeometry geo(t.c, t.h, t.w, t.k, t.k, t.stride, t.pad, t.dilation);
  ConvShape shape{t.n, t.o, geo};
  const index_t blocks = (geo.col_cols() + ember::kernels::kPixelsPerBlock - 1) / ember::kernels::kPixelsPerBlock;
  auto in = random_values(static_cast<std::size_t>(geo.input_size()), gen);
  auto w = random_values(static_cast<std::size_t>(t.o * geo.col_rows()), gen);
  auto b = random_values(static_cast<std::size_t>(t.o), gen);
  const auto want = naive_conv(t, in, w, b, geo.out_h, geo.out_w);
  auto in_f = as<float>(in), w_f = as<float>(w), b_f = as<float>(b);
  const int before = ember::get_num_threads();
  std::vector<std::vector<float>> outs;
  for (int threads : {1, 2}) {
    ember::set_num_threads(threads);
    CHECK(ember::threads_for(blocks, 2.0 * t.o * geo.col_rows() * ember::kernels::kPixelsPerBlock) ==
          threads);  // the split path really runs on 2 threads
    std::vector<float> out(want.size(), 7.0f);
    ember::kernels::conv2d_forward(in_f.data(), w_f.data(), b_f.data(), out.data(), shape);
    CHECK(max_rel_error(out, want) < 1e-5);
    std::vector<double> out_d(want.size(), 7.0);
    ember::kernels::conv2d_forward(in.data(), w.data(), b.data(), out_d.data(), shape);
    CHECK(max_rel_error(out_d, want) < 1e-12);
    outs.push_back(out);
  }
  ember::set_num_threads(before);
  CHECK(outs[0] == outs[1]);
}

TEST_CASE("gemm_abt (x W^T) matches the naive loops for small and large m, same bits on 1 and 2 threads",
          "[kernels][gemm][threads]") {
  ember::Generator gen(8);
  const int before = ember::get_num_threads();
  for (index_t m : {1, 3, 4, 5, 9})
    for (index_t n : {10, 70, 129})
      for (index_t k : {7, 600}) {
        INFO("m=" << m << " n=" << n << " k=" << k);
        auto a = random_values(static_cast<std::size_t>(m * k), gen), b = random_values(static_cast<std::size_t>(n * k), gen);
        std::vector<double> want(static_cast<std::size_t>(m * n), 0.0);
        for (index_t i = 0; i < m; ++i)
          for (index_t j = 0; j < n; ++j)
            for (index_t p = 0; p < k; ++p)
              want[static_cast<std::size_t>(i * n + j)] += a[static_cast<std::size_t>(i * k + p)] * b[static_cast<std::size_t>(j * k + p)];
        auto a_f = as<float>(a), b_f = as<float>(b);
        std::vector<std::vector<float>> results;
        for (int threads : {1, 2}) {
          ember::set_num_threads(threads);
          std::vector<float> c(want.size(), 7.0f);
          ember::kernels::gemm_abt(a_f.data(), b_f.data(), c.data(), m, k, n);
          CHECK(max_rel_error(c, want) < 1e-5 * std::sqrt(static_cast<double>(k)));
          std::vector<double> c_d(want.size(), 7.0);
          ember::kernels::gemm_abt(a.data(), b.data(), c_d.data(), m, k, n);
          CHECK(max_rel_error(c_d, want) < 1e-12);
          results.push_back(c);
        }
        // Few rows: dot products, whose bits cannot depend on the threads (more rows are one Eigen
        // GEMM, whose own threading makes no such promise).
        if (m <= ember::kernels::kSmallM) CHECK(results[0] == results[1]);
      }
  ember::set_num_threads(before);
}

TEMPLATE_TEST_CASE("max_pool2d kernels match the naive loops", "[kernels][pool]", float, double) {
  using T = TestType;
  ember::Generator gen(6);
  struct PoolCase { index_t n, c, h, w, k, s, p; };
  for (auto t : {PoolCase{1, 1, 8, 8, 2, 2, 0}, PoolCase{7, 3, 9, 7, 3, 2, 1}, PoolCase{2, 3, 5, 5, 2, 1, 0},
                 PoolCase{1, 2, 7, 9, 3, 3, 1}, PoolCase{3, 1, 6, 6, 3, 2, 0},
                 PoolCase{1, 1, 3, 3, 3, 2, 1} /* no interior window */, PoolCase{2, 2, 4, 5, 4, 1, 2},
                 PoolCase{4, 8, 24, 24, 2, 2, 0} /* the reference CNN's pool */, PoolCase{2, 3, 7, 9, 2, 2, 0}}) {
    ember::kernels::PoolShape s{t.n * t.c, t.h, t.w, t.k, t.s, t.p};
    INFO("k=" << t.k << " stride=" << t.s << " pad=" << t.p << " " << t.h << "x" << t.w);
    auto x = as<T>(random_values(static_cast<std::size_t>(t.n * t.c * t.h * t.w), gen));
    const index_t OH = s.out_h(), OW = s.out_w();
    std::vector<T> out(static_cast<std::size_t>(t.n * t.c * OH * OW));
    std::vector<std::int32_t> arg(out.size());
    ember::kernels::max_pool2d_forward(x.data(), out.data(), arg.data(), s);
    auto g = as<T>(random_values(out.size(), gen));
    std::vector<T> dx(x.size(), T(5)), want_dx(x.size(), T(0));
    ember::kernels::max_pool2d_backward(g.data(), arg.data(), dx.data(), s);
    for (index_t p = 0; p < t.n * t.c; ++p)
      for (index_t oy = 0; oy < OH; ++oy)
        for (index_t ox = 0; ox < OW; ++ox) {
          T best = -std::numeric_limits<T>::infinity();
          index_t at = -1;
          for (index_t i = 0; i < t.k; ++i)
            for (index_t j = 0; j < t.k; ++j) {
              index_t y = oy * t.s - t.p + i, xx = ox * t.s - t.p + j;
              if (y < 0 || y >= t.h || xx < 0 || xx >= t.w) continue;
              T v = x[static_cast<std::size_t>(p * t.h * t.w + y * t.w + xx)];
              if (at < 0 || v > best) best = v, at = y * t.w + xx;
            }
          auto o = static_cast<std::size_t>((p * OH + oy) * OW + ox);
          CHECK(out[o] == best);
          CHECK(arg[o] == at);
          want_dx[static_cast<std::size_t>(p * t.h * t.w + at)] += g[o];
        }
    for (std::size_t i = 0; i < dx.size(); ++i) CHECK(dx[i] == Approx(want_dx[i]).margin(1e-6));
  }
}

TEST_CASE("max_pool2d kernels: first maximum on ties, NaN wins, the same values without argmax", "[kernels][pool]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // One 4x4 plane; windows 2x2 stride 2 (the fast path) and 3x3 stride 1 padding 1 (the general one).
  const std::vector<float> x{1, 1, 0, 5,    //
                             1, 1, nan, 2,  //
                             -3, -1, 7, 7,  //
                             -2, -1, 7, 7};
  ember::kernels::PoolShape fast{1, 4, 4, 2, 2, 0}, general{1, 4, 4, 3, 1, 1};
  for (const auto& s : {fast, general}) {
    const auto n = static_cast<std::size_t>(s.out_h() * s.out_w());
    std::vector<float> out(n), out_without(n);
    std::vector<std::int32_t> arg(n);
    ember::kernels::max_pool2d_forward(x.data(), out.data(), arg.data(), s);
    ember::kernels::max_pool2d_forward(x.data(), out_without.data(), nullptr, s);
    for (std::size_t i = 0; i < n; ++i) {
      INFO("kernel " << s.kernel << ", output " << i);
      CHECK(((std::isnan(out[i]) && std::isnan(out_without[i])) || out[i] == out_without[i]));
      CHECK((std::isnan(out[i]) == std::isnan(x[static_cast<std::size_t>(arg[i])])));
      if (!std::isnan(out[i])) CHECK(out[i] == x[static_cast<std::size_t>(arg[i])]);
    }
    if (s.kernel == 2) {
      CHECK(arg == std::vector<std::int32_t>{0, 6, 9, 10});  // ties: the first in row-major order; NaN at 6
      CHECK(out[0] == 1.0f);
      CHECK(std::isnan(out[1]));
      CHECK(out[2] == -1.0f);
      CHECK(out[3] == 7.0f);
    }
  }
}

TEST_CASE("max_pool2d 2x2 fast path on ties, infinities and signed zeros matches the naive scan", "[kernels][pool]") {
  // Rows wide enough for the vectorised loop (and its remainder); values from a small set, so
  // most windows hold ties; infinities of both signs (a window summing to NaN is redone).
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> choices{0.0f, -0.0f, 1.0f, 1.0f, -1.0f, inf, -inf, 2.0f};
  ember::Generator gen(11);
  ember::kernels::PoolShape s{3, 6, 38, 2, 2, 0};
  std::vector<float> x(static_cast<std::size_t>(s.planes * s.height * s.width));
  for (float& v : x) v = choices[static_cast<std::size_t>(gen.randint(choices.size()))];
  const index_t OH = s.out_h(), OW = s.out_w();
  std::vector<float> out(static_cast<std::size_t>(s.planes * OH * OW)), out_without(out.size());
  std::vector<std::int32_t> arg(out.size());
  ember::kernels::max_pool2d_forward(x.data(), out.data(), arg.data(), s);
  ember::kernels::max_pool2d_forward(x.data(), out_without.data(), nullptr, s);
  for (index_t p = 0; p < s.planes; ++p)
    for (index_t oy = 0; oy < OH; ++oy)
      for (index_t ox = 0; ox < OW; ++ox) {
        const float* plane = x.data() + p * s.height * s.width;
        index_t at = 2 * oy * s.width + 2 * ox;
        for (index_t i = 0; i < 2; ++i)
          for (index_t j = 0; j < 2; ++j) {
            const index_t here = (2 * oy + i) * s.width + 2 * ox + j;
            if (plane[here] > plane[at]) at = here;
          }
        const auto o = static_cast<std::size_t>((p * OH + oy) * OW + ox);
        INFO("plane " << p << " output " << oy << "," << ox);
        CHECK(arg[o] == at);
        CHECK(std::signbit(out[o]) == std::signbit(plane[at]));  // -0 and +0 tie: the first one is kept
        CHECK(out[o] == plane[at]);
        CHECK(std::signbit(out_without[o]) == std::signbit(plane[at]));
        CHECK(out_without[o] == plane[at]);
      }
}

TEST_CASE("relu kernels", "[kernels][activation]") {
  std::vector<float> x{-2, -0.0f, 0, 0.5f, 3, std::numeric_limits<float>::quiet_NaN()}, y(6), dx(6);
  std::vector<float> dy{1, 2, 3, 4, 5, 6};
  ember::kernels::relu_forward(x.data(), y.data(), 6);
  CHECK(y[0] == 0.0f);
  CHECK(y[2] == 0.0f);
  CHECK(y[3] == 0.5f);
  CHECK(y[4] == 3.0f);
  CHECK(std::isnan(y[5]));
  ember::kernels::relu_backward(y.data(), dy.data(), dx.data(), 6);
  CHECK(dx == std::vector<float>{0, 0, 0, 4, 5, 6});
}
