#include "health/health_state.h"

#include <gtest/gtest.h>

namespace tether::health {
namespace {

using Change = HealthState::Change;

TEST(HealthState, StartsUpAndFallsAfterConsecutiveFailures) {
  HealthState s(2, 3);
  EXPECT_TRUE(s.up());
  EXPECT_EQ(s.record(false), Change::none);
  EXPECT_EQ(s.record(false), Change::none);
  EXPECT_EQ(s.record(false), Change::went_down);
  EXPECT_FALSE(s.up());
}

TEST(HealthState, ASuccessResetsTheFailureCount) {
  HealthState s(2, 3);
  s.record(false);
  s.record(false);
  s.record(true);
  EXPECT_EQ(s.record(false), Change::none);
  EXPECT_EQ(s.record(false), Change::none);
  EXPECT_TRUE(s.up());
}

TEST(HealthState, RisesAfterConsecutiveSuccesses) {
  HealthState s(2, 1);
  EXPECT_EQ(s.record(false), Change::went_down);
  EXPECT_EQ(s.record(true), Change::none);
  EXPECT_EQ(s.record(false), Change::none);  // flapping does not bring it back
  EXPECT_EQ(s.record(true), Change::none);
  EXPECT_EQ(s.record(true), Change::went_up);
  EXPECT_EQ(s.record(true), Change::none);
}

TEST(HealthState, ChangesAreReportedOnce) {
  HealthState s(1, 1);
  EXPECT_EQ(s.record(false), Change::went_down);
  EXPECT_EQ(s.record(false), Change::none);
  EXPECT_EQ(s.record(true), Change::went_up);
  EXPECT_EQ(s.record(true), Change::none);
}

}  // namespace
}  // namespace tether::health
