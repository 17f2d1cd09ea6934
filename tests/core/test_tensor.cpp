// Tensor<T>: construction, element access, views, copies, printing, Eigen access.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <sstream>

#include <ember/ember.hpp>

#include "tensor_match.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using ember::Shape;
using ember_test::mismatch;

TEMPLATE_TEST_CASE("factories fill tensors as PyTorch does", "[core][tensor]", float, double) {
  using T = TestType;
  auto z = ember::zeros<T>({2, 3});
  CHECK(z.shape() == Shape{2, 3});
  CHECK(mismatch(z, {0, 0, 0, 0, 0, 0}) == "");
  CHECK(mismatch(ember::ones<T>({3}), {1, 1, 1}) == "");
  CHECK(mismatch(ember::full<T>({2, 2}, T(2.5)), {2.5, 2.5, 2.5, 2.5}) == "");
  CHECK(mismatch(ember::arange<T>(5), {0, 1, 2, 3, 4}) == "");
  CHECK(mismatch(ember::arange<T>(1, 2, 0.25), {1, 1.25, 1.5, 1.75}) == "");
  CHECK(ember::arange<T>(3, 1).numel() == 0);
  CHECK(mismatch(ember::from_vector<T>({1, 2, 3, 4, 5, 6}, {3, 2}), {1, 2, 3, 4, 5, 6}) == "");
  auto s = ember::scalar_tensor<T>(T(4));
  CHECK(s.dim() == 0);
  CHECK(s.item() == T(4));
  CHECK(ember::zeros_like(z).shape() == z.shape());
  CHECK_FALSE(ember::Tensor<T>().defined());
}

TEST_CASE("factory errors name the op and the mismatch", "[core][tensor]") {
  CHECK_THROWS_WITH(ember::from_vector<float>({1, 2, 3}, {2, 2}),
                    Equals("from_vector: shape [2, 2] needs 4 values, got 3"));
  CHECK_THROWS_AS(ember::arange<float>(0, 1, 0), ember::ValueError);
  ember::Generator gen(0);
  CHECK_THROWS_WITH(ember::uniform<float>({2}, 1.0, 0.0, gen),
                    Equals("uniform: expected low <= high, got low=1 high=0"));
  CHECK_THROWS_WITH(ember::Tensor<float>().numel(), Equals("Tensor: use of an undefined tensor"));
}

TEMPLATE_TEST_CASE("random factories are reproducible from the seed", "[core][tensor][random]", float, double) {
  using T = TestType;
  ember::Generator g1(42), g2(42), g3(43);
  auto a = ember::randn<T>({4, 5}, g1), b = ember::randn<T>({4, 5}, g2), c = ember::randn<T>({4, 5}, g3);
  CHECK(a.to_vector() == b.to_vector());
  CHECK(a.to_vector() != c.to_vector());
  auto u = ember::uniform<T>({1000}, -2.0, 3.0, g1);
  CHECK(u.eigen().minCoeff() >= T(-2));
  CHECK(u.eigen().maxCoeff() < T(3));
  auto r = ember::rand<T>({1000}, g1);
  CHECK(r.eigen().minCoeff() >= T(0));
  CHECK(r.eigen().maxCoeff() < T(1));
  CHECK(std::abs(static_cast<double>(r.eigen().mean()) - 0.5) < 0.05);
}

TEST_CASE("element access is bounds-checked", "[core][tensor]") {
  auto t = ember::arange<float>(6).reshape({2, 3});
  CHECK(t.at(1, 2) == 5.0f);
  CHECK(t(0, 1) == 1.0f);
  t.at(0, 0) = 9.0f;
  CHECK(t(0, 0) == 9.0f);
  CHECK_THROWS_WITH(t.at(2, 0), Equals("Tensor::at: index 2 out of range for dimension 0 of size 2 (shape [2, 3])"));
  CHECK_THROWS_WITH(t.at(0), Equals("Tensor::at: expected 2 indices for shape [2, 3], got 1"));
  CHECK_THROWS_AS(t.at(0, -1), ember::IndexError);
#ifndef NDEBUG
  CHECK_THROWS_AS(t(0, 3), ember::IndexError);  // operator() checks only in debug builds
#endif
}

