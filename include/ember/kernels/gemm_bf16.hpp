#pragma once
// bf16 mixed-precision GEMM: C[m x n] = op(A) op(B) (+ C), the operands rounded to bf16 (round
// to nearest even, kernels/bf16.hpp) while they are packed, the products accumulated in float32.
//
// Layout (the dot-product instruction multiplies pairs along k, vdpbf16ps):
//  - A becomes a bf16 row-major copy [m x 2*pairs] (k padded with a zero to even); the
//    micro-kernel broadcasts one 32-bit pair A[i][2p..2p+1] per row.
//  - B is packed per panel of kPanel = 32 columns: word [p][j] holds B[2p][j] (low half) and
//    B[2p+1][j] (high half), so one 64-byte load gives 16 columns' pairs.
//  - The micro-kernel keeps kRows x 32 float accumulators (24 of the 32 vector registers) and
//    walks k in chunks of kPairsPerChunk pairs, so the B panel chunk stays in L1.
// Each C element is summed in the same order (k ascending, the high half of a pair before the
// low half, as the instruction does) by one thread, on every path: the AVX512_BF16 path and
// the portable one give the same bits (but for sums that fall into float32's denormal range,
// which the instruction flushes to zero), and the thread count never changes a result.
//
// Paths, chosen at run time (a header-only library cannot rely on the consumer's -march):
// Intel AMX tiles where the CPU has them and Linux grants the tile state (arch_prctl), else
// AVX512_BF16, else portable C++ (function target attributes, __builtin_cpu_supports).
// force_bf16_path() pins one, so that tests exercise the fallback on every machine.
//
// The AMX path (tdpbf16ps) reuses the B panels above, whose words are already the tile layout
// the instruction wants (row p of a B tile = 16 columns' pairs p), and A's bf16 rows, copied
// with k padded to whole tiles of 16 pairs. A block of 32 x 32 outputs lives in four C tiles
// (two A tiles times two B tiles) over the whole of k. The instruction sums a pair low half
// first and its rounding is the hardware's, so this path agrees with the others within float32
// rounding, not bit for bit; it too is deterministic and independent of the thread count.
// Bf16Path::amx_emulated runs the same blocking with the tile instructions done in C++ (Intel's
// pseudo-code of tdpbf16ps), so that every machine tests the AMX path's packing and edges.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ember/core/error.hpp"
#include "ember/core/parallel.hpp"
#include "ember/core/shape.hpp"
#include "ember/kernels/bf16.hpp"
#include "ember/kernels/workspace.hpp"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <cpuid.h>
#include <immintrin.h>
#define EMBER_HAVE_X86_BF16_PATH 1
#define EMBER_TARGET_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))
#define EMBER_TARGET_AMX __attribute__((target("avx512f,avx512bw,avx512bf16,amx-tile,amx-bf16")))
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#else
#define EMBER_HAVE_X86_BF16_PATH 0
#endif

namespace ember::kernels {

// amx_emulated: the AMX path's packing and blocking with the tile instructions carried out in
// C++ (slow; for tests, on every CPU).
enum class Bf16Path { automatic, portable, amx_emulated, avx512_bf16, amx };

inline const char* to_string(Bf16Path p) {
  switch (p) {
    case Bf16Path::portable: return "portable";
    case Bf16Path::amx_emulated: return "amx_emulated";
    case Bf16Path::avx512_bf16: return "avx512_bf16";
    case Bf16Path::amx: return "amx";
    default: return "automatic";
  }
}

// Whether this CPU can run the AVX512_BF16 path.
inline bool cpu_has_avx512_bf16() {
#if EMBER_HAVE_X86_BF16_PATH
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512bf16");
  return has;
#else
  return false;
#endif
}

namespace detail {
// CPUID leaf 7: AMX-BF16 and AMX-TILE (EDX bits 22 and 24). Read directly: clang 14's
// __builtin_cpu_supports does not know the AMX feature names.
inline bool cpuid_has_amx_bf16() {
#if EMBER_HAVE_X86_BF16_PATH
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  constexpr unsigned kAmxBf16 = 1u << 22, kAmxTile = 1u << 24;
  return (edx & kAmxBf16) != 0 && (edx & kAmxTile) != 0;
#else
  return false;
#endif
}

// Asks Linux for the AMX tile data state (off by default for every process since Linux 5.16;
// without it the first tile instruction faults). Permission is process-wide.
inline bool request_amx_tile_state() {
#if EMBER_HAVE_X86_BF16_PATH && defined(__linux__) && defined(SYS_arch_prctl)
  constexpr long kArchReqXcompPerm = 0x1023;  // ARCH_REQ_XCOMP_PERM, <asm/prctl.h>
  constexpr long kXfeatureXtileData = 18;     // XFEATURE_XTILEDATA
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtileData) == 0;
#else
  return false;
#endif
}
}  // namespace detail

