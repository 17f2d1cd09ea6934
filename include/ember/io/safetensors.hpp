#pragma once
// safetensors files: named tensors with a JSON header, as written by Hugging Face's
// `safetensors` package (and so readable by PyTorch, NumPy, JAX, ...).
//
//   bytes [0, 8)        N: the header length, unsigned 64-bit little-endian
//   bytes [8, 8 + N)    UTF-8 JSON object: name -> {"dtype", "shape", "data_offsets": [begin, end]},
//                       plus an optional "__metadata__": {string: string}; may end in spaces
//   bytes [8 + N, end)  the data section: every tensor's little-endian bytes, row-major, packed
//                       without gaps in offset order (offsets count from the data section's start)
//
//   ember::io::save_safetensors<float>("w.safetensors", {{"weight", w}, {"bias", b}}, {{"note", "hi"}});
//   ember::io::SafetensorsFile f = ember::io::read_safetensors("w.safetensors");
//   ember::Tensor<float> w2 = ember::io::to_tensor<float>(*f.find("weight"));
//
// The reader treats the file as untrusted: it validates the header length, the JSON, every
// dtype, shape and offset, and that the tensors tile the data section exactly, before it reads
// any tensor data. Every problem is a FormatError naming the file and the tensor:
//   "read_safetensors: m.safetensors: tensor 'fc1.bias': data_offsets [512, 1024] are out of
//    range: the data section holds 768 bytes (truncated file?)"
// I/O failures (missing file, directory, unwritable location) are FormatErrors too, so that one
// catch handles "this file cannot be loaded"; the message carries the system's reason.
//
// Writes are atomic: the file is written to a temporary file in the same directory, flushed
// to disk (fsync) and renamed over the destination. If anything fails, the temporary file is
// removed and an existing file at the destination is left untouched. (POSIX only.)

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "ember/core/error.hpp"
#include "ember/core/shape.hpp"
#include "ember/core/tensor.hpp"
#include "ember/io/atomic_file.hpp"
#include "ember/io/json.hpp"

namespace ember::io {

// The "__metadata__" of a safetensors file: string keys to string values.
using Metadata = std::map<std::string, std::string>;

// One tensor of a file, validated: `bytes` holds exactly numel * dtype size bytes.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;                 // as in the file: "F32", "F64", "I64", "F16", ...
  Shape shape;
  std::uint64_t begin = 0, end = 0;  // data_offsets: the byte range within the data section
  std::vector<unsigned char> bytes;  // the raw little-endian values
};

struct SafetensorsFile {
  std::string path;
  std::uint64_t header_size = 0;           // N, padding included; the data starts at byte 8 + N
  Metadata metadata;                       // empty when the file has no "__metadata__"
  std::vector<SafetensorsEntry> entries;   // in data order (increasing offsets)

  // The entry named `name`, or nullptr.
  const SafetensorsEntry* find(const std::string& name) const {
    for (auto& e : entries)
      if (e.name == name) return &e;
    return nullptr;
  }
};

namespace detail {

// The limit the reference implementation uses: a header is a few kB per thousand tensors,
// so a larger length means a corrupt or hostile file, not a big model.
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

// ---- dtypes and little-endian bytes ----------------------------------------------------

// Bytes per element of a safetensors dtype, or 0 when the name is not one. All of the
// format's dtypes are known, so that a file holding e.g. F16 tensors is read and the
// error comes (with a clear message) only when such a tensor is converted.
inline std::size_t dtype_size(std::string_view dtype) {
  static const std::pair<const char*, std::size_t> table[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"U16", 2}, {"I16", 2}, {"F16", 2},
      {"BF16", 2}, {"U32", 4}, {"I32", 4}, {"F32", 4},     {"U64", 8},     {"I64", 8}, {"F64", 8}};
  for (auto& [name, size] : table)
    if (dtype == name) return size;
  return 0;
}

template <class T>
constexpr const char* dtype_name() {
  if constexpr (std::is_same_v<T, float>) return "F32";
  else if constexpr (std::is_same_v<T, double>) return "F64";
  else return "I64";
}

// The unsigned integer with T's bytes: values go through it so that the byte order on disk
// is little-endian whatever the machine's (shifts are endian-independent).
template <class T>
using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;

