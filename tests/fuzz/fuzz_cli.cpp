// libFuzzer target: the mnist program's command-line parser. The input is split at NUL bytes
// into arguments; parsing may only succeed or throw UsageError (main() turns that into one
// line and exit code 2).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mnist/command.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args(1);
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.emplace_back();
    } else {
      args.back() += static_cast<char>(data[i]);
    }
  }
  try {
    (void)mnist::parse_command(args);
  } catch (const mnist::UsageError&) {
  }
  return 0;
}
