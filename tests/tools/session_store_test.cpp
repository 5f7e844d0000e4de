#include "tools/pool/session_store.h"

#include <gtest/gtest.h>

#include <string>

namespace tether::pool {
namespace {

TEST(PoolSessionStore, HoldsTheSessionsItCreated) {
  SessionStore store;
  const auto id = store.create();
  EXPECT_TRUE(store.holds(to_string_view(id)));
  EXPECT_EQ(store.size(), 1u);
}

TEST(PoolSessionStore, IdsAre32HexDigitsAndDistinct) {
  SessionStore store;
  const std::string a(to_string_view(store.create()));
  const std::string b(to_string_view(store.create()));
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(PoolSessionStore, ForeignOrMalformedIdsAreNotHeld) {
  SessionStore one;
  SessionStore other;
  const auto id = one.create();
  EXPECT_FALSE(other.holds(to_string_view(id)));
  EXPECT_FALSE(one.holds("not-a-session"));
  EXPECT_FALSE(one.holds(""));
}

TEST(PoolSessionStore, ClearLosesEverySession) {
  SessionStore store;
  const auto id = store.create();
  store.clear();
  EXPECT_FALSE(store.holds(to_string_view(id)));
  EXPECT_EQ(store.size(), 0u);
}

TEST(PoolSessionStore, AtCapacityTheOldestSessionIsForgotten) {
  SessionStore store(2);
  const auto first = store.create();
  const auto second = store.create();
  const auto third = store.create();
  EXPECT_FALSE(store.holds(to_string_view(first)));
  EXPECT_TRUE(store.holds(to_string_view(second)));
  EXPECT_TRUE(store.holds(to_string_view(third)));
  EXPECT_EQ(store.size(), 2u);
}

}  // namespace
}  // namespace tether::pool
