// The test vectors of docs/hashing.md. If one of these changes, clients move across an upgrade:
// update the document and say so in the release notes.
#include <gtest/gtest.h>

#include "lb/affinity_key.h"
#include "lb/cookie_token.h"
#include "lb/maglev.h"

namespace tether::lb {
namespace {

const std::vector<MaglevBackend> kServers = {{"fe01", 1}, {"fe02", 1}, {"fe03", 1}};

std::string table_names(const MaglevTable& table, const std::vector<MaglevBackend>& servers) {
  std::string names;
  for (auto e : table.entries())
    names += (names.empty() ? "" : " ") + servers[e].name;
  return names;
}

TEST(HashingVectors, Permutations) {
  struct Row {
    const char* name;
    std::uint32_t size;
    std::uint64_t offset, skip;
  };
  for (const Row& r : {Row{"fe01", 65537, 39443, 33583}, Row{"fe02", 65537, 19885, 44334},
                       Row{"fe03", 65537, 33661, 22641}, Row{"fe01", 13, 6, 11},
                       Row{"fe02", 13, 4, 6}, Row{"fe03", 13, 5, 9}}) {
    const auto p = maglev_permutation(r.name, 0, r.size);
    EXPECT_EQ(p.offset, r.offset) << r.name << " M=" << r.size;
    EXPECT_EQ(p.skip, r.skip) << r.name << " M=" << r.size;
  }
}

TEST(HashingVectors, SmallTables) {
  EXPECT_EQ(table_names(MaglevTable::build(kServers, 0, 13), kServers),
            "fe01 fe03 fe01 fe02 fe02 fe03 fe01 fe03 fe02 fe01 fe02 fe03 fe01");
  const std::vector<MaglevBackend> weighted = {{"fe01", 1}, {"fe02", 2}, {"fe03", 3}};
  EXPECT_EQ(table_names(MaglevTable::build(weighted, 0, 13), weighted),
            "fe01 fe03 fe03 fe02 fe02 fe03 fe01 fe03 fe03 fe02 fe02 fe03 fe03");
}

TEST(HashingVectors, KeysToServers) {
  struct Row {
    const char* client;
    unsigned mask;
    const char* key;
    std::uint64_t seed, hash, slot;
    const char* server;
  };
  const Row rows[] = {
      {"10.1.2.3", 32, "10.1.2.3/32", 0, 0x562033604a128d8a, 8376, "fe03"},
      {"10.1.2.3", 24, "10.1.2.0/24", 0, 0x7ff3b1e39160d5b5, 30277, "fe03"},
      {"192.168.100.7", 32, "192.168.100.7/32", 0, 0x9c6cb0fcad20e3d5, 19269, "fe02"},
      {"127.1.0.1", 32, "127.1.0.1/32", 0, 0x54f56bc83a8ad41f, 45160, "fe01"},
      {"2001:db8:1:2::1", 64, "2001:db8:1:2::/64", 0, 0xc88b5d164c8ad9a4, 8613, "fe01"},
      {"2001:db8:1:2:ffff::9", 64, "2001:db8:1:2::/64", 0, 0xc88b5d164c8ad9a4, 8613, "fe01"},
      {"::ffff:10.1.2.3", 32, "10.1.2.3/32", 0, 0x562033604a128d8a, 8376, "fe03"},
      {"10.1.2.3", 32, "10.1.2.3/32", 42, 0x0a9e90479c5510d9, 64046, "fe01"},
      {"192.168.100.7", 32, "192.168.100.7/32", 42, 0x5b5e56fe0294c38e, 48282, "fe01"},
  };
  for (const Row& r : rows) {
    const auto key = source_key(asio::ip::make_address(r.client), r.mask, r.mask);
    EXPECT_EQ(key.to_string(r.mask), r.key);
    const auto hash = key_hash(key, r.seed);
    EXPECT_EQ(hash, r.hash) << r.client;
    EXPECT_EQ(hash % kMaglevTableSize, r.slot) << r.client;
    const auto table = MaglevTable::build(kServers, r.seed);
    EXPECT_EQ(kServers[table.pick(hash)].name, r.server) << r.client << " seed " << r.seed;
  }
}

TEST(HashingVectors, CookieTokens) {
  EXPECT_EQ(cookie_token("fe01", 0, ""), "0d931ab378a4399a");
  EXPECT_EQ(cookie_token("fe02", 0, ""), "64babe67abf3a96f");
  EXPECT_EQ(cookie_token("fe01", 42, ""), "7d4b1ef9e6680c74");
  EXPECT_EQ(cookie_token("fe01", 0, "correct horse battery staple"),
            "db087de7d20eea5726ca002b4f630c7a");
  EXPECT_EQ(cookie_token("fe02", 0, "correct horse battery staple"),
            "9caf5c845a2e9fc352905866ff447aef");
}

TEST(CookieTokens, MapBothWaysAndRejectAnythingElse) {
  const std::vector<std::string> names = {"fe01", "fe02", "fe03"};
  const CookieTokens tokens(names, 0, "");
  for (std::uint32_t i = 0; i < names.size(); ++i)
    EXPECT_EQ(tokens.server(tokens.token(i)), i);
  EXPECT_EQ(tokens.server("0d931ab378a4399b"), std::nullopt);  // one digit off
  EXPECT_EQ(tokens.server(""), std::nullopt);
  EXPECT_EQ(tokens.server("fe01"), std::nullopt);  // a name is not a token
  // A keyed token is not accepted by an instance without (or with another) key.
  const CookieTokens keyed(names, 0, "correct horse battery staple");
  EXPECT_EQ(tokens.server(keyed.token(0)), std::nullopt);
}

}  // namespace
}  // namespace tether::lb