TEST_CASE("item() needs exactly one element", "[core][tensor]") {
  CHECK(ember::full<double>({1, 1}, 3.0).item() == 3.0);
  CHECK_THROWS_WITH(ember::zeros<float>({2}).item(),
                    Equals("Tensor::item: expected a tensor with one element, got shape [2] (2 elements)"));
}

TEST_CASE("reshape and view share storage with their base", "[core][tensor][view]") {
  auto a = ember::arange<float>(12);
  auto b = a.view({3, 4});
  auto c = a.reshape({2, -1, 3});
  CHECK(b.shape() == Shape{3, 4});
  CHECK(c.shape() == Shape{2, 2, 3});
  CHECK(b.shares_storage_with(a));
  CHECK(c.shares_storage_with(a));
  b.at(1, 1) = 100.0f;
  CHECK(a.at(5) == 100.0f);
  CHECK(a.flatten().shape() == Shape{12});
  CHECK(c.flatten(1).shape() == Shape{2, 6});
  CHECK(ember::zeros<float>({2, 3, 4, 5}).flatten(1).shape() == Shape{2, 60});
  CHECK(ember::scalar_tensor<float>(1.0f).reshape({1, 1}).shape() == Shape{1, 1});
}

TEST_CASE("shape errors of view and reshape say what was asked and what there is", "[core][tensor][view]") {
  auto a = ember::arange<float>(12);
  CHECK_THROWS_WITH(a.view({5, -1}), Equals("view: shape [5, -1] is invalid for input of shape [12] (12 elements)"));
  CHECK_THROWS_WITH(a.reshape({5, 2}), Equals("reshape: shape [5, 2] is invalid for input of shape [12] (12 elements)"));
  CHECK_THROWS_WITH(a.view({-1, -1}), Equals("view: only one dimension can be -1, got [-1, -1]"));
  CHECK_THROWS_AS(a.view({1, 2, 1, 6, 1}), ember::ShapeError);
}

TEST_CASE("transpose is a strided view; reshape of it copies in logical order", "[core][tensor][view]") {
  auto a = ember::arange<float>(6).reshape({2, 3});
  auto t = a.t();
  CHECK(t.shape() == Shape{3, 2});
  CHECK_FALSE(t.is_contiguous());
  CHECK(t.shares_storage_with(a));
  CHECK(mismatch(t, {0, 3, 1, 4, 2, 5}) == "");
  CHECK_THROWS_WITH(t.view({6}), Contains("view: input of shape [3, 2] with strides [1, 3] is not contiguous"));
  auto r = t.reshape({6});
  CHECK(r.is_contiguous());
  CHECK_FALSE(r.shares_storage_with(a));
  CHECK(mismatch(r, {0, 3, 1, 4, 2, 5}) == "");
  auto c = t.contiguous();
  CHECK(c.is_contiguous());
  CHECK(mismatch(c, {0, 3, 1, 4, 2, 5}) == "");
  CHECK(a.contiguous().shares_storage_with(a));  // already contiguous: no copy
  auto b4 = ember::arange<float>(24).reshape({2, 3, 4});
  CHECK(b4.transpose(0, 2).shape() == Shape{4, 3, 2});
  CHECK(b4.transpose(0, 2).at(3, 1, 0) == b4.at(0, 1, 3));
  CHECK_THROWS_WITH(b4.t(), Equals("t: expected a tensor with at most 2 dimensions, got shape [2, 3, 4]"));
}

TEST_CASE("clone copies, detach shares, cast converts", "[core][tensor]") {
  auto a = ember::arange<float>(4);
  auto c = a.clone();
  c.at(0) = 7.0f;
  CHECK(a.at(0) == 0.0f);
  auto d = a.detach();
  d.at(1) = 7.0f;
  CHECK(a.at(1) == 7.0f);
  auto x = ember::arange<double>(3);
  x.requires_grad_();
  CHECK_FALSE(x.detach().requires_grad());
  auto f = x.cast<float>();
  CHECK(mismatch(f, {0, 1, 2}) == "");
  CHECK_FALSE(f.requires_grad());
  auto labels = ember::from_vector<std::int64_t>({3, 1, 2});
  CHECK(labels.cast<double>().at(0) == 3.0);
}

