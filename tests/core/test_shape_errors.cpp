// Shape, broadcasting rules, the error types and their messages, Generator, threads, version.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

#include <ember/ember.hpp>

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using ember::Shape;

TEST_CASE("Shape stores rank 0 to 4 and counts elements", "[core][shape]") {
  CHECK(Shape{}.rank() == 0);
  CHECK(Shape{}.numel() == 1);
  Shape s{2, 3, 4, 5};
  CHECK(s.rank() == 4);
  CHECK(s.numel() == 120);
  CHECK(s[2] == 4);
  CHECK(s.size(-1) == 5);
  CHECK(s.to_string() == "[2, 3, 4, 5]");
  CHECK(Shape{0, 3}.numel() == 0);
  CHECK(Shape{2, 3} == Shape{2, 3});
  CHECK(Shape{2, 3} != Shape{3, 2});
  CHECK(ember::contiguous_strides(s) == Shape{60, 20, 5, 1});
}

TEST_CASE("Shape rejects rank above 4 and negative sizes", "[core][shape]") {
  CHECK_THROWS_WITH(Shape({1, 2, 3, 4, 5}), Equals("Shape: rank 5 is not supported (expected at most 4)"));
  CHECK_THROWS_AS(Shape({1, 2, 3, 4, 5}), ember::ShapeError);
  CHECK_THROWS_WITH(Shape({2, -1}), Equals("Shape: negative size -1 in dimension 1"));
  CHECK_THROWS_WITH(Shape({2, 3}).size(2),
                    Equals("Shape::size: dimension 2 out of range for a tensor of shape [2, 3] (expected in [-2, 1])"));
  CHECK_THROWS_AS(Shape({2, 3}).size(-3), ember::IndexError);
}

TEST_CASE("broadcast_shapes follows NumPy rules", "[core][shape]") {
  using ember::broadcast_shapes;
  CHECK(broadcast_shapes(Shape{2, 3}, Shape{3}, "op") == Shape{2, 3});
  CHECK(broadcast_shapes(Shape{4, 1}, Shape{1, 5}, "op") == Shape{4, 5});
  CHECK(broadcast_shapes(Shape{}, Shape{2, 2}, "op") == Shape{2, 2});
  CHECK(broadcast_shapes(Shape{2, 1, 3, 1}, Shape{5, 1, 7}, "op") == Shape{2, 5, 3, 7});
  CHECK_THROWS_WITH(broadcast_shapes(Shape{2, 3}, Shape{4}, "add"),
                    Equals("add: shapes [2, 3] and [4] cannot be broadcast (dimension -1: 3 vs 4)"));
}

TEST_CASE("errors form a hierarchy and keep the op name", "[core][error]") {
  try {
    EMBER_CHECK(1 + 1 == 3, ember::ValueError, "my_op", "expected ", 3, ", got ", 2);
    FAIL("EMBER_CHECK did not throw");
  } catch (const ember::Error& e) {
    CHECK(e.op() == "my_op");
    CHECK(std::string(e.what()) == "my_op: expected 3, got 2");
    CHECK(dynamic_cast<const ember::ValueError*>(&e) != nullptr);
  }
  CHECK_NOTHROW([] { EMBER_CHECK(true, ember::ShapeError, "never", "unused"); }());
  CHECK_THROWS_AS(throw ember::FormatError("read_idx", "bad magic"), std::runtime_error);
  CHECK_THROWS_AS(throw ember::IndexError("at", "out of range"), ember::Error);
}

TEST_CASE("Generator is deterministic for a seed and differs across seeds", "[core][random]") {
  ember::Generator a(7), b(7), c(8);
  for (int i = 0; i < 100; ++i) {
    auto x = a.next_u64();
    CHECK(x == b.next_u64());
    CHECK(x != c.next_u64());
  }
  a.manual_seed(3);
  b.manual_seed(3);
  CHECK(a.normal() == b.normal());
}

TEST_CASE("Generator state can be saved and restored", "[core][random]") {
  ember::Generator g(11);
  g.uniform();
  auto state = g.state();
  double first = g.uniform();
  g.set_state(state);
  CHECK(g.uniform() == first);
  CHECK_THROWS_AS(g.set_state({0, 0, 0, 0}), ember::ValueError);
}

TEST_CASE("Generator distributions have the right moments and ranges", "[core][random]") {
  ember::Generator g(123);
  const int n = 200000;
  double sum = 0, sum_sq = 0, umin = 1, umax = 0;
  for (int i = 0; i < n; ++i) {
    double z = g.normal();
    sum += z;
    sum_sq += z * z;
    double u = g.uniform();
    umin = std::min(umin, u);
    umax = std::max(umax, u);
  }
  CHECK(std::abs(sum / n) < 0.01);
  CHECK(std::abs(sum_sq / n - 1.0) < 0.02);
  CHECK(umin >= 0.0);
  CHECK(umax < 1.0);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 30000; ++i) counts[g.randint(3)]++;
  for (int c : counts) CHECK(std::abs(c - 10000) < 500);
  CHECK_THROWS_WITH(g.randint(0), Equals("Generator::randint: expected n > 0, got 0"));
}

TEST_CASE("set_num_threads changes the thread count and rejects nonsense", "[core][parallel]") {
  int before = ember::get_num_threads();
  CHECK(before >= 1);
  ember::set_num_threads(1);
  CHECK(ember::get_num_threads() == 1);
  ember::set_num_threads(2);
  CHECK(ember::get_num_threads() == 2);
  CHECK_THROWS_WITH(ember::set_num_threads(0), Equals("set_num_threads: expected at least 1 thread, got 0"));
  ember::set_num_threads(before);
}

TEST_CASE("the header version matches the CMake project version", "[core]") {
  CHECK(std::string(ember::version()) == EMBER_EXPECTED_VERSION);
}

// Run by ctest as "threads.omp_num_threads" with OMP_NUM_THREADS=3 in the environment
// (hidden from the default run, where the variable is not set).
TEST_CASE("the default thread count follows OMP_NUM_THREADS", "[.omp_env]") {
  const char* env = std::getenv("OMP_NUM_THREADS");
  REQUIRE(env != nullptr);
  CHECK(ember::get_num_threads() == std::atoi(env));
}
