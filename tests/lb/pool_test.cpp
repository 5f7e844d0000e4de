// Server choice as SPEC §4 states it: stick entries first, Maglev for new clients, and the
// effect of drain, maint and down on pinned and new clients.
#include "lb/pool.h"

#include <gtest/gtest.h>

#include <set>

namespace tether::lb {
namespace {

using namespace std::chrono_literals;

config::PoolConfig pool_config(int servers, config::Balance balance = config::Balance::maglev) {
  config::PoolConfig c;
  c.name = "web";
  c.balance = balance;
  for (int i = 1; i <= servers; ++i) {
    config::ServerConfig s;
    s.name = "fe0" + std::to_string(i);
    s.address.endpoint = {asio::ip::make_address("127.0.0.1"),
                          static_cast<unsigned short>(8000 + i)};
    c.servers.push_back(s);
  }
  return c;
}

struct Client {
  AffinityKey key;
  std::uint64_t hash;
};

Client client(std::uint32_t n) {
  auto key = source_key(asio::ip::address_v4(0x7F010000u + n), 32, 64);
  return {key, key_hash(key, 0)};
}

class PoolPlacement : public ::testing::Test {
 protected:
  Pool pool{pool_config(3), 20min, 1000};
  Clock::time_point now = Clock::now();

  // Places and, like a session whose connect succeeded, pins the client.
  Placement connect(const Client& c) {
    auto snapshot = pool.snapshot();
    auto p = pool.place(*snapshot, &c.key, c.hash, {}, now);
    if (p.server && p.decision != Decision::stick && !p.pin_kept) pool.pin(c.key, *p.server, now);
    return p;
  }
  // A client, and the first client pinned to `server`.
  Client client_of(const Server& server) {
    for (std::uint32_t n = 0;; ++n)
      if (auto c = client(n); connect(c).server == &server) return c;
  }
};

TEST_F(PoolPlacement, NewClientIsHashedThenStuck) {
  const auto c = client(1);
  const auto first = connect(c);
  ASSERT_NE(first.server, nullptr);
  EXPECT_EQ(first.decision, Decision::hash);
  const auto second = connect(c);
  EXPECT_EQ(second.server, first.server);
  EXPECT_EQ(second.decision, Decision::stick);
}

TEST_F(PoolPlacement, ACookieFallbackIsCountedAsAFallbackWhateverBalancedIt) {
  // The access log and the affinity explain call it fallback; so must the decision counter.
  const auto c = client(1);
  for (const auto balance :
       {config::Balance::maglev, config::Balance::round_robin, config::Balance::least_conn}) {
    const auto p = pool.place_fallback(*pool.snapshot(), c.hash, {}, balance);
    ASSERT_NE(p.server, nullptr);
    EXPECT_EQ(p.decision, Decision::fallback);
  }
  EXPECT_EQ(pool.decisions(Decision::fallback), 3u);
  EXPECT_EQ(pool.decisions(Decision::hash), 0u);
}

TEST_F(PoolPlacement, DrainKeepsPinnedClientsAndRefusesNewOnes) {
  Server& drained = *pool.servers()[0];
  const auto pinned = client_of(drained);
  drained.admin_state = AdminState::drain;
  pool.republish();
  EXPECT_EQ(connect(pinned).server, &drained);
  for (std::uint32_t n = 1000; n < 1300; ++n)
    EXPECT_NE(connect(client(n)).server, &drained);
  EXPECT_EQ(pool.breaks(BreakCause::server_maint), 0u);
}

TEST_F(PoolPlacement, MaintReplacesPinnedClientsAndCountsTheBreak) {
  Server& maint = *pool.servers()[1];
  const auto pinned = client_of(maint);
  maint.admin_state = AdminState::maint;
  pool.republish();
  const auto moved = connect(pinned);
  ASSERT_NE(moved.server, nullptr);
  EXPECT_NE(moved.server, &maint);
  EXPECT_EQ(pool.breaks(BreakCause::server_maint), 1u);
  // It stays on its new server when maint ends: a returning server only gets new clients.
  maint.admin_state = AdminState::ready;
  pool.republish();
  EXPECT_EQ(connect(pinned).server, moved.server);
}

TEST(PoolEviction, AClientWhosePinWasEvictedAndWhoLandsElsewhereIsCounted) {
  Pool pool(pool_config(3), 20min, 2);  // room for two pins
  Clock::time_point now = Clock::now();
  const auto connect = [&](const Client& c) {
    now += 1s;
    auto p = pool.place(*pool.snapshot(), &c.key, c.hash, {}, now);
    if (p.server && p.decision != Decision::stick && !p.pin_kept) pool.pin(c.key, *p.server, now);
    return p;
  };
  // A client pinned away from where it hashes: its server was in maint when it came.
  const Client c = client(1);
  Server* home = connect(c).server;
  home->admin_state = AdminState::maint;
  pool.republish();
  Server* pinned = connect(c).server;
  ASSERT_NE(pinned, home);
  home->admin_state = AdminState::ready;
  pool.republish();
  ASSERT_EQ(connect(c).server, pinned);
  // Two newer clients fill the table; the older pin makes room.
  connect(client(2));
  connect(client(3));
  ASSERT_GE(pool.stick_table()->evictions(), 1u);
  const auto back = connect(c);
  EXPECT_EQ(back.server, home);
  EXPECT_EQ(back.decision, Decision::hash);
  EXPECT_EQ(pool.breaks(BreakCause::evicted), 1u);
}

TEST_F(PoolPlacement, DownServerClientsMoveAndOthersStay) {
  std::vector<std::pair<Client, Server*>> placed;
  for (std::uint32_t n = 0; n < 300; ++n)
    placed.push_back({client(n), connect(client(n)).server});
  Server& down = *pool.servers()[2];
  down.healthy = false;
  pool.republish();
  std::size_t moved_needlessly = 0;
  for (auto& [c, before] : placed) {
    const auto after = connect(c).server;
    if (before == &down)
      EXPECT_NE(after, &down);
    else
      moved_needlessly += after != before;
  }
  EXPECT_EQ(moved_needlessly, 0u);
  EXPECT_GT(pool.breaks(BreakCause::server_down), 0u);
}

TEST_F(PoolPlacement, RetrySkipsTheServerThatFailed) {
  const auto c = client(5);
  auto snapshot = pool.snapshot();
  const auto first = pool.place(*snapshot, &c.key, c.hash, {}, now);
  const std::uint32_t tried[] = {first.server->id};
  const auto retry = pool.place(*snapshot, &c.key, c.hash, tried, now);
  ASSERT_NE(retry.server, nullptr);
  EXPECT_NE(retry.server, first.server);
}

TEST_F(PoolPlacement, NoUsableServerMeansNone) {
  for (const auto& s : pool.servers())
    s->healthy = false;
  pool.republish();
  const auto c = client(1);
  EXPECT_EQ(connect(c).server, nullptr);
  EXPECT_EQ(pool.decisions(Decision::none), 1u);
}

// SPEC §6a counts a pinned client placed somewhere other than its pin; one refused because no
// server can take anybody was placed nowhere, and goes home once its server is back.
TEST_F(PoolPlacement, APinnedClientSentNowhereCountsNoBreakAndKeepsItsPin) {
  Server& home = *pool.servers()[0];
  const auto pinned = client_of(home);
  const auto set_all = [&](AdminState state, bool healthy) {
    for (const auto& s : pool.servers()) {
      s->admin_state = state;
      s->healthy = healthy;
    }
    pool.republish();
  };
  set_all(AdminState::maint, true);
  EXPECT_EQ(connect(pinned).server, nullptr);
  EXPECT_EQ(connect(pinned).server, nullptr);
  set_all(AdminState::ready, false);
  EXPECT_EQ(connect(pinned).server, nullptr);
  set_all(AdminState::ready, true);
  const auto back = connect(pinned);
  EXPECT_EQ(back.server, &home);
  EXPECT_EQ(back.decision, Decision::stick);
  for (int cause = 0; cause < static_cast<int>(BreakCause::count_); ++cause)
    EXPECT_EQ(pool.breaks(static_cast<BreakCause>(cause)), 0u)
        << to_string(static_cast<BreakCause>(cause));
}

TEST_F(PoolPlacement, ExpiredPinCountsABreakWhenTheClientLandsElsewhere) {
  Pool short_lived(pool_config(3), 1s, 1000);
  auto snapshot = short_lived.snapshot();
  // Pin a client somewhere its hash would not send it, as a move during an outage would.
  const auto c = client(9);
  Server* hashed = short_lived.place(*snapshot, &c.key, c.hash, {}, now).server;
  Server* other = short_lived.servers()[(hashed->id + 1) % 3].get();
  short_lived.pin(c.key, *other, now);
  const auto later = short_lived.place(*snapshot, &c.key, c.hash, {}, now + 2s);
  EXPECT_EQ(later.server, hashed);
  EXPECT_EQ(short_lived.breaks(BreakCause::expired), 1u);
}

TEST(PoolBalance, LeastConnPicksTheIdlestServer) {
  Pool pool(pool_config(3, config::Balance::least_conn), 0ms, 0);
  pool.servers()[0]->active = 5;
  pool.servers()[1]->active = 1;
  pool.servers()[2]->active = 3;
  const auto c = client(1);
  EXPECT_EQ(pool.place(*pool.snapshot(), &c.key, c.hash, {}, Clock::now()).server,
            pool.servers()[1].get());
}

TEST(PoolBalance, RoundRobinVisitsEveryServer) {
  Pool pool(pool_config(3, config::Balance::round_robin), 0ms, 0);
  std::set<Server*> seen;
  const auto c = client(1);
  for (int i = 0; i < 3; ++i)
    seen.insert(pool.place(*pool.snapshot(), &c.key, c.hash, {}, Clock::now()).server);
  EXPECT_EQ(seen.size(), 3u);
}

TEST(PoolBalance, MaxConnectionsSendsNewClientsElsewhere) {
  auto config = pool_config(2);
  config.max_connections = 1;
  Pool pool(config, 0ms, 0);
  const auto c = client(1);
  Server* first = pool.place(*pool.snapshot(), &c.key, c.hash, {}, Clock::now()).server;
  first->active = 1;
  Server* second = pool.place(*pool.snapshot(), &c.key, c.hash, {}, Clock::now()).server;
  EXPECT_NE(second, first);
}

}  // namespace
}  // namespace tether::lb
