#pragma once
// Whether ops record the graph. NoGradGuard turns recording off for a scope
// (inference, optimizer updates), per thread, as torch::NoGradGuard does.

namespace ember {

class GradMode {
 public:
  static bool is_enabled() { return enabled_flag(); }
  static void set_enabled(bool enabled) { enabled_flag() = enabled; }

 private:
  static bool& enabled_flag() {
    thread_local bool enabled = true;
    return enabled;
  }
};

class NoGradGuard {
 public:
  NoGradGuard() : previous_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace ember
