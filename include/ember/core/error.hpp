#pragma once
// Typed errors. Every message starts with the op that failed and names the
// expected and the actual shape or value, e.g.
//   "matmul: inner dimensions differ: expected a.shape[1] == b.shape[0], got [2, 3] and [4, 5]"

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace ember {

class Error : public std::runtime_error {
 public:
  Error(std::string op, const std::string& detail)
      : std::runtime_error(op.empty() ? detail : op + ": " + detail), op_(std::move(op)) {}
  // The operation that raised the error ("matmul", "Tensor::view", ...).
  const std::string& op() const noexcept { return op_; }

 private:
  std::string op_;
};

// Shapes that do not fit the operation.
class ShapeError : public Error { using Error::Error; };
// A value out of its domain (negative size, bad probability, backward without grad, ...).
class ValueError : public Error { using Error::Error; };
// A file or byte stream that does not follow its format.
class FormatError : public Error { using Error::Error; };
// An index outside its dimension.
class IndexError : public Error { using Error::Error; };

namespace detail {

template <class... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

template <class ErrorType, class... Parts>
[[noreturn]] void throw_error(std::string op, const Parts&... parts) {
  throw ErrorType(std::move(op), concat(parts...));
}

}  // namespace detail
}  // namespace ember

// EMBER_CHECK(condition, ErrorType, "op", message parts...):
// throws ErrorType("op: <parts streamed together>") when condition is false.
// The parts are only formatted on failure, so checks cost nothing on the happy path.
#define EMBER_CHECK(cond, ErrorType, op, ...)                                  \
  do {                                                                         \
    if (!(cond)) ::ember::detail::throw_error<ErrorType>((op), __VA_ARGS__);   \
  } while (false)
