#pragma once
// Model files: a module's parameters and buffers in one safetensors file, under their
// PyTorch names ("conv1.weight", "0.bias"), so that the same file loads in PyTorch
// (safetensors.torch.load_file + load_state_dict) and PyTorch's files load here.
//
//   ember::io::save_model(net, "mnist.safetensors", "mnist::Net");
//   mnist::Net<float> net2;
//   ember::io::load_model(net2, "mnist.safetensors", "mnist::Net");
//
// The "__metadata__" records format = "ember-model", format_version, the architecture and the
// ember version (docs/formats.md). load_model validates the whole file against the module
// before it changes anything: a load that throws leaves the module as it was.

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/autograd/grad_mode.hpp"
#include "ember/core/error.hpp"
#include "ember/core/tensor.hpp"
#include "ember/io/safetensors.hpp"
#include "ember/nn/module.hpp"
#include "ember/version.hpp"

namespace ember::io {

namespace detail {

inline constexpr const char* kModelFormat = "ember-model";
inline constexpr const char* kCheckpointFormat = "ember-checkpoint";
// Bumped when a change would make older ember versions misread new files; every version
// reads the files of all earlier format versions (docs/formats.md).
inline constexpr int kFormatVersion = 1;

// The module's tensors as a state dict: parameters, then buffers, with dotted names. (PyTorch's
// state_dict() interleaves them module by module; loading goes by name on both sides.)
template <class T>
std::vector<std::pair<std::string, Tensor<T>>> module_tensors(const nn::Module<T>& model) {
  auto tensors = model.named_parameters();
  for (auto& named : model.named_buffers()) tensors.push_back(named);
  return tensors;
}

// Adds the caller's metadata; keys the format defines are refused rather than overwritten,
// so that a file never says something other than what ember wrote into it.
inline void add_extra_metadata(Metadata& meta, const Metadata& extra, const std::string& op, const std::string& path) {
  for (auto& [key, value] : extra) {
    EMBER_CHECK(meta.count(key) == 0, ValueError, op, path, ": metadata key '", key,
                "' is reserved by the file format");
    meta.emplace(key, value);
  }
}

// Strict decimal: digits only (no sign, no spaces), fitting in 64 bits.
inline bool parse_decimal(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

inline const std::string* find_metadata(const Metadata& meta, const std::string& key) {
  auto it = meta.find(key);
  return it == meta.end() ? nullptr : &it->second;
}

// Checks "format_version" of an ember file: present, an integer, not newer than this reader.
inline void check_format_version(const Metadata& meta, const std::string& op, const std::string& path) {
  const std::string* text = find_metadata(meta, "format_version");
  if (!text) file_error(op, path, "metadata 'format_version' is missing");
  std::uint64_t file_version = 0;
  if (!parse_decimal(*text, file_version) || file_version == 0)
    file_error(op, path, "metadata 'format_version' is '", *text, "', expected a positive integer");
  if (file_version > static_cast<std::uint64_t>(kFormatVersion))
    file_error(op, path, "the file has format_version ", file_version, ", but ember ", ember::version(),
               " reads format versions up to ", kFormatVersion, " (the file was written by a newer ember)");
}

inline void check_architecture(const Metadata& meta, const std::string& expected, const std::string& op,
                               const std::string& path) {
  const std::string* found = find_metadata(meta, "architecture");
  if (expected.empty() || !found) return;  // nothing asked, or a foreign file that does not say
  if (*found != expected)
    file_error(op, path, "the file holds a model of architecture '", *found, "', expected '", expected, "'");
}

// "'a', 'b', 'c' and 7 more": long lists stay readable in a one-line message.
inline std::string quoted_list(const std::vector<std::string>& names, std::size_t max_shown = 10) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < max_shown; ++i) out += (i ? ", '" : "'") + names[i] + "'";
  if (names.size() > max_shown) out += " and " + std::to_string(names.size() - max_shown) + " more";
  return out;
}

// A module tensor and the file entry that will overwrite it.
template <class T>
struct Assignment {
  Tensor<T> target;
  const SafetensorsEntry* source;
};

// Pairs each tensor of the module with the entry named prefix + its name, and checks that the
// pairing is complete and exact: no tensor missing, none unexpected, equal shapes, convertible
// dtypes. `entries` are the file's entries that belong to the module (all, or those with the
// prefix). Reads nothing into the module.
template <class T>
std::vector<Assignment<T>> match_module(const nn::Module<T>& model, const std::vector<const SafetensorsEntry*>& entries,
                                        const std::string& prefix, const std::string& op, const std::string& path) {
  std::map<std::string, const SafetensorsEntry*> by_name;
  for (auto* e : entries) by_name.emplace(e->name, e);

  std::vector<Assignment<T>> out;
  std::vector<std::string> missing;
  for (auto& [name, tensor] : module_tensors(model)) {
    auto it = by_name.find(prefix + name);
    if (it == by_name.end()) {
      missing.push_back(prefix + name);
      continue;
    }
    out.push_back({tensor, it->second});
    by_name.erase(it);
  }
  if (!missing.empty())
    file_error(op, path, "missing tensor", missing.size() > 1 ? "s " : " ", quoted_list(missing),
               " (the module has ", out.size() + missing.size(), " tensors, the file ", entries.size(), ")");
  if (!by_name.empty()) {
    std::vector<std::string> unexpected;
    for (auto& [name, e] : by_name) unexpected.push_back(name);
    file_error(op, path, "unexpected tensor", unexpected.size() > 1 ? "s " : " ", quoted_list(unexpected),
               " not in the module");
  }
  // Buffers may also be stored as I64: PyTorch keeps counters (BatchNorm's num_batches_tracked)
  // in int64, and its files should load as they are.
  std::vector<std::string> buffer_names;
  for (auto& [name, b] : model.named_buffers()) buffer_names.push_back(prefix + name);
  auto is_buffer = [&](const std::string& name) {
    return std::find(buffer_names.begin(), buffer_names.end(), name) != buffer_names.end();
  };
  for (auto& a : out) {
    const std::string& name = a.source->name;
    EMBER_CHECK(a.source->shape == a.target.shape(), ShapeError, op, path, ": tensor '", name, "' has shape ",
                a.source->shape, " in the file, expected ", a.target.shape());
    if (a.source->dtype == "I64" && is_buffer(name)) continue;
    if (!convertible_to<T>(a.source->dtype))
      file_error(op, path, "tensor '", name, "' has dtype ", a.source->dtype, ", expected ", accepted_dtypes<T>());
  }
  return out;
}

// Overwrites the module's tensors in place (their handles stay valid: optimizers keep
// working). Called only once everything is validated; it cannot fail halfway.
template <class T>
void assign(std::vector<Assignment<T>>& assignments) {
  NoGradGuard no_grad;
  for (auto& a : assignments) decode_into(*a.source, a.target);
}

}  // namespace detail

