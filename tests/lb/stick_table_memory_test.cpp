// Memory bound of the stick table (issue 9): a million clients, with IPv6 keys (the larger
// kind), cost at most 100 MiB of resident memory.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "lb/stick_table.h"

namespace tether::lb {
namespace {

using namespace std::chrono_literals;

std::size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

TEST(StickTableMemory, AMillionIpv6ClientsFitInAHundredMebibytes) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizer shadow memory makes resident size meaningless";
#endif
  const Clock::time_point t0(1000s);
  const std::size_t before = resident_kib();
  {
    StickTable table(1'000'000, 1h);
    asio::ip::address_v6::bytes_type bytes{0x20, 0x01, 0x0d, 0xb8};
    for (std::uint32_t k = 0; k < 1'000'000; ++k) {
      bytes[4] = static_cast<unsigned char>(k >> 16);
      bytes[5] = static_cast<unsigned char>(k >> 8);
      bytes[6] = static_cast<unsigned char>(k);
      table.pin(source_key(asio::ip::address_v6(bytes), 32, 64), k % 7, t0);
    }
    ASSERT_EQ(table.size(), 1'000'000u);
    const std::size_t grown_kib = resident_kib() - before;
    std::printf("  1M stick entries: %.1f MiB resident (%.0f bytes per entry)\n",
                grown_kib / 1024.0, grown_kib * 1024.0 / 1e6);
    EXPECT_LE(grown_kib, 100u * 1024);
    EXPECT_GT(grown_kib, 1024u) << "the measurement did not see the table at all";
  }
}

// The table is sized for its capacity but touches memory only as entries arrive: a pool's
// default million-entry table must not cost 64 MiB from its first client on.
TEST(StickTableMemory, MemoryFollowsTheEntriesNotTheCapacity) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizer shadow memory makes resident size meaningless";
#endif
  const Clock::time_point t0(1000s);
  const std::size_t before = resident_kib();
  StickTable table(1'000'000, 1h);
  for (std::uint32_t k = 0; k < 10'000; ++k)
    table.pin(source_key(asio::ip::address_v4(0x0A000000u + k), 32, 64), k % 7, t0);
  ASSERT_EQ(table.size(), 10'000u);
  const std::size_t grown_kib = resident_kib() - before;
  std::printf("  10k entries in a 1M-entry table: %.1f MiB resident\n", grown_kib / 1024.0);
  EXPECT_LE(grown_kib, 4u * 1024);  // the full table's slots would be 64 MiB
  for (std::uint32_t k = 0; k < 10'000; ++k)
    EXPECT_EQ(table.find(source_key(asio::ip::address_v4(0x0A000000u + k), 32, 64), t0).server,
              k % 7);
}

}  // namespace
}  // namespace tether::lb
