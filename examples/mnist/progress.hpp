#pragma once
// Training progress on stderr: a live bar when stderr is a terminal (bar, batches/s, ETA,
// running loss), nothing per batch otherwise (the caller prints one line per epoch).

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace mnist {

class ProgressBar {
 public:
  // shown = false: never draws (the ranks of a distributed run other than rank 0).
  ProgressBar(std::string label, long total, bool shown = true)
      : label_(std::move(label)), total_(total), live_(shown && isatty(STDERR_FILENO) == 1),
        start_(std::chrono::steady_clock::now()) {}

  // Called after each batch; redraws at most ~10 times a second.
  void update(long done, double running_loss) {
    if (!live_) return;
    auto now = std::chrono::steady_clock::now();
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? done / elapsed : 0;
    const double eta = rate > 0 ? (total_ - done) / rate : 0;
    const int width = 30, filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
    std::fprintf(stderr, "\r%s [%s%s] %ld/%ld  %.1f batch/s  ETA %3.0fs  loss %.4f ", label_.c_str(),
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total_, rate, eta,
                 running_loss);
    std::fflush(stderr);
  }

  // Clears the bar so that the epoch summary line starts on a clean line.
  void finish() {
    if (live_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  std::string label_;
  long total_;
  bool live_;
  std::chrono::steady_clock::time_point start_, last_draw_{};
};

}  // namespace mnist