template <class T>
void store_le(T value, unsigned char* out) {
  Bits<T> bits;
  std::memcpy(&bits, &value, sizeof(T));
  for (std::size_t k = 0; k < sizeof(T); ++k) out[k] = static_cast<unsigned char>(bits >> (8 * k));
}

template <class T>
T load_le(const unsigned char* in) {
  Bits<T> bits = 0;
  for (std::size_t k = 0; k < sizeof(T); ++k) bits |= static_cast<Bits<T>>(in[k]) << (8 * k);
  T value;
  std::memcpy(&value, &bits, sizeof(T));
  return value;
}

// An error's message without its "op: " prefix, to re-raise it inside a file's context.
inline std::string detail_of(const Error& e) {
  std::string what = e.what();
  return e.op().empty() ? what : what.substr(std::min(what.size(), e.op().size() + 2));
}

// ---- writing ---------------------------------------------------------------------------

// A tensor turned into the bytes it has in the file.
struct EncodedTensor {
  std::string name;
  std::string dtype;
  Shape shape;
  std::vector<unsigned char> bytes;
};

template <class T>
EncodedTensor encode_tensor(const std::string& name, const Tensor<T>& t, const std::string& op,
                            const std::string& path) {
  EMBER_CHECK(t.defined(), ValueError, op, path, ": tensor '", name, "' is undefined");
  EncodedTensor e{name, dtype_name<T>(), t.shape(), {}};
  e.bytes.resize(static_cast<std::size_t>(t.numel()) * sizeof(T));
  unsigned char* out = e.bytes.data();
  const T* base = t.data() - t.offset();
  t.for_each_offset([&](index_t off) {  // any strides: views are written in row-major order
    store_le(base[off], out);
    out += sizeof(T);
  });
  return e;
}

// Checks names and metadata before anything is written: a collision must not cost the
// existing file, and a file we write must be one every reader accepts.
inline void check_writable(const std::vector<EncodedTensor>& tensors, const Metadata& metadata,
                           const std::string& op, const std::string& path) {
  std::set<std::string> seen;
  for (auto& t : tensors) {
    EMBER_CHECK(t.name != "__metadata__", ValueError, op, path, ": '__metadata__' is reserved and cannot name a tensor");
    EMBER_CHECK(seen.insert(t.name).second, ValueError, op, path, ": duplicate tensor name '", t.name, "'");
    EMBER_CHECK(json::find_invalid_utf8(t.name) == std::string_view::npos, ValueError, op, path,
                ": tensor name '", t.name, "' is not valid UTF-8");
  }
  for (auto& [key, value] : metadata) {
    EMBER_CHECK(json::find_invalid_utf8(key) == std::string_view::npos, ValueError, op, path, ": metadata key '",
                key, "' is not valid UTF-8");
    EMBER_CHECK(json::find_invalid_utf8(value) == std::string_view::npos, ValueError, op, path,
                ": the value of metadata key '", key, "' is not valid UTF-8");
  }
}

// The JSON header, "__metadata__" first (omitted when empty, as PyTorch writers do), then the
// tensors in the given order, packed. Spaces pad it to a multiple of 8 bytes so that the data
// section starts 8-byte aligned (the file can be memory-mapped and read in place).
inline std::string make_header(const std::vector<EncodedTensor>& tensors, const Metadata& metadata) {
  json::Value::Object root;
  if (!metadata.empty()) {
    json::Value::Object meta;
    for (auto& [key, value] : metadata) meta.emplace_back(key, value);
    root.emplace_back("__metadata__", std::move(meta));
  }
  std::int64_t offset = 0;
  for (auto& t : tensors) {
    json::Value::Array shape;
    for (index_t d : t.shape) shape.emplace_back(static_cast<std::int64_t>(d));
    const auto end = offset + static_cast<std::int64_t>(t.bytes.size());
    root.emplace_back(t.name, json::Value::Object{{"dtype", t.dtype},
                                                  {"shape", std::move(shape)},
                                                  {"data_offsets", json::Value::Array{offset, end}}});
    offset = end;
  }
  std::string header = json::write(root);
  header.append((8 - header.size() % 8) % 8, ' ');
  return header;
}