// Whether this CPU has AMX tiles with bf16 (and AVX512_BF16, which packs for them) and Linux
// lets this process use them. The first call asks Linux for the tile state.
inline bool cpu_has_amx_bf16() {
#if EMBER_HAVE_X86_BF16_PATH
  static const bool has = cpu_has_avx512_bf16() && detail::cpuid_has_amx_bf16() && detail::request_amx_tile_state();
  return has;
#else
  return false;
#endif
}

namespace detail {
inline Bf16Path& forced_bf16_path() {
  static Bf16Path path = Bf16Path::automatic;
  return path;
}
}  // namespace detail

// Pins the path of every bf16 GEMM (automatic: the fastest the CPU has). Not thread-safe: call
// it while no GEMM runs (tests, benchmarks). Throws ValueError for a path the CPU lacks.
inline void force_bf16_path(Bf16Path path) {
  EMBER_CHECK(path != Bf16Path::avx512_bf16 || cpu_has_avx512_bf16(), ValueError, "force_bf16_path",
              "this CPU has no AVX512_BF16 instructions");
  EMBER_CHECK(path != Bf16Path::amx || cpu_has_amx_bf16(), ValueError, "force_bf16_path",
              "this CPU (or Linux, for this process) offers no AMX bf16 tiles");
  detail::forced_bf16_path() = path;
}

// The paths this machine can run, slowest first: portable and amx_emulated always, then
// avx512_bf16 and amx where the CPU has them (what tests iterate over).
inline std::vector<Bf16Path> available_bf16_paths() {
  std::vector<Bf16Path> paths{Bf16Path::portable, Bf16Path::amx_emulated};
  if (cpu_has_avx512_bf16()) paths.push_back(Bf16Path::avx512_bf16);
  if (cpu_has_amx_bf16()) paths.push_back(Bf16Path::amx);
  return paths;
}

// The path the next bf16 GEMM takes.
inline Bf16Path active_bf16_path() {
  const Bf16Path forced = detail::forced_bf16_path();
  if (forced != Bf16Path::automatic) return forced;
  if (cpu_has_amx_bf16()) return Bf16Path::amx;
  return cpu_has_avx512_bf16() ? Bf16Path::avx512_bf16 : Bf16Path::portable;
}

