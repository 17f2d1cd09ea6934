#pragma once
// The CPU a benchmark ran on, for its result file: the model name and the instruction-set
// flags that decide ember's kernel paths (AVX-512, AVX512_BF16, AMX), read from /proc/cpuinfo.

#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace ember_bench {

struct CpuInfo {
  std::string model = "unknown";
  std::set<std::string> flags;
  bool has(const std::string& flag) const { return flags.count(flag) > 0; }
};

inline CpuInfo read_cpu_info() {
  CpuInfo info;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  bool have_model = false, have_flags = false;
  while (std::getline(in, line) && !(have_model && have_flags)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_first_of(" \t"));
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model" && line.rfind("model name", 0) == 0 && !have_model) {
      info.model = value;
      have_model = true;
    } else if (key == "flags" && !have_flags) {
      std::istringstream words(value);
      for (std::string w; words >> w;) info.flags.insert(w);
      have_flags = true;
    }
  }
  return info;
}

// {"model": "...", "avx512f": true, "avx512_bf16": true, "amx_bf16": false}
inline std::string cpu_json() {
  const CpuInfo info = read_cpu_info();
  std::string escaped;
  for (char c : info.model) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  auto flag = [&](const char* name) { return std::string(", \"") + name + "\": " + (info.has(name) ? "true" : "false"); };
  return "{\"model\": \"" + escaped + "\"" + flag("avx512f") + flag("avx512_bf16") + flag("amx_bf16") + flag("amx_tile") + "}";
}

}  // namespace ember_bench