TEST_CASE("Eigen maps view the data without copying", "[core][tensor][eigen]") {
  auto a = ember::arange<float>(6).reshape({2, 3});
  CHECK(a.matrix()(1, 2) == 5.0f);
  a.matrix()(0, 0) = -1.0f;
  CHECK(a.at(0, 0) == -1.0f);
  CHECK(a.eigen().sum() == 14.0f);
  CHECK_THROWS_WITH(a.t().eigen(), Equals("Tensor::eigen: tensor of shape [3, 2] is not contiguous; call contiguous() first"));
  CHECK_THROWS_WITH(ember::zeros<float>({2}).matrix(), Equals("Tensor::matrix: expected a 2-D tensor, got shape [2]"));
}

TEST_CASE("tensors print like PyTorch", "[core][tensor][print]") {
  std::ostringstream out;
  out << ember::arange<float>(4).reshape({2, 2});
  CHECK(out.str() == "tensor([[0.0000, 1.0000],\n        [2.0000, 3.0000]], shape=[2, 2])");
  std::ostringstream s;
  s << ember::scalar_tensor<double>(1.5);
  CHECK(s.str() == "tensor(1.5000, shape=[])");
  std::ostringstream g;
  auto x = ember::ones<float>({2});
  x.requires_grad_();
  g << x;
  CHECK(g.str() == "tensor([1.0000, 1.0000], shape=[2], requires_grad=true)");
  std::ostringstream big;
  big << ember::arange<float>(5000);
  CHECK_THAT(big.str(), Contains("2.0000, ..., 4997.0000"));
  std::ostringstream ints;
  ints << ember::from_vector<std::int64_t>({1, 2});
  CHECK(ints.str() == "tensor([1, 2], shape=[2])");
}

TEST_CASE("zeros() is zero-filled; uninitialized() and empty() (torch.empty) are NaN-poisoned in debug builds",
          "[core][tensor][allocator]") {
  auto z = ember::Tensor<float>::zeros({3, 5});
  for (float v : z.to_vector()) CHECK(v == 0.0f);
  auto u = ember::Tensor<double>::uninitialized({4});
  auto e = ember::Tensor<double>::empty({2, 3});
  CHECK(u.shape() == ember::Shape{4});
  CHECK(u.is_contiguous());
  CHECK(e.shape() == ember::Shape{2, 3});
  CHECK(e.is_contiguous());
#ifndef NDEBUG
  for (double v : u.to_vector()) CHECK(std::isnan(v));
  for (double v : e.to_vector()) CHECK(std::isnan(v));
#endif
}

TEST_CASE("large tensor buffers are reused through the cache, within its limit", "[core][tensor][allocator]") {
  const std::size_t limit = ember::tensor_cache_limit();  // 0 under AddressSanitizer
  ember::set_tensor_cache_limit(std::size_t(64) << 20);
  auto& cache = ember::detail::BlockCache::instance();
  const ember::Shape big{1 << 19};  // 2 MB of floats: above the 1 MB threshold
  const float* first = nullptr;
  {
    auto t = ember::Tensor<float>::uninitialized(big);
    first = t.data();
  }
  CHECK(cache.cached_bytes() == (std::size_t(1) << 21));  // kept, not freed
  {
    auto again = ember::Tensor<float>::zeros(big);  // same size: the same block, zero-filled all the same
    CHECK(again.data() == first);
    CHECK(cache.cached_bytes() == 0);
    CHECK(again.to_vector() == std::vector<float>(std::size_t(1) << 19, 0.0f));
  }
  { auto small = ember::Tensor<float>::zeros({100}); }  // below the threshold: never cached
  CHECK(cache.cached_bytes() == (std::size_t(1) << 21));
  ember::release_tensor_cache();
  CHECK(cache.cached_bytes() == 0);

  ember::set_tensor_cache_limit(1 << 20);  // smaller than the block: it is freed, not kept
  { auto t = ember::Tensor<float>::uninitialized(big); }
  CHECK(cache.cached_bytes() == 0);
  ember::set_tensor_cache_limit(limit);
  CHECK(ember::tensor_cache_limit() == limit);
}