namespace bf16_gemm {

inline constexpr index_t kRows = 12;            // rows of C per micro-kernel call
inline constexpr index_t kPanel = 32;           // columns of C per micro-kernel call (two vectors)
inline constexpr index_t kPairsPerChunk = 192;  // k pairs per pass: a 24 KB B chunk stays in L1

// Element (i, j) of a float matrix at data[i * row_stride + j * col_stride].
struct View {
  const float* data;
  index_t row_stride, col_stride;
  float at(index_t i, index_t j) const { return data[i * row_stride + j * col_stride]; }
};

// dst [rows x 2*pairs] bf16, row-major, from src (zero beyond src's `cols`).
inline void convert_rows_portable(View src, index_t rows, index_t cols, index_t pairs, bf16_bits* dst) {
  const index_t ld = 2 * pairs;
  for (index_t i = 0; i < rows; ++i) {
    bf16_bits* row = dst + i * ld;
    for (index_t j = 0; j < cols; ++j) row[j] = to_bf16(src.at(i, j));
    std::fill(row + cols, row + ld, bf16_bits(0));
  }
}

// panel [pairs x kPanel] words: B[2p][j0 + j] | B[2p + 1][j0 + j] << 16, zero outside B.
inline void pack_panel_portable(View b, index_t k, index_t j0, index_t cols, index_t pairs, std::uint32_t* panel) {
  for (index_t p = 0; p < pairs; ++p)
    for (index_t j = 0; j < kPanel; ++j) {
      const bool inside = j < cols;
      const float lo = inside ? b.at(2 * p, j0 + j) : 0.0f;
      const float hi = inside && 2 * p + 1 < k ? b.at(2 * p + 1, j0 + j) : 0.0f;
      panel[p * kPanel + j] = bf16_pair(lo, hi);
    }
}

// The instruction's order: the high pair product first, then the low one (each exact in float).
inline float dot_pair(float acc, std::uint32_t a, std::uint32_t b) {
  acc += from_bf16(static_cast<bf16_bits>(a >> 16)) * from_bf16(static_cast<bf16_bits>(b >> 16));
  acc += from_bf16(static_cast<bf16_bits>(a & 0xFFFFu)) * from_bf16(static_cast<bf16_bits>(b & 0xFFFFu));
  return acc;
}

// C[rows x cols] = (C +) the sum over this chunk of A rows (pairs words each, row stride lda words) x panel chunk.
inline void micro_portable(index_t pairs, const std::uint32_t* a, index_t lda, index_t rows, const std::uint32_t* panel,
                           float* c, index_t ldc, index_t cols, bool load_c) {
  for (index_t i = 0; i < rows; ++i) {
    float acc[kPanel] = {};
    for (index_t p = 0; p < pairs; ++p) {
      const std::uint32_t av = a[i * lda + p];
      for (index_t j = 0; j < kPanel; ++j) acc[j] = dot_pair(acc[j], av, panel[p * kPanel + j]);
    }
    for (index_t j = 0; j < cols; ++j) c[i * ldc + j] = load_c ? c[i * ldc + j] + acc[j] : acc[j];
  }
}

#if EMBER_HAVE_X86_BF16_PATH
// Row-major float rows -> bf16 rows, 32 at a time with the conversion instruction.
EMBER_TARGET_AVX512_BF16 inline void convert_rows_avx512(View src, index_t rows, index_t cols, index_t pairs,
                                                         bf16_bits* dst) {
  if (src.col_stride != 1) {
    convert_rows_portable(src, rows, cols, pairs, dst);
    return;
  }
  const index_t ld = 2 * pairs;
  for (index_t i = 0; i < rows; ++i) {
    const float* row = src.data + i * src.row_stride;
    bf16_bits* out = dst + i * ld;
    for (index_t j = 0; j < ld; j += 32) {
      const index_t left = cols - j;
      const __mmask16 lo_mask = left >= 16 ? 0xFFFF : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
      const __mmask16 hi_mask = left >= 32 ? 0xFFFF : left <= 16 ? 0 : static_cast<__mmask16>((1u << (left - 16)) - 1);
      const __m512 lo = _mm512_maskz_loadu_ps(lo_mask, row + j), hi = _mm512_maskz_loadu_ps(hi_mask, row + j + 16);
      const __m512i words = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
      const index_t store = std::min<index_t>(32, ld - j);
      _mm512_mask_storeu_epi16(out + j, store >= 32 ? ~__mmask32(0) : static_cast<__mmask32>((1u << store) - 1), words);
    }
  }
}

// Packs a panel from B stored row-major along n (col_stride 1): rows 2p and 2p+1 are loaded
// 16 columns at a time, converted together and interleaved into pairs.
EMBER_TARGET_AVX512_BF16 inline void pack_panel_rows_avx512(View b, index_t k, index_t j0, index_t cols,
                                                            index_t pairs, std::uint32_t* panel) {
  // Word j of the result takes bf16 j of the low row and bf16 j of the high row.
  alignas(64) static const std::uint16_t interleave_index[32] = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                                                 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i interleave = _mm512_load_si512(interleave_index);
  for (index_t half = 0; half < 2; ++half) {
    const index_t left = cols - 16 * half;
    const __mmask16 mask = left >= 16 ? 0xFFFF : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
    const float* base = b.data + (j0 + 16 * half) * b.col_stride;
    for (index_t p = 0; p < pairs; ++p) {
      const __m512 lo = _mm512_maskz_loadu_ps(mask, base + 2 * p * b.row_stride);
      const __m512 hi = 2 * p + 1 < k ? _mm512_maskz_loadu_ps(mask, base + (2 * p + 1) * b.row_stride) : _mm512_setzero_ps();
      const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);  // 16 low-row bf16, then 16 high-row bf16
      _mm512_storeu_si512(panel + p * kPanel + 16 * half, _mm512_permutexvar_epi16(interleave, both));
    }
  }
}