// Saves the module's parameters and buffers (named_parameters(), then named_buffers(), under
// their PyTorch names) as a safetensors file, atomically. `architecture` names the network
// (e.g. "mnist::Net") so that load_model can refuse a file made for another one; `extra` adds
// free-form metadata (keys "format", "format_version", "architecture" and "ember_version" are
// reserved: ValueError).
template <class T>
void save_model(const nn::Module<T>& model, const std::string& path, const std::string& architecture,
                Metadata extra = {}) {
  const std::string op = "save_model";
  Metadata meta{{"format", detail::kModelFormat},
                {"format_version", std::to_string(detail::kFormatVersion)},
                {"architecture", architecture},
                {"ember_version", version()}};
  detail::add_extra_metadata(meta, extra, op, path);
  std::vector<detail::EncodedTensor> encoded;
  for (auto& [name, t] : detail::module_tensors(model)) encoded.push_back(detail::encode_tensor(name, t, op, path));
  detail::write_safetensors(path, op, encoded, meta);
}

// Loads a model file into the module's existing tensors, converting F32/F64 to T.
// Checks, before changing anything: the file (see read_safetensors); that an ember file is
// a model file of a format version this ember reads; the architecture, when
// `expected_architecture` is given and the file records one; that the file holds exactly the
// module's tensors (FormatError listing the missing or unexpected names) with the module's
// shapes (ShapeError naming the tensor). Files without ember metadata (written by PyTorch)
// load when names and shapes match. Returns the file's metadata.
template <class T>
Metadata load_model(nn::Module<T>& model, const std::string& path, const std::string& expected_architecture = "") {
  const std::string op = "load_model";
  SafetensorsFile file = detail::read_safetensors(path, op);
  const std::string* format = detail::find_metadata(file.metadata, "format");
  if (format && *format == detail::kCheckpointFormat)
    detail::file_error(op, path, "the file is an ember checkpoint; load it with load_checkpoint");
  if (format && *format == detail::kModelFormat) detail::check_format_version(file.metadata, op, path);
  // Any other "format" (e.g. "pt" from Hugging Face's writer) is a foreign file: names and shapes decide.
  detail::check_architecture(file.metadata, expected_architecture, op, path);

  std::vector<const SafetensorsEntry*> entries;
  for (auto& e : file.entries) entries.push_back(&e);
  auto assignments = detail::match_module(model, entries, "", op, path);
  detail::assign(assignments);
  return file.metadata;
}

}  // namespace ember::io
