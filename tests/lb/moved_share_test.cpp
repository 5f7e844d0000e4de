// The "moved" figure of a reload (SPEC §6): the share of Maglev slots whose owner's name changed.
#include "lb/moved_share.h"

#include <gtest/gtest.h>

#include <vector>

namespace tether::lb {
namespace {

std::vector<std::string> names(int n, int skip = 0) {
  std::vector<std::string> result;
  for (int i = 1; i <= n; ++i)
    if (i != skip) result.push_back("fe" + std::to_string(i));
  return result;
}

MaglevTable table_of(const std::vector<std::string>& servers, std::uint32_t heavy_weight = 1) {
  std::vector<MaglevBackend> backends;
  for (const auto& s : servers)
    backends.push_back({s, s == "fe1" ? heavy_weight : 1});
  return MaglevTable::build(backends, 0);
}

TEST(MovedShare, AnUnchangedPoolMovesNothing) {
  const auto servers = names(10);
  const auto table = table_of(servers);
  EXPECT_EQ(moved_share(table, servers, table_of(servers), servers), 0.0);
}

TEST(MovedShare, TheSameServersInAnotherOrderMoveNothing) {
  const auto servers = names(10);
  const std::vector<std::string> reversed(servers.rbegin(), servers.rend());
  EXPECT_EQ(moved_share(table_of(servers), servers, table_of(reversed), reversed), 0.0);
}

TEST(MovedShare, RemovingOneOfTenServersMovesAboutATenth) {
  const auto before = names(10);
  const auto after = names(10, 10);
  const double share = moved_share(table_of(before), before, table_of(after), after);
  // fe10's own tenth must move; Maglev disturbs a little more, never much.
  EXPECT_GE(share, 0.095);
  EXPECT_LE(share, 0.12);
  std::printf("removing 1 of 10 servers moves %.2f%% of the hash space\n", share * 100.0);
}

TEST(MovedShare, AddingAServerMovesAboutItsShare) {
  const auto before = names(4);
  const auto after = names(5);
  const double share = moved_share(table_of(before), before, table_of(after), after);
  EXPECT_GE(share, 0.19);
  EXPECT_LE(share, 0.23);
}

TEST(MovedShare, ReweightingMovesSlotsToTheHeavierServer) {
  const auto servers = names(4);
  const double share = moved_share(table_of(servers), servers, table_of(servers, 2), servers);
  // fe1 goes from 1/4 to 2/5 of the slots.
  EXPECT_GE(share, 0.14);
  EXPECT_LE(share, 0.2);
}

TEST(MovedShare, EmptyTables) {
  const auto servers = names(3);
  const MaglevTable empty;
  EXPECT_EQ(moved_share(empty, {}, empty, {}), 0.0);
  EXPECT_EQ(moved_share(empty, {}, table_of(servers), servers), 1.0);
  EXPECT_EQ(moved_share(table_of(servers), servers, empty, {}), 1.0);
}

}  // namespace
}  // namespace tether::lb
