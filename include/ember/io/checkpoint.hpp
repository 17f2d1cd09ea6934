#pragma once
// Training checkpoints: everything needed to resume a run, in one safetensors file.
//
//   tensors   "model.<name>"  the module's parameters and buffers (PyTorch names)
//             "optim.<name>"  the optimizer's state_dict() entries
//   metadata  format = "ember-checkpoint", format_version, architecture, ember_version,
//             epoch, rng_state (the Generator's four state words), checksum (CRC-32 of the
//             data section), and the caller's free-form strings (history, settings, ...)
//
//   ember::io::save_checkpoint("ck.safetensors", net, opt.state_dict(), epoch,
//                              ember::default_generator().state(), {{"history", history_json}}, "mnist::Net");
//   auto ck = ember::io::load_checkpoint("ck.safetensors", net, "mnist::Net");  // fills net in place
//   opt.load_state_dict(ck.optimizer_state);
//   ember::default_generator().set_state(ck.rng);
//
// The checksum makes silent corruption loud: a flipped bit anywhere in the tensor data is a
// FormatError instead of a run that resumes from wrong weights. As with load_model, nothing
// is changed unless the whole file is valid.

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/core/error.hpp"
#include "ember/core/random.hpp"
#include "ember/core/tensor.hpp"
#include "ember/io/model_file.hpp"
#include "ember/io/safetensors.hpp"
#include "ember/nn/module.hpp"
#include "ember/version.hpp"

namespace ember::io {

// What load_checkpoint returns besides the model weights (which it loads in place).
template <class T = float>
struct Checkpoint {
  int epoch = 0;
  Generator::State rng{};  // for Generator::set_state()
  std::vector<std::pair<std::string, Tensor<T>>> optimizer_state;  // names without "optim.", in saved order
  std::string architecture;
  Metadata extra;  // the free-form entries given to save_checkpoint
};

namespace detail {

// CRC-32 (IEEE 802.3, the checksum of zip, gzip and PNG) through zlib's crc32, so Python's
// zlib.crc32 can check a file too. Any error burst of up to 32 bits, and so any single changed
// byte, is always detected.
class Crc32 {
 public:
  void update(const unsigned char* data, std::size_t n) {
    while (n > 0) {  // zlib takes an unsigned count: 1 GiB pieces
      const auto piece = static_cast<uInt>(std::min<std::size_t>(n, std::size_t(1) << 30));
      crc_ = ::crc32(crc_, data, piece);
      data += piece;
      n -= piece;
    }
  }
  std::uint32_t value() const { return static_cast<std::uint32_t>(crc_); }

  // "crc32:0a1b2c3d", the form stored in the metadata.
  std::string text() const {
    const char* hex = "0123456789abcdef";
    std::string out = "crc32:";
    for (int shift = 28; shift >= 0; shift -= 4) out += hex[(value() >> shift) & 0xFu];
    return out;
  }