// Packs a panel from a bf16 copy of B^T (row j of the copy is column j of B, pairs adjacent):
// one gather of 16 words per half panel and pair.
EMBER_TARGET_AVX512_BF16 inline void pack_panel_gather_avx512(const std::uint32_t* bt, index_t ld_words, index_t cols,
                                                              index_t pairs, std::uint32_t* panel) {
  for (index_t half = 0; half < 2; ++half) {
    const index_t left = cols - 16 * half;
    const __mmask16 mask = left >= 16 ? 0xFFFF : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
    const __m512i offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                               _mm512_set1_epi32(static_cast<int>(ld_words)));
    const std::uint32_t* base = bt + 16 * half * ld_words;
    for (index_t p = 0; p < pairs; ++p) {
      const __m512i words = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, offsets, base + p, 4);
      _mm512_storeu_si512(panel + p * kPanel + 16 * half, words);
    }
  }
}

// Rows x 32 accumulators (Rows <= kRows); rows beyond `rows` repeat the last row and are not stored.
template <index_t Rows>
EMBER_TARGET_AVX512_BF16 inline void micro_avx512_rows(index_t pairs, const std::uint32_t* a, index_t lda, index_t rows,
                                                       const std::uint32_t* panel, float* c, index_t ldc, index_t cols,
                                                       bool load_c) {
  const std::uint32_t* row[Rows];
  for (index_t i = 0; i < Rows; ++i) row[i] = a + std::min(i, rows - 1) * lda;
  __m512 acc[Rows][2];
  for (index_t i = 0; i < Rows; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (index_t p = 0; p < pairs; ++p) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(panel + p * kPanel);
    const __m512bh b1 = (__m512bh)_mm512_loadu_si512(panel + p * kPanel + 16);
    for (index_t i = 0; i < Rows; ++i) {
      const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(row[i][p]));
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], av, b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], av, b1);
    }
  }
  const __mmask16 m0 = cols >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : static_cast<__mmask16>((1u << (cols - 16)) - 1);
  for (index_t i = 0; i < rows; ++i) {
    float* out = c + i * ldc;
    __m512 v0 = acc[i][0], v1 = acc[i][1];
    if (load_c) {  // C + (sum over this chunk): the chunk's sum is added once, in k order
      v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, out), v0);
      v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, out + 16), v1);
    }
    _mm512_mask_storeu_ps(out, m0, v0);
    _mm512_mask_storeu_ps(out + 16, m1, v1);
  }
}

// The micro-kernel for a block of `rows` <= kRows rows: the last block of a matrix whose m is
// not a multiple of kRows takes the smallest kernel that covers it (m = 64 = 5 x 12 + 4 would
// otherwise compute 72 rows). Every variant sums each element in the same order.
EMBER_TARGET_AVX512_BF16 inline void micro_avx512(index_t pairs, const std::uint32_t* a, index_t lda, index_t rows,
                                                  const std::uint32_t* panel, float* c, index_t ldc, index_t cols,
                                                  bool load_c) {
  static_assert(kRows == 12, "the row variants below cover 1..12 rows");
  if (rows > 8)
    micro_avx512_rows<12>(pairs, a, lda, rows, panel, c, ldc, cols, load_c);
  else if (rows > 4)
    micro_avx512_rows<8>(pairs, a, lda, rows, panel, c, ldc, cols, load_c);
  else
    micro_avx512_rows<4>(pairs, a, lda, rows, panel, c, ldc, cols, load_c);
}
#endif

// ---- AMX: 32 x 32 blocks of C in four tiles -------------------------------------------------
inline constexpr index_t kTilePairs = 16;  // k pairs per tile step: a tile row is 64 bytes
inline constexpr index_t kAmxRows = 32;    // rows of C per block (two A tiles of 16 rows)

inline index_t round_up(index_t value, index_t step) { return (value + step - 1) / step * step; }

