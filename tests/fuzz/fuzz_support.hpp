#pragma once
// Shared by the libFuzzer targets: the loaders under test take paths, so each input is written
// to a scratch file first; and the one rule every target checks: bad bytes may only end in an
// ember::Error (or the CLI's UsageError). Anything else (another exception, a sanitizer report,
// a crash, a hang) is a finding.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <ember/ember.hpp>

namespace fuzz {

// The scratch file of this process (libFuzzer's -jobs/-fork run several processes at once).
inline std::string scratch_path(const std::string& suffix) {
  static const std::string dir = [] {
    std::error_code ec;
    return std::filesystem::is_directory("/dev/shm", ec) ? std::string("/dev/shm")
                                                         : std::filesystem::temp_directory_path().string();
  }();
  return dir + "/ember-fuzz-" + std::to_string(::getpid()) + suffix;
}

inline std::string write_scratch(const std::uint8_t* data, std::size_t size, const std::string& suffix = ".bin") {
  const std::string path = scratch_path(suffix);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

// The small network whose files the model and checkpoint targets load (and make_seeds writes):
// a conv, a ReLU, a flatten and a linear layer, named as PyTorch names a Sequential: 0.weight,
// 0.bias, 3.weight, 3.bias.
inline ember::nn::Sequential<float> small_net() {
  ember::Generator gen(7);
  return ember::nn::Sequential<float>{std::make_shared<ember::nn::Conv2d<float>>(1, 2, 3, ember::nn::Conv2dOptions{}, gen),
                                      std::make_shared<ember::nn::ReLU<float>>(),
                                      std::make_shared<ember::nn::Flatten<float>>(),
                                      std::make_shared<ember::nn::Linear<float>>(8, 3, true, gen)};
}

}  // namespace fuzz
