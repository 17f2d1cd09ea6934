#pragma once
// The IDX file format of MNIST (unsigned bytes only), raw or gzip-compressed:
//
//   offset 0   0x00 0x00 0x08 ndim      magic: two zero bytes, type 0x08 (unsigned byte), rank 1..4
//   offset 4   ndim x uint32 big-endian the dimensions, outermost first
//   then       prod(dims) bytes         the data, row-major, nothing after it
//
// read_idx validates everything before it trusts it. Memory is never sized from the header
// alone: a raw file's declared size is checked against the real file size before the data is
// allocated; a gzip stream is decompressed in chunks, the buffer growing only with bytes that
// really arrived and reading stops one byte past the declared size. So a lying header or a
// "gzip bomb" costs at most what the header declares and the file actually holds, and the
// header may declare at most max_bytes (1 GiB by default; MNIST's largest file is 47 MB).
//
// Needs zlib (link with -lz, or ZLIB::ZLIB in CMake).

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "ember/core/error.hpp"
#include "ember/core/shape.hpp"
#include "ember/data/byte_fields.hpp"

namespace ember::data {

// The largest data size read_idx accepts unless told otherwise.
inline constexpr index_t kIdxDefaultMaxBytes = index_t(1) << 30;

// An IDX array of unsigned bytes: dims (outermost first) and the data in row-major order.
struct IdxArray {
  std::vector<index_t> dims;
  std::vector<std::uint8_t> data;

  index_t numel() const {
    index_t n = 1;
    for (index_t d : dims) n *= d;
    return n;
  }
};

namespace detail {

inline constexpr const char* kIdxOp = "read_idx";

template <class... Parts>
[[noreturn]] void idx_error(const std::string& path, const Parts&... parts) {
  ::ember::detail::throw_error<FormatError>(kIdxOp, path, ": ", parts...);
}

inline std::string dims_to_string(const std::vector<index_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// A byte stream over a raw file or, transparently, the decompressed content of a gzip file.
// read() fills up to n bytes, fewer only at the end of the stream; errors throw.
class IdxStream {
 public:
  explicit IdxStream(const std::string& path) : path_(path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status))
      idx_error(path, "cannot open: ", ec ? ec.message() : std::generic_category().message(ENOENT));
    if (fs::is_directory(status)) idx_error(path, "is a directory, expected an IDX file");
    // Pipes and devices are refused: the size check and the gzip sniffing below need a file.
    if (!fs::is_regular_file(status)) idx_error(path, "not a regular file, expected an IDX file");

    raw_.reset(std::fopen(path.c_str(), "rb"));
    if (!raw_) idx_error(path, "cannot open: ", std::generic_category().message(errno));
    const auto size = fs::file_size(path, ec);
    if (ec) idx_error(path, "cannot read the file size: ", ec.message());
    file_size_ = static_cast<std::int64_t>(size);

    // gzip's magic is 1f 8b; an IDX file starts with 00 00, so the two never collide.
    std::uint8_t magic[2] = {0, 0};
    const std::size_t got = std::fread(magic, 1, 2, raw_.get());
    std::rewind(raw_.get());
    if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      gz_ = std::make_unique<GzipState>();
      // 16 + MAX_WBITS: a gzip wrapper only; inflate then checks each member's CRC-32 and length.
      if (inflateInit2(&gz_->stream, 16 + MAX_WBITS) != Z_OK) idx_error(path, "cannot start the gzip decoder");
      gz_->initialised = true;
    }
  }

  bool gzip() const { return gz_ != nullptr; }
  const std::string& path() const { return path_; }
  // Size of a raw file in bytes; -1 for a gzip stream (its decompressed size is unknown).
  std::int64_t raw_file_size() const { return gzip() ? -1 : file_size_; }

