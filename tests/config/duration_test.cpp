#include "config/duration.h"

#include <gtest/gtest.h>

namespace tether::config {
namespace {

using namespace std::chrono_literals;

struct GoodDuration {
  const char* text;
  Duration expected;
};

class DurationAccepted : public testing::TestWithParam<GoodDuration> {};

TEST_P(DurationAccepted, ParsesToItsValue) {
  const Parsed<Duration> parsed = parse_duration(GetParam().text);
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  EXPECT_EQ(*parsed.value, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(SpecUnits, DurationAccepted,
                         testing::Values(GoodDuration{"500ms", 500ms}, GoodDuration{"5s", 5s},
                                         GoodDuration{"20m", 20min}, GoodDuration{"1h", 1h},
                                         GoodDuration{"1800s", 1800s}, GoodDuration{"0s", 0ms},
                                         GoodDuration{"0", 0ms}));

struct BadDuration {
  const char* text;
  const char* reason;  // a fragment of the message
};

class DurationRefused : public testing::TestWithParam<BadDuration> {};

TEST_P(DurationRefused, SaysWhyAndQuotesTheText) {
  const Parsed<Duration> parsed = parse_duration(GetParam().text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error.find(std::string("\"") + GetParam().text + "\""), std::string::npos)
      << parsed.error;
  EXPECT_NE(parsed.error.find(GetParam().reason), std::string::npos) << parsed.error;
}

INSTANTIATE_TEST_SUITE_P(
    Mistakes, DurationRefused,
    testing::Values(BadDuration{"5", "has no unit"},  // seconds? milliseconds?
                    BadDuration{"5x", "unknown unit \"x\""}, BadDuration{"5S", "unknown unit"},
                    BadDuration{"5 s", "unknown unit"}, BadDuration{"1.5s", "unknown unit"},
                    BadDuration{"1h30m", "unknown unit"}, BadDuration{"-5s", "negative"},
                    BadDuration{"+5s", "not a duration"}, BadDuration{"s", "not a duration"},
                    BadDuration{"", "not a duration"},
                    BadDuration{"99999999999999999999s", "too large"},
                    BadDuration{"9223372036854775807h", "too large"}));

TEST(DurationFormat, UsesTheLargestExactUnit) {
  EXPECT_EQ(format_duration(20min), "20m");
  EXPECT_EQ(format_duration(1800s), "30m");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(0ms), "0");
}

TEST(DurationFormat, ReadsBackToTheSameValue) {
  for (const Duration d : {Duration(1), Duration(999), Duration(61'000), Duration(3'660'000),
                           Duration(86'400'000), Duration::zero()}) {
    const Parsed<Duration> parsed = parse_duration(format_duration(d));
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    EXPECT_EQ(*parsed.value, d);
  }
}

}  // namespace
}  // namespace tether::config