// C block [32 x 32] (row stride ldc) = (C +) A [32 rows x kp pairs, row stride lda words] x
// panel [kp x kPanel words], kp a multiple of kTilePairs: what the tiles compute, in C++, in the
// order of Intel's pseudo-code of tdpbf16ps (per k step, per pair: the low half, then the high).
inline void amx_block_emulated(const std::uint32_t* a, index_t lda, const std::uint32_t* panel, index_t kp, float* c,
                               index_t ldc, bool load_c) {
  for (index_t i = 0; i < kAmxRows; ++i)
    for (index_t j = 0; j < kPanel; ++j) {
      float acc = load_c ? c[i * ldc + j] : 0.0f;
      for (index_t p = 0; p < kp; ++p) {
        const std::uint32_t av = a[i * lda + p], bv = panel[p * kPanel + j];
        acc += from_bf16(static_cast<bf16_bits>(av & 0xFFFFu)) * from_bf16(static_cast<bf16_bits>(bv & 0xFFFFu));
        acc += from_bf16(static_cast<bf16_bits>(av >> 16)) * from_bf16(static_cast<bf16_bits>(bv >> 16));
      }
      c[i * ldc + j] = acc;
    }
}

#if EMBER_HAVE_X86_BF16_PATH
// The tile shapes of the block kernel: tiles 0-3 hold C (16 rows x 16 floats), 4-5 A (16 rows x
// 16 pairs), 6-7 B (16 pairs x 16 columns' pairs); each row is 64 bytes. Loaded per thread
// before its first block (the tile configuration is per-thread state). The configuration is a
// static table: gcc's _tile_loadconfig tells the compiler it reads 8 bytes, so a local struct's
// other stores could be dropped as dead.
EMBER_TARGET_AMX inline void amx_configure_tiles() {
  // palette 1; bytes 16-47: bytes per row of tiles 0-15 (uint16); bytes 48-63: rows per tile.
  alignas(64) static const std::uint8_t config[64] = {
      1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,   // palette, start row, reserved
      64, 0,  64, 0,  64, 0,  64, 0,  64, 0,  64, 0,  64, 0,  64, 0,   // tiles 0-7: 64 bytes per row
      0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,   // tiles 8-15: unused
      16, 16, 16, 16, 16, 16, 16, 16, 0,  0,  0,  0,  0,  0,  0,  0};  // rows of tiles 0-7
  _tile_loadconfig(config);
}

EMBER_TARGET_AMX inline void amx_release_tiles() { _tile_release(); }

// amx_block_emulated's contract, on the tiles (tile numbers are immediates, hence no loops).
EMBER_TARGET_AMX inline void amx_block(const std::uint32_t* a, index_t lda, const std::uint32_t* panel, index_t kp,
                                       float* c, index_t ldc, bool load_c) {
  // The tile loads are asm that does not tell the compiler it reads memory: the packed operands
  // and C must be stored before them.
  __asm__ volatile("" ::: "memory");
  const long c_stride = static_cast<long>(ldc * sizeof(float)), a_stride = static_cast<long>(lda * 4);
  constexpr long b_stride = kPanel * 4;
  float* c_low = c + 16 * ldc;
  if (load_c) {
    _tile_loadd(0, c, c_stride);
    _tile_loadd(1, c + 16, c_stride);
    _tile_loadd(2, c_low, c_stride);
    _tile_loadd(3, c_low + 16, c_stride);
  } else {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  }
  for (index_t p = 0; p < kp; p += kTilePairs) {
    _tile_loadd(4, a + p, a_stride);
    _tile_loadd(5, a + 16 * lda + p, a_stride);
    _tile_loadd(6, panel + p * kPanel, b_stride);
    _tile_loadd(7, panel + p * kPanel + 16, b_stride);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, c, c_stride);
  _tile_stored(1, c + 16, c_stride);
  _tile_stored(2, c_low, c_stride);
  _tile_stored(3, c_low + 16, c_stride);
}
#endif

// A [m x pairs words] -> [round_up(m, 32) x kp words] with zeros beyond m and pairs, so that
// every tile load reads inside the copy and the padding adds exact zeros.
inline void pad_rows_for_tiles(const std::uint32_t* a, index_t m, index_t pairs, index_t kp, std::uint32_t* out) {
  const index_t rows = round_up(m, kAmxRows);
  for (index_t i = 0; i < rows; ++i) {
    std::uint32_t* row = out + i * kp;
    if (i < m) std::copy(a + i * pairs, a + (i + 1) * pairs, row);
    std::fill(row + (i < m ? pairs : 0), row + kp, 0u);
  }
}