  std::size_t read(std::uint8_t* dst, std::size_t n) {
    return gzip() ? read_gzip(dst, n) : read_raw(dst, n);
  }

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  // zlib's inflate over the raw file. Not zlib's gz* file API: once the last data byte was read,
  // it took a member whose 8-byte trailer (CRC-32 and length) was cut short or missing for a
  // clean end of file (MNIST's image files), whereas inflate returns Z_STREAM_END only after
  // it has verified the trailer.
  struct GzipState {
    z_stream stream{};
    bool initialised = false;
    bool finished = false;  // a complete member ended and nothing but garbage (or nothing) follows
    std::vector<std::uint8_t> input = std::vector<std::uint8_t>(std::size_t(1) << 17);
    ~GzipState() {
      if (initialised) inflateEnd(&stream);
    }
  };

  std::size_t read_raw(std::uint8_t* dst, std::size_t n) {
    const std::size_t got = std::fread(dst, 1, n, raw_.get());
    if (got < n && std::ferror(raw_.get())) idx_error(path_, "read error: ", std::generic_category().message(errno));
    return got;
  }

  // Refills the compressed input when it is used up; false at the end of the file.
  bool refill() {
    z_stream& z = gz_->stream;
    if (z.avail_in > 0) return true;
    const std::size_t got = read_raw(gz_->input.data(), gz_->input.size());
    z.next_in = gz_->input.data();
    z.avail_in = static_cast<uInt>(got);
    return got > 0;
  }

  // After a member's verified end: another member (gzip's concatenation) continues the stream;
  // anything else after it is ignored, as gzip does.
  void next_member() {
    z_stream& z = gz_->stream;
    if (!refill()) {
      gz_->finished = true;
      return;
    }
    if (z.avail_in == 1) {  // the next magic may straddle a refill: keep the byte, read on after it
      gz_->input[0] = z.next_in[0];
      const std::size_t got = read_raw(gz_->input.data() + 1, gz_->input.size() - 1);
      z.next_in = gz_->input.data();
      z.avail_in = static_cast<uInt>(1 + got);
    }
    const std::uint8_t first = z.next_in[0], second = z.avail_in >= 2 ? z.next_in[1] : 0;
    if (first != 0x1f || second != 0x8b) {
      gz_->finished = true;
      return;
    }
    if (inflateReset(&z) != Z_OK) idx_error(path_, "corrupt gzip stream (cannot restart the decoder)");
  }

  std::size_t read_gzip(std::uint8_t* dst, std::size_t n) {
    z_stream& z = gz_->stream;
    std::size_t total = 0;
    while (total < n && !gz_->finished) {
      // At the end of the file inflate is still called: it may hold output it could not give
      // before (a full output buffer). Only when it can make no progress is the stream cut short.
      const bool input_left = refill();
      // inflate takes an unsigned count; 1 MiB pieces stay well inside it.
      const auto want = static_cast<uInt>(std::min<std::size_t>(n - total, 1u << 20));
      z.next_out = dst + total;
      z.avail_out = want;
      const int ret = inflate(&z, Z_NO_FLUSH);
      total += want - z.avail_out;
      if (ret == Z_STREAM_END)
        next_member();
      else if (ret == Z_BUF_ERROR)  // no progress possible: no input left (or, never seen, none usable)
        idx_error(path_, input_left ? "corrupt gzip stream (no progress)"
                                    : "truncated gzip stream (unexpected end of file)");
      else if (ret == Z_DATA_ERROR)
        idx_error(path_, "corrupt gzip stream (", z.msg ? z.msg : "invalid data", ")");
      else if (ret == Z_MEM_ERROR)
        idx_error(path_, "corrupt gzip stream (out of memory)");
      else if (ret != Z_OK)
        idx_error(path_, "corrupt gzip stream (zlib error ", ret, ")");
    }
    return total;
  }

  std::string path_;
  std::unique_ptr<std::FILE, FileCloser> raw_;
  std::unique_ptr<GzipState> gz_;
  std::int64_t file_size_ = -1;
};

