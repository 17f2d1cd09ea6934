#pragma once
// Class names as a user gives them to `mnist train`: `--class-names a,b,c` or
// `--class-names-file FILE` (one name a line). No ember headers: the command-line parser
// checks the list with these functions, and it is fuzzed alone (command.hpp).
//
// A name is trimmed of surrounding blanks and must not be empty, repeated, hold a control
// character or a comma: then every list of names can be written back as one --class-names
// option (the training command the model file records).

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace mnist {

inline std::string trim_blanks(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// "a, b,c" -> {"a", "b", "c"}; "" -> {""} (one empty name, which check_class_names refuses).
inline std::vector<std::string> split_class_names(const std::string& list) {
  std::vector<std::string> names(1);
  for (char c : list) {
    if (c == ',') {
      names.emplace_back();
    } else {
      names.back() += c;
    }
  }
  for (auto& name : names) name = trim_blanks(name);
  return names;
}

// What is wrong with `names`, or "" when nothing is. `where(i)` says where name i came from
// ("name 3", "line 3"), so that the message points at it.
template <class Where>
std::string class_names_problem(const std::vector<std::string>& names, Where where) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (name.empty()) return where(i) + " is empty";
    if (name.find(',') != std::string::npos) return where(i) + " ('" + name + "') holds a comma";
    if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
      return where(i) + " holds a control character";
    for (std::size_t j = 0; j < i; ++j)
      if (names[j] == name) return "'" + name + "' is given twice (" + where(j) + " and " + where(i) + ")";
  }
  return {};
}

inline std::string class_names_problem(const std::vector<std::string>& names) {
  return class_names_problem(names, [](std::size_t i) { return "name " + std::to_string(i + 1); });
}

// The names of a --class-names-file's text: one a line ("\r\n" too), blank lines at the end
// left out (an editor's final newline); a blank line before a name is an empty name.
inline std::vector<std::string> class_names_from_lines(const std::string& text) {
  std::vector<std::string> names(1);
  for (char c : text) {
    if (c == '\n') {
      names.emplace_back();
    } else if (c != '\r') {
      names.back() += c;
    }
  }
  for (auto& name : names) name = trim_blanks(name);
  while (!names.empty() && names.back().empty()) names.pop_back();
  return names;
}

// The names joined as --class-names takes them: "a,b,c".
inline std::string join_class_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
  return out;
}

// `text` as one word for a POSIX shell: as it is when it has only safe characters, otherwise
// in single quotes (a quote inside as '\'').
inline std::string shell_word(const std::string& text) {
  const bool safe = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string("_,./-+:=@%").find(c) != std::string::npos;
  });
  if (safe) return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace mnist