// One panel of C (columns j0 .. j0 + cols) on the tiles (or their emulation): full blocks read
// and write C in place, a block cut by the edge of C goes through a 32 x 32 scratch block.
inline void amx_panel(bool hardware, const std::uint32_t* a_padded, index_t m, index_t kp, const std::uint32_t* panel,
                      float* c, index_t ldc, index_t cols, bool accumulate, float* scratch) {
  for (index_t i0 = 0; i0 < m; i0 += kAmxRows) {
    const index_t rows = std::min(kAmxRows, m - i0);
    const bool whole = rows == kAmxRows && cols == kPanel;
    float* out = whole ? c + i0 * ldc : scratch;
    const index_t ld = whole ? ldc : kPanel;
    if (!whole && accumulate) {
      std::fill(scratch, scratch + kAmxRows * kPanel, 0.0f);
      for (index_t i = 0; i < rows; ++i) std::copy(c + (i0 + i) * ldc, c + (i0 + i) * ldc + cols, scratch + i * kPanel);
    }
    const std::uint32_t* a_block = a_padded + i0 * kp;
#if EMBER_HAVE_X86_BF16_PATH
    if (hardware)
      amx_block(a_block, kp, panel, kp, out, ld, accumulate);
    else
#endif
      amx_block_emulated(a_block, kp, panel, kp, out, ld, accumulate);
    (void)hardware;
    if (!whole)
      for (index_t i = 0; i < rows; ++i) std::copy(scratch + i * kPanel, scratch + i * kPanel + cols, c + (i0 + i) * ldc);
  }
}

}  // namespace bf16_gemm

// op(A) [m x k] as bf16 rows of `pairs` = ceil(k / 2) words each, ready for gemm_bf16: a
// convolution converts its weights once per call instead of once per sample.
struct Bf16Rows {
  const std::uint32_t* words;  // m * pairs words, row i at words + i * pairs
  index_t m, k, pairs;
};

inline index_t bf16_pairs(index_t k) { return (k + 1) / 2; }

// Converts op(A) (A stored [m x k], or [k x m] when trans_a, row-major) into `words`, which
// must hold m * bf16_pairs(k) words. Returns the view gemm_bf16 takes.
inline Bf16Rows to_bf16_rows(const float* a, bool trans_a, index_t m, index_t k, std::uint32_t* words) {
  using namespace bf16_gemm;
  const index_t pairs = bf16_pairs(k);
  auto* out = reinterpret_cast<bf16_bits*>(words);
#if EMBER_HAVE_X86_BF16_PATH
  const Bf16Path path = active_bf16_path();
  if ((path == Bf16Path::avx512_bf16 || path == Bf16Path::amx) && !trans_a) {
    convert_rows_avx512(View{a, k, 1}, m, k, pairs, out);
    return {words, m, k, pairs};
  }
#endif
  convert_rows_portable(View{a, trans_a ? 1 : k, trans_a ? m : 1}, m, k, pairs, out);
  return {words, m, k, pairs};
}