 private:
  uLong crc_ = ::crc32(0L, Z_NULL, 0);
};

// The tensors are written in this order and packed, so the data section is their concatenation.
inline std::string checksum_of(const std::vector<EncodedTensor>& tensors) {
  Crc32 crc;
  for (auto& t : tensors) crc.update(t.bytes.data(), t.bytes.size());
  return crc.text();
}

// A read file's entries are in data order and tile the data section (the reader checked).
inline std::string checksum_of(const SafetensorsFile& file) {
  Crc32 crc;
  for (auto& e : file.entries) crc.update(e.bytes.data(), e.bytes.size());
  return crc.text();
}

inline const char* const kCheckpointKeys[] = {"format", "format_version", "architecture", "ember_version",
                                             "epoch",  "rng_state",      "checksum"};

inline bool is_checkpoint_key(const std::string& key) {
  for (const char* k : kCheckpointKeys)
    if (key == k) return true;
  return false;
}

inline std::string rng_state_text(const Generator::State& s) {
  return std::to_string(s[0]) + " " + std::to_string(s[1]) + " " + std::to_string(s[2]) + " " + std::to_string(s[3]);
}

// Four decimal words separated by single spaces, not all zero (xoshiro's one invalid state).
inline bool parse_rng_state(std::string_view text, Generator::State& out) {
  Generator::State s{};
  for (std::size_t word = 0; word < s.size(); ++word) {
    const std::size_t space = text.find(' ');
    const bool last = word + 1 == s.size();
    if (last != (space == std::string_view::npos)) return false;
    if (!parse_decimal(text.substr(0, space), s[word])) return false;
    if (!last) text.remove_prefix(space + 1);
  }
  if ((s[0] | s[1] | s[2] | s[3]) == 0) return false;
  out = s;
  return true;
}

inline void check_checkpoint_format(const Metadata& meta, const std::string& op, const std::string& path) {
  const std::string* format = find_metadata(meta, "format");
  if (!format) file_error(op, path, "not an ember checkpoint (metadata 'format' is missing)");
  if (*format == kModelFormat) file_error(op, path, "the file is an ember model file; load it with load_model");
  if (*format != kCheckpointFormat)
    file_error(op, path, "not an ember checkpoint (metadata 'format' is '", *format, "')");
  check_format_version(meta, op, path);
}

inline void verify_checksum(const SafetensorsFile& file, const std::string& op, const std::string& path) {
  const std::string* stored = find_metadata(file.metadata, "checksum");
  if (!stored) file_error(op, path, "metadata 'checksum' is missing");
  if (stored->rfind("crc32:", 0) != 0 || stored->size() != 14)
    file_error(op, path, "metadata 'checksum' is '", *stored, "', expected 'crc32:' and 8 hex digits");
  const std::string actual = checksum_of(file);
  if (*stored != actual)
    file_error(op, path, "checksum mismatch: the data section is corrupted (the file records ", *stored,
               ", the data gives ", actual, ")");
}

inline int parse_epoch(const Metadata& meta, const std::string& op, const std::string& path) {
  const std::string* text = find_metadata(meta, "epoch");
  if (!text) file_error(op, path, "metadata 'epoch' is missing");
  std::uint64_t epoch = 0;
  if (!parse_decimal(*text, epoch) || epoch > static_cast<std::uint64_t>(INT_MAX))
    file_error(op, path, "metadata 'epoch' is '", *text, "', expected a non-negative integer");
  return static_cast<int>(epoch);
}

inline Generator::State parse_rng(const Metadata& meta, const std::string& op, const std::string& path) {
  const std::string* text = find_metadata(meta, "rng_state");
  if (!text) file_error(op, path, "metadata 'rng_state' is missing");
  Generator::State state{};
  if (!parse_rng_state(*text, state))
    file_error(op, path, "metadata 'rng_state' is '", *text,
               "', expected four space-separated decimal words, not all zero");
  return state;
}

}  // namespace detail

// Saves the module (tensors "model.<name>"), the optimizer state (its state_dict(), tensors
// "optim.<name>"), the epoch, a generator state and free-form metadata `extra` as one
// safetensors file, atomically. Keys of `extra` must not be those the format defines
// (format, format_version, architecture, ember_version, epoch, rng_state, checksum).
template <class T>
void save_checkpoint(const std::string& path, const nn::Module<T>& model,
                     const std::vector<std::pair<std::string, Tensor<T>>>& optimizer_state, int epoch,
                     const Generator::State& rng, const Metadata& extra = {}, const std::string& architecture = "") {
  const std::string op = "save_checkpoint";
  EMBER_CHECK(epoch >= 0, ValueError, op, path, ": epoch must be non-negative, got ", epoch);
  EMBER_CHECK((rng[0] | rng[1] | rng[2] | rng[3]) != 0, ValueError, op, path,
              ": the all-zero rng state is not a Generator state");
  std::vector<detail::EncodedTensor> encoded;
  for (auto& [name, t] : detail::module_tensors(model))
    encoded.push_back(detail::encode_tensor("model." + name, t, op, path));
  for (auto& [name, t] : optimizer_state) encoded.push_back(detail::encode_tensor("optim." + name, t, op, path));

  Metadata meta{{"format", detail::kCheckpointFormat},
                {"format_version", std::to_string(detail::kFormatVersion)},
                {"architecture", architecture},
                {"ember_version", version()},
                {"epoch", std::to_string(epoch)},
                {"rng_state", detail::rng_state_text(rng)},
                {"checksum", detail::checksum_of(encoded)}};
  detail::add_extra_metadata(meta, extra, op, path);
  detail::write_safetensors(path, op, encoded, meta);
}

// Loads a checkpoint: validates the file, its checksum, the architecture (when
// `expected_architecture` is given), the epoch and rng state, that the "model." tensors match
// the module exactly (as load_model) and that the "optim." tensors are F32/F64; then copies
// the weights into the module in place and returns the rest. Throws FormatError (ShapeError
// for a tensor of the wrong shape) and leaves the module unchanged when anything is wrong.
template <class T>
Checkpoint<T> load_checkpoint(const std::string& path, nn::Module<T>& model,
                              const std::string& expected_architecture = "") {
  const std::string op = "load_checkpoint";
  SafetensorsFile file = detail::read_safetensors(path, op);
  detail::check_checkpoint_format(file.metadata, op, path);
  detail::verify_checksum(file, op, path);
  detail::check_architecture(file.metadata, expected_architecture, op, path);

  Checkpoint<T> out;
  out.epoch = detail::parse_epoch(file.metadata, op, path);
  out.rng = detail::parse_rng(file.metadata, op, path);
  if (const std::string* arch = detail::find_metadata(file.metadata, "architecture")) out.architecture = *arch;
  for (auto& [key, value] : file.metadata)
    if (!detail::is_checkpoint_key(key)) out.extra.emplace(key, value);

  std::vector<const SafetensorsEntry*> model_entries;
  std::vector<std::string> stray;
  for (auto& e : file.entries) {
    if (e.name.rfind("model.", 0) == 0) {
      model_entries.push_back(&e);
    } else if (e.name.rfind("optim.", 0) == 0) {
      if (!detail::convertible_to<T>(e.dtype))
        detail::file_error(op, path, "tensor '", e.name, "' has dtype ", e.dtype, ", expected ",
                           detail::accepted_dtypes<T>());
      out.optimizer_state.emplace_back(e.name.substr(6), to_tensor<T>(e));
    } else {
      stray.push_back(e.name);
    }
  }
  if (!stray.empty())
    detail::file_error(op, path, "unexpected tensor", stray.size() > 1 ? "s " : " ", detail::quoted_list(stray),
                       " (checkpoint tensors are named model.* or optim.*)");
  auto assignments = detail::match_module(model, model_entries, "model.", op, path);
  detail::assign(assignments);  // last: every check above has passed
  return out;
}

}  // namespace ember::io
