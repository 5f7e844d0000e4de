// A pool of a new configuration (reload, docs/reload.md): servers that remain are the same
// objects under the same ids, so their states, counters and stick entries carry over; removed
// servers break their pinned clients with cause `removed`; nothing changes before take_over().
#include <gtest/gtest.h>

#include "lb/pool.h"

namespace tether::lb {
namespace {

using namespace std::chrono_literals;

config::ServerConfig server(const std::string& name, unsigned short port) {
  config::ServerConfig s;
  s.name = name;
  s.address.text = "127.0.0.1:" + std::to_string(port);
  s.address.endpoint = {asio::ip::make_address("127.0.0.1"), port};
  return s;
}

config::PoolConfig pool_of(std::vector<config::ServerConfig> servers) {
  config::PoolConfig c;
  c.name = "web";
  c.servers = std::move(servers);
  return c;
}

AffinityKey key_of(std::uint32_t n) {
  return source_key(asio::ip::address_v4(0x7F010000u + n), 32, 64);
}

TEST(PoolReload, RemainingServersAreSharedAndKeepTheirIds) {
  Pool before(pool_of({server("fe01", 8001), server("fe02", 8002), server("fe03", 8003)}), 20min,
              1000);
  before.find_server("fe02")->admin_state = AdminState::drain;
  before.find_server("fe03")->total = 42;

  // fe01 removed, fe03 moved to another port, fe04 added.
  Pool after(pool_of({server("fe02", 8002), server("fe03", 9003), server("fe04", 8004)}),
             before.shared_stick_table(), &before);
  EXPECT_EQ(after.find_server("fe02"), before.find_server("fe02"));
  EXPECT_EQ(after.find_server("fe02")->id, 1u);
  EXPECT_NE(after.find_server("fe03"), before.find_server("fe03"));  // a new address: new object
  EXPECT_EQ(after.find_server("fe03")->id, 2u);
  EXPECT_EQ(after.find_server("fe03")->total, 42u);  // ... with the old one's states
  EXPECT_EQ(after.find_server("fe04")->id, 3u);
  EXPECT_EQ(after.find_server("fe02")->admin_state, AdminState::drain);
  EXPECT_EQ(after.server(0)->name(), "fe01");  // ids of removed servers still resolve
  EXPECT_EQ(after.id_limit(), 4u);
  // Built, not committed: the old pool is untouched (a dry run drops `after` here).
  EXPECT_FALSE(before.find_server("fe01")->removed);

  const auto gone = after.take_over(before);
  ASSERT_EQ(gone.size(), 2u);  // fe01, and fe03's old object
  EXPECT_TRUE(before.find_server("fe01")->removed);
  EXPECT_FALSE(after.find_server("fe02")->removed);
  // The old pool, republished through the new one, no longer offers removed servers.
  for (const auto id : before.snapshot()->candidates)
    EXPECT_FALSE(before.server(id)->removed) << before.server(id)->name();
}

TEST(PoolReload, AClientPinnedToARemovedServerMovesAndCountsRemoved) {
  Pool before(pool_of({server("fe01", 8001), server("fe02", 8002)}), 20min, 1000);
  const auto now = Clock::now();
  const auto key = key_of(1);
  before.pin(key, *before.find_server("fe01"), now);
  const auto kept_key = key_of(2);
  before.pin(kept_key, *before.find_server("fe02"), now);

  Pool after(pool_of({server("fe02", 8002), server("fe03", 8003)}), before.shared_stick_table(),
             &before);
  after.take_over(before);
  const auto moved = after.place(*after.snapshot(), &key, key_hash(key, 0), {}, now);
  ASSERT_NE(moved.server, nullptr);
  EXPECT_NE(moved.server->name(), "fe01");
  EXPECT_EQ(after.breaks(BreakCause::removed), 1u);
  const auto kept = after.place(*after.snapshot(), &kept_key, key_hash(kept_key, 0), {}, now);
  EXPECT_EQ(kept.server, after.find_server("fe02"));
  EXPECT_EQ(kept.decision, Decision::stick);
}

TEST(PoolReload, AReaddedServerGetsItsOldIdBack) {
  Pool first(pool_of({server("fe01", 8001), server("fe02", 8002)}), 20min, 1000);
  Pool second(pool_of({server("fe02", 8002)}), first.shared_stick_table(), &first);
  second.take_over(first);
  Pool third(pool_of({server("fe02", 8002), server("fe01", 8001)}), second.shared_stick_table(),
             &second);
  third.take_over(second);
  EXPECT_EQ(third.find_server("fe01")->id, 0u);
  EXPECT_FALSE(third.find_server("fe01")->removed);
  EXPECT_EQ(third.id_limit(), 2u);
}

}  // namespace
}  // namespace tether::lb
