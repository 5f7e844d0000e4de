#include "lb/deadline_sweep.h"

namespace tether::lb {

void DeadlineSweep::add(Entry& entry) {
  entry.slot_ = static_cast<std::uint32_t>(entries_.size());
  entries_.push_back(&entry);
}

void DeadlineSweep::remove(Entry& entry) {
  if (entry.slot_ == kNoSlot) return;
  Entry* last = entries_.back();
  entries_[entry.slot_] = last;
  last->slot_ = entry.slot_;
  entries_.pop_back();
  entry.slot_ = kNoSlot;
}

void DeadlineSweep::due(Clock::time_point at) {
  if (at >= armed_) return;
  armed_ = at;
  timer_.expires_at(at);
  timer_.async_wait([this](std::error_code ec) {
    if (!ec) sweep();
  });
}

void DeadlineSweep::close() {
  armed_ = Clock::time_point::min();  // no more arming
  timer_.cancel();
}

void DeadlineSweep::sweep() {
  armed_ = Clock::time_point::max();
  const auto now = Clock::now();
  auto next = Clock::time_point::max();
  // Backwards: an entry that removes itself swaps in one already asked.
  for (std::size_t i = entries_.size(); i-- > 0;) {
    if (i >= entries_.size()) continue;
    next = std::min(next, entries_[i]->on_sweep(now));
  }
  if (next != Clock::time_point::max()) due(next);
}

}  // namespace tether::lb