// Writes already-encoded tensors (possibly of several element types) as one file, atomically.
inline void write_safetensors(const std::string& path, const std::string& op, const std::vector<EncodedTensor>& tensors,
                              const Metadata& metadata) {
  check_writable(tensors, metadata, op, path);
  const std::string header = make_header(tensors, metadata);
  unsigned char length[8];
  store_le(static_cast<std::uint64_t>(header.size()), length);
  std::vector<std::pair<const unsigned char*, std::size_t>> chunks{
      {length, 8}, {reinterpret_cast<const unsigned char*>(header.data()), header.size()}};
  for (auto& t : tensors) chunks.emplace_back(t.bytes.data(), t.bytes.size());
  write_chunks_atomically(path, op, chunks);
}

// ---- reading -----------------------------------------------------------------------------

// Size of the regular file at path; missing files, directories and devices are errors
// (a FIFO would block the reader forever).
inline std::uint64_t regular_file_size(const std::string& path, const std::string& op) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) file_error(op, path, "no such file");
  if (ec) file_error(op, path, "cannot access: ", ec.message());
  if (st.type() == fs::file_type::directory) file_error(op, path, "is a directory, not a file");
  if (st.type() != fs::file_type::regular) file_error(op, path, "is not a regular file");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) file_error(op, path, "cannot read its size: ", ec.message());
  return size;
}

inline void read_exactly(std::ifstream& in, unsigned char* out, std::uint64_t n, const std::string& op,
                         const std::string& path) {
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
  // The size was checked up front, so a short read means the file changed under us or an I/O error.
  if (static_cast<std::uint64_t>(in.gcount()) != n) file_error(op, path, "unexpected end of file while reading");
}

// a * b, or false when it overflows int64 (numel and byte counts must fit index_t).
inline bool checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  const std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (a != 0 && b > limit / a) return false;
  out = a * b;
  return true;
}

// Where the problem is one tensor's description.
struct TensorContext {
  const std::string& op;
  const std::string& path;
  const std::string& name;

  template <class... Parts>
  [[noreturn]] void fail(const Parts&... parts) const {
    file_error(op, path, "tensor '", name, "': ", parts...);
  }
};

// The validated description of one tensor (its bytes are read later, once all are valid).
inline SafetensorsEntry parse_tensor_info(const std::string& name, const json::Value& info, std::uint64_t data_size,
                                          const std::string& op, const std::string& path) {
  const TensorContext where{op, path, name};
  if (!info.is_object()) where.fail("expected an object, got ", json::Value::kind_name(info.kind()));
  for (auto& [key, value] : info.as_object())
    if (key != "dtype" && key != "shape" && key != "data_offsets") where.fail("unexpected key '", key, "'");
  const json::Value* dtype = info.find("dtype");
  const json::Value* shape = info.find("shape");
  const json::Value* offsets = info.find("data_offsets");
  if (!dtype || !shape || !offsets) where.fail("missing '", !dtype ? "dtype" : !shape ? "shape" : "data_offsets", "'");

  SafetensorsEntry e;
  e.name = name;
  if (!dtype->is_string()) where.fail("dtype must be a string, got ", json::Value::kind_name(dtype->kind()));
  e.dtype = dtype->as_string();
  const std::size_t elem_size = dtype_size(e.dtype);
  if (elem_size == 0) where.fail("unknown dtype '", e.dtype, "'");

  if (!shape->is_array()) where.fail("shape must be an array, got ", json::Value::kind_name(shape->kind()));
  const auto& dims = shape->as_array();
  if (dims.size() > static_cast<std::size_t>(Shape::kMaxRank))
    where.fail("rank ", dims.size(), " is not supported (ember tensors have at most ", Shape::kMaxRank, " dimensions)");
  std::vector<index_t> sizes;
  bool has_zero = false;
  for (auto& d : dims) {
    if (!d.is_integer()) where.fail("shape must hold integers, got ", json::Value::kind_name(d.kind()));
    if (d.as_integer() < 0) where.fail("negative size ", d.as_integer(), " in shape");
    sizes.push_back(d.as_integer());
    has_zero = has_zero || d.as_integer() == 0;
  }
  // A zero anywhere means no elements, however large the other sizes are.
  std::uint64_t nbytes = has_zero ? 0 : elem_size;
  for (index_t d : sizes)
    if (!has_zero && !checked_mul(nbytes, static_cast<std::uint64_t>(d), nbytes))
      where.fail("shape ", Shape(sizes), " is too large: its size in bytes does not fit in a signed 64-bit integer");
  e.shape = Shape(sizes);

  if (!offsets->is_array() || offsets->as_array().size() != 2)
    where.fail("data_offsets must be an array of two integers [begin, end]");
  for (auto& o : offsets->as_array()) {
    if (!o.is_integer()) where.fail("data_offsets must hold integers, got ", json::Value::kind_name(o.kind()));
    if (o.as_integer() < 0) where.fail("negative data offset ", o.as_integer());
  }
  e.begin = static_cast<std::uint64_t>(offsets->as_array()[0].as_integer());
  e.end = static_cast<std::uint64_t>(offsets->as_array()[1].as_integer());
  if (e.begin > e.end) where.fail("data_offsets [", e.begin, ", ", e.end, "] end before they begin");
  if (e.end > data_size)
    where.fail("data_offsets [", e.begin, ", ", e.end, "] are out of range: the data section holds ", data_size,
               " bytes (truncated file?)");
  if (e.end - e.begin != nbytes)
    where.fail("data_offsets [", e.begin, ", ", e.end, "] span ", e.end - e.begin, " bytes, but dtype ", e.dtype,
               " and shape ", e.shape, " need ", nbytes);
  return e;
}

