#pragma once
// Writing files atomically, for everyone who writes one (model files, checkpoints, PNG, CSV,
// JSON, the report): a unique temporary file in the destination's directory, fsync, rename.
// Readers and a crash see the old file or the complete new one, never a partial file.

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "ember/core/error.hpp"

namespace ember::io {

namespace detail {

// FormatError "<op>: <path>: <parts...>".
template <class... Parts>
[[noreturn]] void file_error(const std::string& op, const std::string& path, const Parts&... parts) {
  ember::detail::throw_error<FormatError>(op, path, ": ", parts...);
}

inline std::string system_reason(int err) { return std::generic_category().message(err); }

// Writes all of [data, data + n) to fd; false (errno set) on failure.
inline bool write_all(int fd, const unsigned char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Replaces `path` by the concatenation of `chunks`, atomically: other processes (and a crash)
// see either the old file or the complete new one, never a partial file.
inline void write_chunks_atomically(const std::string& path, const std::string& op,
                                   const std::vector<std::pair<const unsigned char*, std::size_t>>& chunks) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (path.empty() || target.filename().empty()) file_error(op, path, "expected a file name");
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");

  // A unique name in the same directory (rename is atomic only within one file system),
  // created exclusively so that two writers never share a temporary file.
  static std::atomic<unsigned> counter{0};
  std::string temp;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    temp = (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                   std::to_string(counter++)))
               .string();
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);  // the umask applies, as for fopen
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0)
    file_error(op, path, "cannot create a temporary file in directory '", dir.string(), "': ", system_reason(errno));

  // From here on, any failure removes the temporary file; the destination is not touched.
  auto abandon = [&](const char* what, int err) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    file_error(op, path, what, system_reason(err));
  };
  for (auto& [data, n] : chunks)
    if (!write_all(fd, data, n)) abandon("cannot write: ", errno);
  if (::fsync(fd) != 0) abandon("cannot flush to disk: ", errno);  // data on disk before the rename
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) abandon("cannot write: ", errno);
  if (std::rename(temp.c_str(), path.c_str()) != 0) abandon("cannot replace the file: ", errno);

  // Make the rename itself durable. Best effort: the new file is already in place, and some
  // file systems cannot sync a directory.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace detail

// Replaces the file at `path` by `contents`, atomically: readers see the old file or the
// complete new one; on failure (FormatError) the old file is untouched and no temporary
// file remains. For any small output file (CSV, JSON, reports).
inline void write_file_atomic(const std::string& path, const std::string& contents) {
  detail::write_chunks_atomically(path, "write_file_atomic",
                                  {{reinterpret_cast<const unsigned char*>(contents.data()), contents.size()}});
}

// Removes the temporary files that atomic writes of a killed process left in `dir`: files
// named ".<name>.tmp-<pid>-<n>" whose process no longer runs (those of a live process, which
// may be writing them now, stay). Returns how many were removed; a missing directory has none.
// A SIGKILL or a power cut between creating and renaming a temporary file leaves one behind;
// the file it was to replace is intact either way.
inline int remove_stale_temporaries(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::size_t tag = name.rfind(".tmp-");
    if (name.size() < 2 || name[0] != '.' || tag == std::string::npos || tag == 0) continue;
    const std::string rest = name.substr(tag + 5);  // "<pid>-<n>"
    const std::size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || dash > 9 || dash + 1 == rest.size()) continue;
    if (rest.find_first_not_of("0123456789-") != std::string::npos) continue;
    const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
    const bool alive = pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
    if (!alive && fs::is_regular_file(it->path(), ec) && fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace ember::io
