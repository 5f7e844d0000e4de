#include "lb/tls_ticket_keys.h"

#include <gtest/gtest.h>

#include <chrono>

namespace tether::lb {
namespace {

using namespace std::chrono_literals;

bool same(const TicketKeys::Key& a, const TicketKeys::Key& b) {
  return a.name == b.name && a.aes == b.aes && a.hmac == b.hmac;
}

TEST(TicketKeys, ARotatedKeyDecryptsUntilTheNextRotation) {
  const auto t0 = TicketKeys::Clock::now();
  TicketKeys keys(1h);
  const auto first = keys.current(t0);
  bool is_current = false;
  auto found = keys.find(first.name.data(), t0 + 59min, is_current);
  ASSERT_TRUE(found);
  EXPECT_TRUE(same(*found, first));
  EXPECT_TRUE(is_current);

  const auto second = keys.current(t0 + 61min);
  EXPECT_NE(second.name, first.name);
  EXPECT_NE(second.aes, first.aes);
  found = keys.find(first.name.data(), t0 + 61min, is_current);
  ASSERT_TRUE(found) << "a ticket issued just before the rotation still resumes";
  EXPECT_TRUE(same(*found, first));
  EXPECT_FALSE(is_current) << "and is renewed under the current key";

  const auto third = keys.current(t0 + 122min);
  EXPECT_NE(third.name, second.name);
  EXPECT_FALSE(keys.find(first.name.data(), t0 + 122min, is_current)) << "two rotations ago";
  found = keys.find(second.name.data(), t0 + 122min, is_current);
  ASSERT_TRUE(found);
  EXPECT_FALSE(is_current);
}

TEST(TicketKeys, AfterAQuietSpellOfTwoPeriodsNoOldKeyDecrypts) {
  const auto t0 = TicketKeys::Clock::now();
  TicketKeys keys(1h);
  const auto first = keys.current(t0);
  bool is_current = true;
  EXPECT_FALSE(keys.find(first.name.data(), t0 + 2h + 1min, is_current));
  EXPECT_NE(keys.current(t0 + 2h + 1min).name, first.name);
}

TEST(TicketKeys, AnUnknownNameFindsNothing) {
  TicketKeys keys(1h);
  const auto now = TicketKeys::Clock::now();
  auto name = keys.current(now).name;
  name[0] ^= 1;
  bool is_current = true;
  EXPECT_FALSE(keys.find(name.data(), now, is_current));
}

}  // namespace
}  // namespace tether::lb