inline Metadata parse_metadata(const json::Value& meta, const std::string& op, const std::string& path) {
  if (!meta.is_object())
    file_error(op, path, "__metadata__ must be an object of strings, got ", json::Value::kind_name(meta.kind()));
  Metadata out;
  for (auto& [key, value] : meta.as_object()) {
    if (!value.is_string())
      file_error(op, path, "__metadata__ must map strings to strings; '", key, "' holds ",
                 json::Value::kind_name(value.kind()));
    out.emplace(key, value.as_string());
  }
  return out;
}

// Sorts the entries by offset and checks that they tile [0, data_size) exactly: no overlap
// (two names for the same bytes), no gap and no trailing bytes (data nobody accounts for).
inline void check_packing(std::vector<SafetensorsEntry>& entries, std::uint64_t data_size, const std::string& op,
                          const std::string& path) {
  std::stable_sort(entries.begin(), entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t expected = 0;
  const SafetensorsEntry* previous = nullptr;
  for (auto& e : entries) {
    if (e.begin < expected)
      file_error(op, path, "tensors '", previous->name, "' [", previous->begin, ", ", previous->end, ") and '", e.name,
                 "' [", e.begin, ", ", e.end, ") overlap");
    if (e.begin > expected)
      file_error(op, path, "gap of ", e.begin - expected, " bytes before tensor '", e.name, "' [", e.begin, ", ",
                 e.end, "): tensors must be packed without gaps");
    expected = e.end;
    previous = &e;
  }
  if (expected != data_size)
    file_error(op, path, data_size - expected, " bytes after the last tensor: the tensors end at byte ", expected,
               " of the data section, which has ", data_size, " bytes");
}

// The whole reader, with `op` naming the caller in messages ("load_model: ...").
inline SafetensorsFile read_safetensors(const std::string& path, const std::string& op) {
  const std::uint64_t file_size = regular_file_size(path, op);
  if (file_size < 8)
    file_error(op, path, "file of ", file_size, " bytes is too short for safetensors (at least 8 bytes)");
  std::ifstream in(path, std::ios::binary);
  if (!in) file_error(op, path, "cannot open for reading: ", system_reason(errno));

  unsigned char length[8];
  read_exactly(in, length, 8, op, path);
  const std::uint64_t header_size = load_le<std::uint64_t>(length);
  if (header_size > kMaxHeaderBytes)
    file_error(op, path, "header length ", header_size, " exceeds the limit of ", kMaxHeaderBytes, " bytes");
  if (header_size > file_size - 8)
    file_error(op, path, "header length ", header_size, " exceeds the file size (", file_size,
               " bytes; truncated file?)");
  std::string header(static_cast<std::size_t>(header_size), '\0');
  read_exactly(in, reinterpret_cast<unsigned char*>(header.data()), header_size, op, path);

  json::Value root;
  try {
    root = json::parse(header, json::ParseOptions{8, 8});  // offsets in messages count from the file start
  } catch (const FormatError& e) {
    file_error(op, path, "invalid JSON header: ", detail_of(e));
  }
  if (!root.is_object()) file_error(op, path, "the header must be a JSON object, got ", json::Value::kind_name(root.kind()));

  SafetensorsFile file;
  file.path = path;
  file.header_size = header_size;
  const std::uint64_t data_size = file_size - 8 - header_size;
  for (auto& [name, value] : root.as_object()) {
    if (name == "__metadata__") file.metadata = parse_metadata(value, op, path);
    else file.entries.push_back(parse_tensor_info(name, value, data_size, op, path));
  }
  check_packing(file.entries, data_size, op, path);

  // Only now that every range is known to be inside the file is any data read. The entries
  // are in data order and packed from offset 0, so they are read one after the other.
  for (auto& e : file.entries) {
    e.bytes.resize(static_cast<std::size_t>(e.end - e.begin));
    read_exactly(in, e.bytes.data(), e.bytes.size(), op, path);
  }
  return file;
}

// Writes entry's values, converted to T, into dst (same number of elements, any strides).
template <class T>
void decode_into(const SafetensorsEntry& entry, Tensor<T>& dst) {
  T* base = dst.data() - dst.offset();
  const unsigned char* in = entry.bytes.data();
  auto copy = [&](auto tag) {
    using Stored = decltype(tag);
    dst.for_each_offset([&](index_t off) {
      base[off] = static_cast<T>(load_le<Stored>(in));
      in += sizeof(Stored);
    });
  };
  if (entry.dtype == "F32") copy(float{});
  else if (entry.dtype == "F64") copy(double{});
  else copy(std::int64_t{});  // I64: integer tensors, and buffers of counters (see load_model)
}

// Whether entry's dtype converts to T: F32/F64 to float or double (as PyTorch's .float() /
// .double(), F64 -> float rounds), I64 to int64 only (indices are not silently turned into reals).
template <class T>
bool convertible_to(const std::string& dtype) {
  if constexpr (std::is_floating_point_v<T>) return dtype == "F32" || dtype == "F64";
  else return dtype == "I64";
}

template <class T>
const char* accepted_dtypes() {
  return std::is_floating_point_v<T> ? "F32 or F64" : "I64";
}

}  // namespace detail

