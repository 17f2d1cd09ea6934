#pragma once
// A small command-line parser for the example: "--name value", "--name=value" and boolean
// "--flag"; every flag is declared with its default and help text, so --help writes itself.
// Bad flags and values throw UsageError, which main() turns into one line and exit code 2.

#include <cerrno>
#include <cstdlib>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace mnist {

class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ArgParser {
 public:
  ArgParser(std::string command, std::string summary) : command_(std::move(command)), summary_(std::move(summary)) {}

  void option(const std::string& name, const std::string& default_value, const std::string& help) {
    specs_.push_back({name, default_value, help, false});
  }
  void flag(const std::string& name, const std::string& help) { specs_.push_back({name, "", help, true}); }
  // Positional arguments (e.g. image files) are collected in order.
  void positionals(const std::string& name) { positional_name_ = name; }

  // Returns false when --help was asked for (the help text is written to `out`).
  bool parse(const std::vector<std::string>& args, std::ostream& out) {
    for (auto& s : specs_) values_[s.name] = s.is_flag ? "false" : s.default_value;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& arg = args[i];
      if (arg == "--help" || arg == "-h") {
        out << help();
        return false;
      }
      if (arg.rfind("--", 0) != 0) {
        if (positional_name_.empty()) throw UsageError("unexpected argument '" + arg + "' (see " + command_ + " --help)");
        positional_.push_back(arg);
        continue;
      }
      std::string name = arg.substr(2), value;
      const bool inline_value = name.find('=') != std::string::npos;
      if (inline_value) {
        value = name.substr(name.find('=') + 1);
        name = name.substr(0, name.find('='));
      }
      const Spec* spec = find(name);
      if (!spec) throw UsageError("unknown option '--" + name + "' (see " + command_ + " --help)");
      if (spec->is_flag) {
        if (inline_value) throw UsageError("option '--" + name + "' takes no value");
        values_[name] = "true";
        continue;
      }
      if (!inline_value) {
        if (i + 1 >= args.size()) throw UsageError("option '--" + name + "' needs a value");
        value = args[++i];
      }
      values_[name] = value;
    }
    return true;
  }

  std::string str(const std::string& name) const { return values_.at(name); }
  bool is_set(const std::string& name) const { return values_.at(name) == "true"; }
  const std::vector<std::string>& positional() const { return positional_; }

  long integer(const std::string& name, long min, long max) const {
    const std::string& v = values_.at(name);
    char* end = nullptr;
    errno = 0;
    long x = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno == ERANGE || x < min || x > max)
      throw UsageError("--" + name + " expects an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                       "], got '" + v + "'");
    return x;
  }

  double real(const std::string& name, double min, double max) const {
    const std::string& v = values_.at(name);
    char* end = nullptr;
    errno = 0;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || errno == ERANGE || !(x >= min && x <= max)) {
      std::ostringstream msg;
      msg << "--" << name << " expects a number in [" << min << ", " << max << "], got '" << v << "'";
      throw UsageError(msg.str());
    }
    return x;
  }

  std::string choice(const std::string& name, const std::vector<std::string>& allowed) const {
    const std::string& v = values_.at(name);
    for (auto& a : allowed)
      if (a == v) return v;
    std::string list;
    for (auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw UsageError("--" + name + " expects one of " + list + ", got '" + v + "'");
  }

  std::string help() const {
    std::ostringstream h;
    h << "usage: " << command_ << " [options]" << (positional_name_.empty() ? "" : " " + positional_name_ + "...")
      << "\n\n" << summary_ << "\n\noptions:\n";
    for (auto& s : specs_) {
      std::string left = "  --" + s.name + (s.is_flag ? "" : " VALUE");
      h << left << std::string(left.size() < 26 ? 26 - left.size() : 1, ' ') << s.help;
      if (!s.is_flag && !s.default_value.empty()) h << " (default: " << s.default_value << ")";
      h << "\n";
    }
    h << "  --help                  this text\n";
    return h.str();
  }

 private:
  struct Spec {
    std::string name, default_value, help;
    bool is_flag;
  };
  const Spec* find(const std::string& name) const {
    for (auto& s : specs_)
      if (s.name == name) return &s;
    return nullptr;
  }

  std::string command_, summary_, positional_name_;
  std::vector<Spec> specs_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace mnist
