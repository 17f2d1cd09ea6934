#pragma once
// A per-thread profiler of forward and backward work, in the spirit of torch.profiler's
// record_function: while a Profile is active on a thread, a Scope times the code inside it
// under a label ("conv1", "loss", "optimizer"), every graph node recorded inside a scope
// remembers its label, and backward() times each node's rule under that label. Modules open
// a scope named by their path when the profile knows their name (nn::label_modules).
//
//   ember::profiler::Profile profile;
//   ember::nn::label_modules(profile, net);
//   auto loss = cross_entropy(net(x), y);   // forward events: "conv1", "relu1", ...
//   loss.backward();                         // backward events: "conv1" / "conv2d", ...
//   for (auto& e : profile.events()) ...
//
// Costs nothing when no Profile is active: one thread-local pointer test per op.

#include <chrono>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ember::profiler {

enum class Phase { forward, backward };

struct Event {
  std::string scope;  // innermost label ("conv1"), "" outside every scope
  std::string op;     // backward: the node's op ("conv2d"); forward: the scope's label again
  Phase phase;
  double seconds;
};

class Profile;

namespace detail {
inline Profile*& active_profile() {
  thread_local Profile* profile = nullptr;
  return profile;
}
}  // namespace detail

// The profile active on this thread, or null.
inline Profile* active() { return detail::active_profile(); }

// Collects events on the constructing thread from construction to destruction. Profiles nest:
// the innermost one collects, the outer one resumes when it ends.
class Profile {
 public:
  Profile() : previous_(detail::active_profile()) { detail::active_profile() = this; }
  ~Profile() { detail::active_profile() = previous_; }
  Profile(const Profile&) = delete;
  Profile& operator=(const Profile&) = delete;

  const std::vector<Event>& events() const { return events_; }
  void clear() { events_.clear(); }
  void add(Event event) { events_.push_back(std::move(event)); }

  // The label that a scope opened for `owner` (a module) gets; "" when it has none.
  void set_label(const void* owner, std::string label) { labels_[owner] = std::move(label); }
  const std::string* label_of(const void* owner) const {
    auto it = labels_.find(owner);
    return it == labels_.end() ? nullptr : &it->second;
  }

  // The innermost open scope's label ("" when none is open).
  const std::string& current_scope() const {
    static const std::string none;
    return open_.empty() ? none : open_.back();
  }
  void push_scope(const std::string& label) { open_.push_back(label); }
  void pop_scope() { open_.pop_back(); }

 private:
  Profile* previous_;
  std::vector<Event> events_;
  std::vector<std::string> open_;
  std::unordered_map<const void*, std::string> labels_;
};

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Times its own lifetime as a forward-phase event labelled `label` in the active profile, and
// labels the graph nodes recorded meanwhile. Does nothing when no profile is active.
class Scope {
 public:
  explicit Scope(const std::string& label) : profile_(active()) {
    if (!profile_) return;
    profile_->push_scope(label);
    start_ = Clock::now();
  }
  ~Scope() {
    if (!profile_) return;
    const double elapsed = seconds_since(start_);
    const std::string label = profile_->current_scope();
    profile_->pop_scope();
    profile_->add({label, label, Phase::forward, elapsed});
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Profile* profile_;
  Clock::time_point start_;
};

}  // namespace ember::profiler
