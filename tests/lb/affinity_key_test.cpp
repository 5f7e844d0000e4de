#include "lb/affinity_key.h"

#include <gtest/gtest.h>

namespace tether::lb {
namespace {

AffinityKey key(const char* address, unsigned v4 = 32, unsigned v6 = 64) {
  return source_key(asio::ip::make_address(address), v4, v6);
}

TEST(AffinityKey, FullIpv4AddressIsItsOwnKey) {
  EXPECT_EQ(key("10.1.2.3").to_string(32), "10.1.2.3/32");
  EXPECT_NE(key("10.1.2.3"), key("10.1.2.4"));
}

TEST(AffinityKey, Ipv4MaskGroupsASubnet) {
  EXPECT_EQ(key("10.1.2.3", 24), key("10.1.2.200", 24));
  EXPECT_NE(key("10.1.2.3", 24), key("10.1.3.3", 24));
  EXPECT_EQ(key("10.1.2.3", 20).to_string(20), "10.1.0.0/20");
  EXPECT_EQ(key("10.1.2.3", 0), key("192.168.0.1", 0));
}

TEST(AffinityKey, Ipv6MaskKeepsA64Together) {
  EXPECT_EQ(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
  EXPECT_EQ(key("2001:db8:1:2ff:3:4:5:6", 32, 56).to_string(56), "2001:db8:1:200::/56");
  EXPECT_NE(key("2001:db8::1", 32, 128), key("2001:db8::2", 32, 128));
}

TEST(AffinityKey, V4MappedClientIsTheSameClientAsIpv4) {
  EXPECT_EQ(key("::ffff:10.1.2.3"), key("10.1.2.3"));
  EXPECT_EQ(key("::ffff:10.1.2.3").family, 4);
}

TEST(AffinityKey, FamiliesNeverCollide) {
  // 0.0.0.0/0 and ::/0 are both all-zero bytes; the family keeps them apart.
  EXPECT_NE(key("10.0.0.1", 0, 0), key("2001:db8::1", 0, 0));
}

TEST(AffinityKey, HashDependsOnKeyAndSeed) {
  EXPECT_EQ(key_hash(key("10.1.2.3"), 0), key_hash(key("10.1.2.3"), 0));
  EXPECT_NE(key_hash(key("10.1.2.3"), 0), key_hash(key("10.1.2.3"), 1));
  EXPECT_NE(key_hash(key("10.1.2.3"), 0), key_hash(key("10.1.2.4"), 0));
}

}  // namespace
}  // namespace tether::lb