// Saves the tensors (in this order) and the metadata as a safetensors file, atomically.
// Names must be unique and valid UTF-8; "__metadata__" is reserved. T float -> "F32",
// double -> "F64", std::int64_t -> "I64". Throws ValueError for bad names or metadata
// (before anything is written), FormatError when the file cannot be written.
template <class T>
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor<T>>>& tensors,
                      const Metadata& metadata = {}) {
  const std::string op = "save_safetensors";
  std::vector<detail::EncodedTensor> encoded;
  encoded.reserve(tensors.size());
  for (auto& [name, t] : tensors) encoded.push_back(detail::encode_tensor(name, t, op, path));
  detail::write_safetensors(path, op, encoded, metadata);
}

// Reads and validates a whole safetensors file (see the top of this header).
inline SafetensorsFile read_safetensors(const std::string& path) {
  return detail::read_safetensors(path, "read_safetensors");
}

// The entry as a new contiguous Tensor<T>: F32/F64 into float or double, I64 into int64.
template <class T>
Tensor<T> to_tensor(const SafetensorsEntry& entry) {
  EMBER_CHECK(detail::convertible_to<T>(entry.dtype), FormatError, "to_tensor", "tensor '", entry.name,
              "' has dtype ", entry.dtype, ", expected ", detail::accepted_dtypes<T>());
  Tensor<T> t = Tensor<T>::zeros(entry.shape);
  // Entries may be built by hand; never read past the bytes.
  const std::size_t need = static_cast<std::size_t>(t.numel()) * detail::dtype_size(entry.dtype);
  EMBER_CHECK(entry.bytes.size() == need, FormatError, "to_tensor", "tensor '", entry.name, "' holds ",
              entry.bytes.size(), " bytes, but dtype ", entry.dtype, " and shape ", entry.shape, " need ", need);
  detail::decode_into(entry, t);
  return t;
}

}  // namespace ember::io
