// Lets a repeated warning through at most once per interval and counts the ones held back, so a
// condition that recurs every few milliseconds (accept failing with EMFILE, retried every
// 100 ms) costs one log line a second instead of flooding the log. Not thread-safe: one owner.
#pragma once

#include <chrono>
#include <cstdint>

namespace tether::lb {

class WarningThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WarningThrottle(Clock::duration interval) : interval_(interval) {}

  // Whether to log the warning that happened at `now`. When it says yes, `held_back` is how many
  // were suppressed since the last one logged, and the count starts again.
  bool allow(Clock::time_point now, std::uint64_t& held_back) {
    ++occurrences_;
    if (logged_once_ && now - last_ < interval_) {
      ++held_back_;
      return false;
    }
    logged_once_ = true;
    last_ = now;
    held_back = held_back_;
    held_back_ = 0;
    return true;
  }

  // Occurrences since the last reset() (all of them, logged or not); reset() returns them.
  std::uint64_t reset() {
    const auto n = occurrences_;
    occurrences_ = 0;
    return n;
  }

 private:
  Clock::duration interval_;
  Clock::time_point last_{};
  bool logged_once_ = false;
  std::uint64_t held_back_ = 0;
  std::uint64_t occurrences_ = 0;
};

}  // namespace tether::lb