// C[m x n] = A * op(B) (+ C when accumulate) for A already in bf16 rows (to_bf16_rows); B is
// stored [k x n] (or [n x k] when trans_b), row-major. The products are summed in float32 (see
// the top of this file). Output columns are split over the threads in whole panels when called
// outside a parallel region; inside one (a per-sample convolution) it runs on the calling thread.
inline void gemm_bf16(const Bf16Rows& a, const float* b, bool trans_b, float* c, index_t n,
                      bool accumulate = false) {
  using namespace bf16_gemm;
  const index_t m = a.m, k = a.k, pairs = a.pairs;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) std::fill(c, c + m * n, 0.0f);
    return;
  }
  const Bf16Path path = active_bf16_path();
  const bool vector_path = path == Bf16Path::avx512_bf16 || path == Bf16Path::amx;  // AVX-512 packing
  const bool tiles = path == Bf16Path::amx || path == Bf16Path::amx_emulated;
  // The tile paths walk k in whole tiles: panels and A rows padded with zero pairs to kp.
  const index_t kp = tiles ? round_up(pairs, kTilePairs) : pairs;
  const View B{b, trans_b ? 1 : n, trans_b ? k : 1};
  const index_t panels = (n + kPanel - 1) / kPanel;
  const double work_per_panel = 2.0 * static_cast<double>(m) * static_cast<double>(k) * kPanel;
  parallel_blocks(panels, work_per_panel, [&](index_t first, index_t last, int) {
    std::uint32_t* panel = thread_workspace<std::uint32_t>(static_cast<std::size_t>(kp * kPanel), 0);
    std::uint32_t* a_padded = nullptr;
    float* scratch = nullptr;
    if (tiles) {
      a_padded = thread_workspace<std::uint32_t>(static_cast<std::size_t>(round_up(m, kAmxRows) * kp), 3);
      pad_rows_for_tiles(a.words, m, pairs, kp, a_padded);
      scratch = thread_workspace<float>(static_cast<std::size_t>(kAmxRows * kPanel), 2);
      std::fill(panel + pairs * kPanel, panel + kp * kPanel, 0u);  // packing never writes these rows
#if EMBER_HAVE_X86_BF16_PATH
      if (path == Bf16Path::amx) amx_configure_tiles();
#endif
    }
    for (index_t q = first; q < last; ++q) {
      const index_t j0 = q * kPanel, cols = std::min(kPanel, n - j0);
#if EMBER_HAVE_X86_BF16_PATH
      if (vector_path && trans_b) {
        // B stored [n x k]: the panel's rows of B^T become bf16 rows (on this thread), then
        // a gather takes each pair's 16 columns at once.
        auto* rows = thread_workspace<std::uint32_t>(static_cast<std::size_t>(kPanel * pairs), 2);
        convert_rows_avx512(View{b + j0 * k, k, 1}, cols, k, pairs, reinterpret_cast<bf16_bits*>(rows));
        pack_panel_gather_avx512(rows, pairs, cols, pairs, panel);
      } else if (vector_path)
        pack_panel_rows_avx512(B, k, j0, cols, pairs, panel);
      else
#endif
        pack_panel_portable(B, k, j0, cols, pairs, panel);
      if (tiles) {
        amx_panel(path == Bf16Path::amx, a_padded, m, kp, panel, c + j0, n, cols, accumulate, scratch);
        continue;
      }
      for (index_t p0 = 0; p0 < pairs; p0 += kPairsPerChunk) {
        const index_t chunk = std::min(kPairsPerChunk, pairs - p0);
        const bool load_c = accumulate || p0 > 0;
        for (index_t i0 = 0; i0 < m; i0 += kRows) {
          const index_t rows = std::min(kRows, m - i0);
          const std::uint32_t* a_rows = a.words + i0 * pairs + p0;
          float* c_tile = c + i0 * n + j0;
#if EMBER_HAVE_X86_BF16_PATH
          if (vector_path)
            micro_avx512(chunk, a_rows, pairs, rows, panel + p0 * kPanel, c_tile, n, cols, load_c);
          else
#endif
            micro_portable(chunk, a_rows, pairs, rows, panel + p0 * kPanel, c_tile, n, cols, load_c);
        }
      }
    }
#if EMBER_HAVE_X86_BF16_PATH
    if (path == Bf16Path::amx) amx_release_tiles();
#endif
  });
}

// C[m x n] = op(A) * op(B) (+ C when accumulate), op transposing when asked; A is stored [m x k]
// (or [k x m] when trans_a), B [k x n] (or [n x k] when trans_b), all row-major, as gemm().
// The operands are rounded to bf16, the products summed in float32; A is converted into this
// thread's workspace first (to_bf16_rows), then as above.
inline void gemm_bf16(const float* a, bool trans_a, const float* b, bool trans_b, float* c, index_t m, index_t k,
                      index_t n, bool accumulate = false) {
  std::uint32_t* words = thread_workspace<std::uint32_t>(static_cast<std::size_t>(m * bf16_pairs(k)), 1);
  gemm_bf16(to_bf16_rows(a, trans_a, m, k, words), b, trans_b, c, n, accumulate);
}

}  // namespace ember::kernels
