#include "lb/warning_throttle.h"

#include <gtest/gtest.h>

namespace tether::lb {
namespace {

using namespace std::chrono_literals;
const WarningThrottle::Clock::time_point t0{std::chrono::hours(1)};

TEST(WarningThrottle, TenFailuresASecondGiveOneLineASecondWithTheirCount) {
  WarningThrottle throttle(1s);
  std::uint64_t held_back = 99;
  int lines = 0;
  std::vector<std::uint64_t> counts;
  for (int i = 0; i < 30; ++i)  // every 100 ms for 3 s, as the listener's backoff retries
    if (throttle.allow(t0 + i * 100ms, held_back)) {
      ++lines;
      counts.push_back(held_back);
    }
  EXPECT_EQ(lines, 3);
  EXPECT_EQ(counts, (std::vector<std::uint64_t>{0, 9, 9}));
  EXPECT_EQ(throttle.reset(), 30u);
  EXPECT_EQ(throttle.reset(), 0u);
}

TEST(WarningThrottle, TheFirstWarningAfterAQuietSpellIsLoggedAtOnce) {
  WarningThrottle throttle(1s);
  std::uint64_t held_back = 0;
  EXPECT_TRUE(throttle.allow(t0, held_back));
  EXPECT_FALSE(throttle.allow(t0 + 10ms, held_back));
  EXPECT_TRUE(throttle.allow(t0 + 1h, held_back));
  EXPECT_EQ(held_back, 1u) << "the one held back is still reported";
}

}  // namespace
}  // namespace tether::lb
