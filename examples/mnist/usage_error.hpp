#pragma once
// A bad command line: main() prints its message as one line and exits with code 2.

#include <stdexcept>

namespace mnist {

class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace mnist
