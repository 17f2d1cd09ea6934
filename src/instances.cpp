// libember_compiled: the engine's templates for float and double, compiled once (the CMake
// target ember::compiled). What and why: include/ember/instances.hpp.
#define EMBER_INSTANTIATE
#include "ember/instances.hpp"
