// A latency histogram that workers record into without locks: one relaxed atomic add for the
// bucket and one for the sum. Buckets are stored per bucket (not cumulative) so a record touches
// one counter; readers (the /metrics scrape, on the control thread) add them up. A reader may see
// a record's bucket before its sum: the sum lags by at most the records in flight.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace tether::lb {

class LatencyHistogram {
 public:
  // Upper bounds in microseconds, Prometheus' default buckets (5 ms .. 10 s) extended down to
  // 100 µs: a connect on a LAN takes well under a millisecond.
  static constexpr std::array<std::uint64_t, 16> kBoundsUs = {
      100,    250,     500,     1'000,   2'500,     5'000,     10'000,    25'000,
      50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
  static constexpr std::size_t kBuckets = kBoundsUs.size() + 1;  // the last is +Inf

  struct Snapshot {
    std::array<std::uint64_t, kBuckets> buckets{};  // per bucket, not cumulative
    std::uint64_t sum_us = 0;
    std::uint64_t count() const {
      std::uint64_t n = 0;
      for (const auto b : buckets)
        n += b;
      return n;
    }
  };

  void record(std::chrono::steady_clock::duration elapsed) {
    const auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
    std::size_t i = 0;
    while (i < kBoundsUs.size() && us > kBoundsUs[i])
      ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(us, std::memory_order_relaxed);
  }

  Snapshot snapshot() const {
    Snapshot s;
    for (std::size_t i = 0; i < kBuckets; ++i)
      s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    s.sum_us = sum_us_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};
  std::atomic<std::uint64_t> sum_us_{0};
};

}  // namespace tether::lb
