#include "lb/stick_table.h"

#include <gtest/gtest.h>

#include <list>
#include <map>
#include <random>
#include <thread>
#include <unordered_map>

namespace tether::lb {
namespace {

using namespace std::chrono_literals;
using Status = StickTable::Lookup::Status;

AffinityKey client(std::uint32_t n) {
  return source_key(asio::ip::address_v4(0x0A000000u + n), 32, 64);
}

const Clock::time_point t0 = Clock::time_point(1000s);

TEST(StickTable, PinnedClientIsFoundAgain) {
  StickTable table(100, 20min);
  table.pin(client(1), 7, t0);
  const auto found = table.find(client(1), t0 + 1s);
  EXPECT_EQ(found.status, Status::hit);
  EXPECT_EQ(found.server, 7u);
  EXPECT_EQ(table.find(client(2), t0).status, Status::miss);
}

TEST(StickTable, AnEvictedPinIsReportedOnceWhenItsClientReturns) {
  StickTable table(2, 20min);
  table.pin(client(1), 5, t0);
  table.pin(client(2), 6, t0 + 1s);
  table.pin(client(3), 7, t0 + 2s);  // full: client 1, the least recently used, makes room
  EXPECT_EQ(table.evictions(), 1u);
  const auto back = table.find(client(1), t0 + 3s);
  EXPECT_EQ(back.status, Status::evicted);
  EXPECT_EQ(back.server, 5u);
  EXPECT_EQ(table.find(client(1), t0 + 4s).status, Status::miss);  // once
  EXPECT_EQ(table.find(client(4), t0 + 4s).status, Status::miss);  // never pinned
  EXPECT_EQ(table.find(client(2), t0 + 4s).status, Status::hit);
}

TEST(StickTable, EntryExpiresTimeoutAfterLastUse) {
  StickTable table(100, 20min);
  table.pin(client(1), 3, t0);
  // Each use refreshes it: 15 minutes later, then 15 more, it is still there.
  EXPECT_EQ(table.find(client(1), t0 + 15min).status, Status::hit);
  EXPECT_EQ(table.find(client(1), t0 + 30min).status, Status::hit);
  // 20 minutes after the last use it is gone, reported once as expired with its old server.
  const auto late = table.find(client(1), t0 + 50min);
  EXPECT_EQ(late.status, Status::expired);
  EXPECT_EQ(late.server, 3u);
  EXPECT_EQ(table.find(client(1), t0 + 50min).status, Status::miss);
  EXPECT_EQ(table.size(), 0u);
}

TEST(StickTable, SweepRemovesOnlyExpiredEntries) {
  StickTable table(100, 10s);
  table.pin(client(1), 1, t0);
  table.pin(client(2), 1, t0 + 5s);
  table.pin(client(3), 1, t0 + 9s);
  EXPECT_EQ(table.expire(t0 + 12s), 1u);  // only client 1 has been idle 10 s
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.find(client(2), t0 + 12s).status, Status::hit);
}

TEST(StickTable, LeastRecentlyUsedIsEvictedAtCapacity) {
  StickTable table(3, 20min);
  table.pin(client(1), 1, t0);
  table.pin(client(2), 2, t0 + 1s);
  table.pin(client(3), 3, t0 + 2s);
  table.find(client(1), t0 + 3s);  // 1 is now more recent than 2
  table.pin(client(4), 4, t0 + 4s);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.evictions(), 1u);
  EXPECT_EQ(table.find(client(2), t0 + 5s).status, Status::evicted);
  EXPECT_EQ(table.find(client(1), t0 + 5s).status, Status::hit);
  EXPECT_EQ(table.find(client(4), t0 + 5s).status, Status::hit);
}

TEST(StickTable, RepinMovesAClientWithoutGrowingTheTable) {
  StickTable table(10, 20min);
  table.pin(client(1), 1, t0);
  table.pin(client(1), 2, t0 + 1s);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.find(client(1), t0 + 2s).server, 2u);
}

// Random operations against a plain reference LRU: the open-addressing index with backward-shift
// deletion must agree with it on every lookup.
TEST(StickTable, BehavesLikeAReferenceLru) {
  constexpr std::size_t kCapacity = 64;
  StickTable table(kCapacity, 1h);
  std::list<std::uint32_t> lru;  // front = most recent
  std::unordered_map<std::uint32_t, std::pair<std::uint32_t, std::list<std::uint32_t>::iterator>>
      model;
  std::mt19937 random(7);
  auto now = t0;
  for (int op = 0; op < 200'000; ++op) {
    now += 1ms;
    const std::uint32_t k = random() % 200;
    if (random() % 2) {
      const std::uint32_t server = random() % 5;
      table.pin(client(k), server, now);
      if (auto it = model.find(k); it != model.end()) {
        lru.erase(it->second.second);
        model.erase(it);
      } else if (model.size() == kCapacity) {
        model.erase(lru.back());
        lru.pop_back();
      }
      lru.push_front(k);
      model[k] = {server, lru.begin()};
    } else {
      const auto found = table.find(client(k), now);
      auto it = model.find(k);
      ASSERT_EQ(found.status == Status::hit, it != model.end()) << "op " << op;
      if (it != model.end()) {
        ASSERT_EQ(found.server, it->second.first);
        lru.erase(it->second.second);
        lru.push_front(k);
        it->second.second = lru.begin();
      }
    }
    ASSERT_EQ(table.size(), model.size());
  }
}

