#pragma once

#define EMBER_VERSION_MAJOR 0
#define EMBER_VERSION_MINOR 1
#define EMBER_VERSION_PATCH 0

namespace ember {
inline constexpr const char* version() { return "0.1.0"; }
}  // namespace ember
