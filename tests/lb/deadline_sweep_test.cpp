#include "lb/deadline_sweep.h"

#include <gtest/gtest.h>

#include <functional>

namespace tether::lb {
namespace {

using namespace std::chrono_literals;

// A session's deadlines as the sweep sees them: `next` decides what the entry answers.
struct Entry : DeadlineSweep::Entry {
  std::function<Clock::time_point(Clock::time_point)> next;
  std::vector<Clock::time_point> asked;
  Clock::time_point on_sweep(Clock::time_point now) override {
    asked.push_back(now);
    return next(now);
  }
};

TEST(DeadlineSweep, AnEntryIsAskedAtItsDeadlineNotBeforeAndNotMuchAfter) {
  asio::io_context context;
  DeadlineSweep sweep(context);
  Entry entry;
  const auto deadline = Clock::now() + 50ms;
  entry.next = [&](Clock::time_point) {
    sweep.remove(entry);
    return Clock::time_point::max();
  };
  sweep.add(entry);
  sweep.due(deadline);
  context.run_for(1s);
  ASSERT_EQ(entry.asked.size(), 1u);
  EXPECT_GE(entry.asked[0], deadline);
  EXPECT_LT(entry.asked[0], deadline + 500ms);
  EXPECT_EQ(sweep.size(), 0u);
}

TEST(DeadlineSweep, ADeadlineMovedLaterByActivityIsHonouredAtItsNewTime) {
  // The idle timeout: activity moves the deadline without telling the sweep, which finds out
  // when the old one comes.
  asio::io_context context;
  DeadlineSweep sweep(context);
  Entry entry;
  const auto first = Clock::now() + 30ms, moved = first + 60ms;
  entry.next = [&](Clock::time_point now) {
    if (now < moved) return moved;
    sweep.remove(entry);
    return Clock::time_point::max();
  };
  sweep.add(entry);
  sweep.due(first);
  context.run_for(1s);
  ASSERT_EQ(entry.asked.size(), 2u);
  EXPECT_GE(entry.asked[0], first);
  EXPECT_GE(entry.asked[1], moved);
}

TEST(DeadlineSweep, EntriesRemovingThemselvesInASweepHideNoOther) {
  asio::io_context context;
  DeadlineSweep sweep(context);
  std::vector<Entry> entries(7);
  for (auto& e : entries) {
    e.next = [&sweep, &e](Clock::time_point) {
      sweep.remove(e);
      return Clock::time_point::max();
    };
    sweep.add(e);
  }
  // Only a lower bound was reported: one sweep asks all of them.
  sweep.due(Clock::now() + 10ms);
  context.run_for(500ms);
  for (const auto& e : entries)
    EXPECT_EQ(e.asked.size(), 1u);
  EXPECT_EQ(sweep.size(), 0u);
}

TEST(DeadlineSweep, AnEarlierDeadlineRearmsTheTimer) {
  // A new connection's connect deadline comes before an idle deadline already waited for.
  asio::io_context context;
  DeadlineSweep sweep(context);
  Entry idle, connecting;
  for (Entry* e : {&idle, &connecting})
    e->next = [&sweep, e](Clock::time_point) {
      sweep.remove(*e);
      return Clock::time_point::max();
    };
  const auto start = Clock::now();
  sweep.add(idle);
  sweep.due(start + 10s);
  sweep.add(connecting);
  sweep.due(start + 20ms);
  sweep.due(start + 20s);  // later than what the timer waits for: changes nothing
  context.run_for(500ms);
  ASSERT_EQ(connecting.asked.size(), 1u);
  EXPECT_LT(connecting.asked[0], start + 300ms);
  EXPECT_EQ(idle.asked.size(), 1u);  // asked in the same sweep, and gone
}

}  // namespace
}  // namespace tether::lb
