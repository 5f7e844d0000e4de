// IPv6 source affinity with /64 masking, run by in_netns.sh in a private network namespace that
// has 30 IPv6 /64s on its loopback.
#include <gtest/gtest.h>

#include <set>

#include "tests/integration/harness.h"

namespace tether::test {
namespace {

std::string in_prefix(int k, int host) {
  return "fd00:0:0:" + std::to_string(k) + "::" + std::to_string(host);
}

TEST(Ipv6Affinity, TwoAddressesOfOneSlash64LandTogether) {
  auto servers = echo_pool(3, "::1");
  TetherInstance tether(
      single_pool_yaml(servers, {"[::1]:0"}, "    affinity: { ipv6_mask: 64 }\n"));
  std::set<std::string> used;
  for (int k = 1; k <= 30; ++k) {
    const auto first = server_seen_by(in_prefix(k, 1), tether.endpoint());
    ASSERT_FALSE(first.empty()) << "is this running under in_netns.sh?";
    EXPECT_EQ(server_seen_by(in_prefix(k, 2), tether.endpoint()), first)
        << in_prefix(k, 0) << "/64";
    used.insert(first);
  }
  // The mask groups a /64, not everything: 30 prefixes use all three servers.
  EXPECT_EQ(used.size(), 3u);
}

TEST(Ipv6Affinity, Slash128KeepsNeighboursApart) {
  auto servers = echo_pool(3, "::1");
  TetherInstance tether(
      single_pool_yaml(servers, {"[::1]:0"}, "    affinity: { ipv6_mask: 128 }\n"));
  int apart = 0;
  for (int k = 1; k <= 30; ++k)
    apart += server_seen_by(in_prefix(k, 1), tether.endpoint()) !=
             server_seen_by(in_prefix(k, 2), tether.endpoint());
  EXPECT_GT(apart, 0);
}

}  // namespace
}  // namespace tether::test
