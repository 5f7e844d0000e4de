// Request targets split for routing: segments, query parameters, percent-decoding.
#include "admin/request_target.h"

#include <gtest/gtest.h>

namespace tether::admin {
namespace {

using Segments = std::vector<std::string>;

TEST(RequestTarget, SplitsPathAndQuery) {
  const auto t = parse_target("/api/v1/pools/web/affinity?client=10.1.2.3&x=&y");
  ASSERT_TRUE(t.ok()) << t.error;
  EXPECT_EQ(t.value->segments, (Segments{"api", "v1", "pools", "web", "affinity"}));
  ASSERT_NE(t.value->parameter("client"), nullptr);
  EXPECT_EQ(*t.value->parameter("client"), "10.1.2.3");
  EXPECT_EQ(*t.value->parameter("x"), "");
  EXPECT_EQ(*t.value->parameter("y"), "");
  EXPECT_EQ(t.value->parameter("z"), nullptr);
}

TEST(RequestTarget, KeepsEmptySegmentsSoOddPathsMatchNothing) {
  EXPECT_EQ(parse_target("/").value->segments, (Segments{""}));
  EXPECT_EQ(parse_target("/healthz/").value->segments, (Segments{"healthz", ""}));
  EXPECT_EQ(parse_target("//a").value->segments, (Segments{"", "a"}));
}

TEST(RequestTarget, DecodesPercentEscapesAfterSplitting) {
  const auto t = parse_target("/pools/a%2Fb/x%20y?client=%5B2001%3adb8%3A%3A1%5D&p=a+b");
  ASSERT_TRUE(t.ok()) << t.error;
  EXPECT_EQ(t.value->segments, (Segments{"pools", "a/b", "x y"}));
  EXPECT_EQ(*t.value->parameter("client"), "[2001:db8::1]");
  EXPECT_EQ(*t.value->parameter("p"), "a+b");
}

TEST(RequestTarget, RefusesBrokenEscapes) {
  for (const char* bad : {"/a%", "/a%4", "/a%zz", "/a?x=%g0", "/a?%=1"})
    EXPECT_FALSE(parse_target(bad).ok()) << bad;
}

}  // namespace
}  // namespace tether::admin
