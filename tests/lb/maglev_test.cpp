// Properties of the Maglev table that users rely on (SPEC §4, issue #2): balance, weights,
// minimal disruption, determinism. Figures are from the paper's guarantees, not from a run.
#include "lb/maglev.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "lb/affinity_key.h"

namespace tether::lb {
namespace {

std::vector<MaglevBackend> servers(int n, int first = 1) {
  std::vector<MaglevBackend> result;
  for (int i = first; i < first + n; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "fe%02d", i);
    result.push_back({name, 1});
  }
  return result;
}

std::vector<std::uint32_t> entry_counts(const MaglevTable& table, std::size_t backends) {
  std::vector<std::uint32_t> counts(backends);
  for (auto e : table.entries())
    ++counts.at(e);
  return counts;
}

// The owner's name of each slot: comparable across tables built from different server lists.
std::vector<std::string> owners(const MaglevTable& table, const std::vector<MaglevBackend>& b) {
  std::vector<std::string> result;
  for (auto e : table.entries())
    result.push_back(b[e].name);
  return result;
}

std::vector<std::uint64_t> random_client_hashes(std::size_t n) {
  std::mt19937_64 random(42);
  std::vector<std::uint64_t> hashes;
  for (std::size_t i = 0; i < n; ++i) {
    const auto address = asio::ip::address_v4(static_cast<std::uint32_t>(random()));
    hashes.push_back(key_hash(source_key(address, 32, 64), 0));
  }
  return hashes;
}

class MaglevBalance : public ::testing::TestWithParam<int> {};

TEST_P(MaglevBalance, EveryServerOwnsItsShareOfEntries) {
  const int n = GetParam();
  const auto backends = servers(n);
  const auto table = MaglevTable::build(backends, 0);
  ASSERT_EQ(table.size(), kMaglevTableSize);
  const auto counts = entry_counts(table, backends.size());
  const double ideal = double(kMaglevTableSize) / n;
  for (auto c : counts)
    EXPECT_NEAR(c, ideal, ideal * 0.01);
  // Equal weights: Maglev's turns give every backend floor(M/N) or ceil(M/N) slots.
  EXPECT_LE(*std::max_element(counts.begin(), counts.end()) -
                *std::min_element(counts.begin(), counts.end()),
            1u);
}

INSTANTIATE_TEST_SUITE_P(Servers, MaglevBalance, ::testing::Values(3, 10, 100));

TEST(Maglev, MillionClientsSpreadEvenly) {
  const auto hashes = random_client_hashes(1'000'000);
  for (auto [n, limit] : {std::pair{3, 1.01}, std::pair{100, 1.06}}) {
    const auto table = MaglevTable::build(servers(n), 0);
    std::vector<std::uint64_t> clients(n);
    for (auto h : hashes)
      ++clients[table.pick(h)];
    const double mean = double(hashes.size()) / n;
    const double busiest = double(*std::max_element(clients.begin(), clients.end()));
    EXPECT_LE(busiest / mean, limit) << n << " servers";
  }
}

TEST(Maglev, WeightsGiveProportionalShares) {
  const std::vector<MaglevBackend> backends = {{"fe01", 1}, {"fe02", 2}, {"fe03", 3}};
  const auto table = MaglevTable::build(backends, 0);
  const auto hashes = random_client_hashes(1'000'000);
  std::vector<double> share(3);
  for (auto h : hashes)
    share[table.pick(h)] += 1.0 / hashes.size();
  EXPECT_NEAR(share[0], 1.0 / 6, 0.01);
  EXPECT_NEAR(share[1], 2.0 / 6, 0.01);
  EXPECT_NEAR(share[2], 3.0 / 6, 0.01);
}

TEST(Maglev, ZeroWeightOwnsNothing) {
  const std::vector<MaglevBackend> backends = {{"fe01", 1}, {"fe02", 0}};
  const auto counts = entry_counts(MaglevTable::build(backends, 0), 2);
  EXPECT_EQ(counts[1], 0u);
  EXPECT_EQ(counts[0], kMaglevTableSize);
}

class MaglevRemoval : public ::testing::TestWithParam<int> {};

TEST_P(MaglevRemoval, OnlyTheRemovedServersClientsMove) {
  const int n = GetParam();
  const auto before_backends = servers(n);
  auto after_backends = before_backends;
  after_backends.erase(after_backends.begin() + n / 2);
  const std::string removed = before_backends[n / 2].name;
  const auto before = owners(MaglevTable::build(before_backends, 0), before_backends);
  const auto after = owners(MaglevTable::build(after_backends, 0), after_backends);

  std::size_t others = 0, others_moved = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] == removed) {
      EXPECT_NE(after[i], removed);
      continue;
    }
    ++others;
    if (after[i] != before[i]) ++others_moved;
  }
  const double needless = double(others_moved) / others;
  RecordProperty("needless_move_fraction", std::to_string(needless));
  EXPECT_LE(needless, 0.01) << n << " servers";
}

INSTANTIATE_TEST_SUITE_P(Servers, MaglevRemoval, ::testing::Values(10, 100));

TEST(Maglev, AddingAnEleventhServerMovesLittleMoreThanItsShare) {
  const auto ten = servers(10);
  const auto eleven = servers(11);
  const auto before = owners(MaglevTable::build(ten, 0), ten);
  const auto after = owners(MaglevTable::build(eleven, 0), eleven);
  std::size_t moved = 0;
  for (std::size_t i = 0; i < before.size(); ++i)
    moved += before[i] != after[i];
  EXPECT_LE(double(moved) / before.size(), 1.0 / 11 + 0.01);
}

TEST(Maglev, ServerOrderDoesNotMatter) {
  auto backends = servers(10);
  const auto reference = owners(MaglevTable::build(backends, 7), backends);
  std::mt19937 random(1);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(backends.begin(), backends.end(), random);
    EXPECT_EQ(owners(MaglevTable::build(backends, 7), backends), reference);
  }
}

TEST(Maglev, SeedReshuffles) {
  const auto backends = servers(10);
  EXPECT_NE(owners(MaglevTable::build(backends, 0), backends),
            owners(MaglevTable::build(backends, 1), backends));
}

TEST(Maglev, PermutationSkipIsNeverZero) {
  for (const auto& b : servers(200)) {
    const auto p = maglev_permutation(b.name, 0, kMaglevTableSize);
    EXPECT_LT(p.offset, kMaglevTableSize);
    EXPECT_GE(p.skip, 1u);
    EXPECT_LT(p.skip, kMaglevTableSize);
  }
}

TEST(Maglev, NoServersGivesNoChoice) {
  const auto table = MaglevTable::build({}, 0);
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.pick(12345), MaglevTable::kNone);
}

TEST(Maglev, RetryWalksOnToTheNextServerInHashOrder) {
  const auto backends = servers(3);
  const auto table = MaglevTable::build(backends, 0);
  const std::uint64_t h = 987654321;
  const auto first = table.pick(h);
  const auto second = table.pick_excluding(h, [&](std::uint32_t b) { return b == first; });
  ASSERT_NE(second, MaglevTable::kNone);
  EXPECT_NE(second, first);
  // The same key retries to the same server every time: retries keep affinity too.
  EXPECT_EQ(second, table.pick_excluding(h, [&](std::uint32_t b) { return b == first; }));
  EXPECT_EQ(table.pick_excluding(h, [](std::uint32_t) { return true; }), MaglevTable::kNone);
}

}  // namespace
}  // namespace tether::lb