// Reads the magic number and the dimensions; checks them and that their product fits.
inline std::vector<index_t> read_idx_header(IdxStream& in) {
  const std::string& path = in.path();
  std::uint8_t magic[4];
  const std::size_t got = in.read(magic, 4);
  if (got == 0) idx_error(path, "empty file, expected an IDX file");
  if (got < 4) idx_error(path, "truncated: expected a 4-byte magic number, got ", got, " bytes");
  const std::uint32_t m = load_be32(magic);
  const std::uint32_t ndim = m & 0xff;
  if ((m & 0xffffff00u) != 0x00000800u || ndim < 1 || ndim > 4)
    idx_error(path, "bad magic ", hex32(m),
              ", expected an IDX file of unsigned bytes (0x0000080N) with 1 to 4 dimensions");

  std::uint8_t raw_dims[16];
  const std::size_t dim_bytes = 4 * ndim;
  const std::size_t got_dims = in.read(raw_dims, dim_bytes);
  if (got_dims < dim_bytes)
    idx_error(path, "truncated header: expected ", dim_bytes, " bytes for ", ndim, " dimensions, got ", got_dims);

  std::vector<index_t> dims(ndim);
  for (std::uint32_t d = 0; d < ndim; ++d) dims[d] = static_cast<index_t>(load_be32(raw_dims + 4 * d));
  index_t product = 1;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 0) idx_error(path, "dimension ", d, " of ", dims_to_string(dims), " is 0, expected sizes > 0");
    if (product > std::numeric_limits<index_t>::max() / dims[d])
      idx_error(path, "dimensions ", dims_to_string(dims), " declare more than 2^63 - 1 bytes of data");
    product *= dims[d];
  }
  return dims;
}

}  // namespace detail

// Reads an IDX file of unsigned bytes, raw or gzip-compressed (detected from its first bytes).
// Throws FormatError "read_idx: <path>: <problem>" when the file is missing, is a directory,
// is not an unsigned-byte IDX file, declares a zero or overflowing size or more than
// max_bytes of data, holds fewer or more data bytes than declared, or is not a valid gzip
// stream.
inline IdxArray read_idx(const std::string& path, index_t max_bytes = kIdxDefaultMaxBytes) {
  using detail::idx_error;
  detail::IdxStream in(path);
  IdxArray out;
  out.dims = detail::read_idx_header(in);
  const index_t expected = out.numel();
  if (expected > max_bytes)
    idx_error(path, "dimensions ", detail::dims_to_string(out.dims), " declare ", expected,
              " bytes of data, more than the limit of ", max_bytes, " (read_idx's max_bytes)");

  // Raw file: the exact answer from its size, before any allocation.
  const index_t header_bytes = 4 + 4 * static_cast<index_t>(out.dims.size());
  if (in.raw_file_size() >= 0) {
    const index_t available = in.raw_file_size() - header_bytes;
    if (available < expected) idx_error(path, "truncated: expected ", expected, " bytes of data, got ", available);
    if (available > expected)
      idx_error(path, "trailing bytes: expected ", expected, " bytes of data, got ", available);
  }

  // Read in chunks, growing the buffer only as bytes arrive and never past the declared size.
  // One byte more than declared is requested, to detect trailing data.
  constexpr std::size_t kChunk = std::size_t(1) << 20;
  const auto cap = static_cast<std::size_t>(expected);
  std::size_t size = 0;
  std::uint8_t probe = 0;
  while (size < cap) {
    if (out.data.size() == size) {
      // Double the buffer (amortised O(1) per byte) but never beyond the declared size.
      const std::size_t grown = std::min(cap, std::max(kChunk, 2 * out.data.size()));
      out.data.resize(grown);
    }
    const std::size_t got = in.read(out.data.data() + size, out.data.size() - size);
    size += got;
    if (got == 0) break;
  }
  if (size < cap) idx_error(path, "truncated: expected ", expected, " bytes of data, got ", size);
  if (in.read(&probe, 1) != 0)
    idx_error(path, "trailing bytes: expected ", expected, " bytes of data, got more");
  return out;
}

}  // namespace ember::data
