// One timer per worker for the deadlines of its sessions (tcp: connect, PROXY header, idle; http:
// each phase's), in place of a timer or two per session (docs/data-path.md). Entries report their
// next deadline only as a lower bound, which costs nothing when it moves later (activity moving an
// idle deadline never touches the timer); the timer is re-armed only when a deadline comes earlier
// than the one it waits for, and when it fires it asks every entry for its next one. Worker thread
// only.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "lb/stick_table.h"  // Clock

namespace tether::lb {

class DeadlineSweep {
 public:
  class Entry {
   public:
    // Acts on deadlines passed by `now` and returns the next one (Clock::time_point::max() for
    // none). May remove() this entry, no other.
    virtual Clock::time_point on_sweep(Clock::time_point now) = 0;

   protected:
    ~Entry() = default;

   private:
    friend class DeadlineSweep;
    std::uint32_t slot_ = kNoSlot;
  };

  explicit DeadlineSweep(asio::io_context& context) : timer_(context) {}

  void add(Entry& entry);
  void remove(Entry& entry);
  // `entry` has a deadline at `at` or later.
  void due(Clock::time_point at);
  void close();
  std::size_t size() const { return entries_.size(); }

 private:
  static constexpr std::uint32_t kNoSlot = std::numeric_limits<std::uint32_t>::max();
  void sweep();

  asio::steady_timer timer_;
  Clock::time_point armed_ = Clock::time_point::max();  // when the timer fires, if armed
  std::vector<Entry*> entries_;
};

}  // namespace tether::lb