// Beyond the exact range eviction samples: a recently used client must survive a flood of new
// ones, and what goes is what was idle longest.
TEST(StickTable, LargeTableEvictsIdleClientsAndKeepsRecentOnes) {
  constexpr std::uint32_t kCapacity = 50'000, kRecent = 5'000, kNew = 5'000;
  StickTable table(kCapacity, 1h);
  for (std::uint32_t k = 0; k < kCapacity; ++k)
    table.pin(client(k), 1, t0 + std::chrono::milliseconds(k));
  // The last 10% pinned are also the ones used again just now.
  for (std::uint32_t k = kCapacity - kRecent; k < kCapacity; ++k)
    ASSERT_EQ(table.find(client(k), t0 + 100s).status, Status::hit);
  for (std::uint32_t k = 0; k < kNew; ++k)
    table.pin(client(kCapacity + k), 2, t0 + 101s);
  EXPECT_EQ(table.size(), kCapacity);
  EXPECT_EQ(table.evictions(), kNew);
  std::uint32_t recent_kept = 0, new_kept = 0;
  for (std::uint32_t k = kCapacity - kRecent; k < kCapacity; ++k)
    recent_kept += table.peek(client(k), t0 + 101s).status == Status::hit;
  for (std::uint32_t k = 0; k < kNew; ++k)
    new_kept += table.peek(client(kCapacity + k), t0 + 101s).status == Status::hit;
  EXPECT_EQ(recent_kept, kRecent);
  // Sampling evicts some new entries too (pinned at the same instant, so equally recent among
  // themselves), but nearly all victims are old: far fewer than with random eviction (10%).
  EXPECT_GE(new_kept, kNew * 99 / 100);
}

TEST(StickTable, ForEachReturnsKeysAsPinned) {
  StickTable table(1000, 1h);
  const auto v6 = source_key(asio::ip::make_address("2001:db8:1:2::7"), 32, 64);
  const auto v4 = client(42);
  table.pin(v6, 5, t0);
  table.pin(v4, 6, t0 + 1s);
  std::map<std::string, std::pair<std::uint32_t, Clock::time_point>> seen;
  table.for_each([&](const AffinityKey& key, std::uint32_t server, Clock::time_point used) {
    seen[key.to_string(key.family == 4 ? 32 : 64)] = {server, used};
  });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen["2001:db8:1:2::/64"], std::make_pair(5u, t0));
  EXPECT_EQ(seen["10.0.0.42/32"], std::make_pair(6u, t0 + 1s));
}

TEST(StickTable, ManyThreadsShareOneTable) {
  constexpr std::uint32_t kKeys = 50'000;
  StickTable table(20'000, 1h);  // smaller than the key space: evictions under contention
  const auto server_of = [](std::uint32_t k) { return k % 13; };
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      for (int op = 0; op < 200'000; ++op) {
        const std::uint32_t k = random() % kKeys;
        const auto found = table.find(client(k), t0);
        if (found.status == Status::hit && found.server != server_of(k)) ++wrong;
        if (found.status != Status::hit) table.pin(client(k), server_of(k), t0);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(table.size(), 20'000u);
  EXPECT_GT(table.evictions(), 0u);
  std::size_t visited = 0;
  table.for_each([&](const AffinityKey&, std::uint32_t, Clock::time_point) { ++visited; });
  EXPECT_EQ(visited, table.size());
}

TEST(StickTable, HoldsAMillionClients) {
  StickTable table(1'000'000, 1h);
  for (std::uint32_t k = 0; k < 1'000'000; ++k)
    table.pin(client(k), k % 7, t0);
  EXPECT_EQ(table.size(), 1'000'000u);
  EXPECT_EQ(table.evictions(), 0u);
  EXPECT_EQ(table.find(client(999'999), t0).server, 999'999u % 7);
  table.pin(client(1'000'000), 1, t0);
  EXPECT_EQ(table.size(), 1'000'000u);
  EXPECT_EQ(table.evictions(), 1u);
}

}  // namespace
}  // namespace tether::lb
