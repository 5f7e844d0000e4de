// The state file (SPEC §6a, docs/reload.md): what is written reads back the same, and a foreign,
// truncated, corrupt or future file is an error sentence, never a crash or a half-read table.
#include "lb/state_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tether::lb {
namespace {

using namespace std::chrono_literals;

StickState sample() {
  StickState state;
  state.written_at_ms = 1'795'000'000'000;
  StickState::PoolEntries web;
  web.name = "web";
  web.servers = {"fe01", "fe02", "fe03"};
  for (std::uint32_t i = 0; i < 100; ++i)
    web.entries.push_back(
        {source_key(asio::ip::address_v4(0x0A000000u + i), 32, 64), i % 3, i * 1ms});
  web.entries.push_back({source_key(asio::ip::make_address("2001:db8::7"), 32, 64), 1, 5s});
  StickState::PoolEntries empty;
  empty.name = "web-ext";
  empty.servers = {"a"};
  state.pools = {web, empty};
  return state;
}

void expect_same(const StickState& a, const StickState& b) {
  EXPECT_EQ(a.written_at_ms, b.written_at_ms);
  ASSERT_EQ(a.pools.size(), b.pools.size());
  for (std::size_t p = 0; p < a.pools.size(); ++p) {
    EXPECT_EQ(a.pools[p].name, b.pools[p].name);
    EXPECT_EQ(a.pools[p].servers, b.pools[p].servers);
    ASSERT_EQ(a.pools[p].entries.size(), b.pools[p].entries.size());
    for (std::size_t e = 0; e < a.pools[p].entries.size(); ++e) {
      EXPECT_EQ(a.pools[p].entries[e].key, b.pools[p].entries[e].key);
      EXPECT_EQ(a.pools[p].entries[e].server, b.pools[p].entries[e].server);
      EXPECT_EQ(a.pools[p].entries[e].idle, b.pools[p].entries[e].idle);
    }
  }
}

TEST(StateFile, RoundTrips) {
  const auto bytes = encode_state(sample());
  const auto decoded = decode_state(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  expect_same(*decoded.value, sample());
}

TEST(StateFile, AForeignFileIsRefused) {
  EXPECT_EQ(decode_state("").error, "not a Tether state file (no \"TETHSTAT\" magic)");
  EXPECT_EQ(decode_state("threads: 2\nfrontends: []\n").error,
            "not a Tether state file (no \"TETHSTAT\" magic)");
  std::string elf = encode_state(sample());
  elf.replace(0, 4,
              "\x7f"
              "ELF");
  EXPECT_FALSE(decode_state(elf).ok());
}

TEST(StateFile, EveryTruncationIsRefused) {
  const auto bytes = encode_state(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const auto decoded = decode_state(std::string_view(bytes).substr(0, n));
    EXPECT_FALSE(decoded.ok()) << "cut at " << n;
  }
  EXPECT_EQ(decode_state(bytes.substr(0, 20)).error, "truncated: 20 bytes");
}

TEST(StateFile, AnyFlippedBitIsRefused) {
  const auto bytes = encode_state(sample());
  for (std::size_t i = 0; i < bytes.size(); i += 7) {
    std::string corrupt = bytes;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x10);
    EXPECT_FALSE(decode_state(corrupt).ok()) << "byte " << i;
  }
  std::string corrupt = bytes;
  corrupt[40] = static_cast<char>(corrupt[40] ^ 1);
  EXPECT_EQ(decode_state(corrupt).error, "checksum mismatch: the file is corrupt or truncated");
}

TEST(StateFile, AnotherFormatVersionIsRefusedByName) {
  std::string future = encode_state(sample());
  future[8] = 2;  // the version field follows the magic
  EXPECT_EQ(decode_state(future).error, "format version 2 (this Tether reads version 1)");
}

TEST(StateFile, WrittenAtomicallyAndReadBack) {
  const std::string path = ::testing::TempDir() + "tether-state-test";
  std::filesystem::remove(path);
  std::string error;
  EXPECT_FALSE(read_whole_file(path, error));
  EXPECT_EQ(error, "");  // absent is not an error

  const auto bytes = encode_state(sample());
  ASSERT_EQ(write_file_atomically(path, bytes), std::nullopt);
  ASSERT_EQ(write_file_atomically(path, bytes), std::nullopt);  // over an existing file
  const auto read = read_whole_file(path, error);
  ASSERT_TRUE(read) << error;
  EXPECT_EQ(*read, bytes);
  // No temporary file is left next to it.
  for (const auto& entry : std::filesystem::directory_iterator(::testing::TempDir()))
    EXPECT_EQ(entry.path().string().find(path + ".tmp"), std::string::npos) << entry.path();

  const auto failed = write_file_atomically("/nonexistent-tether-dir/state", bytes);
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->find("cannot create /nonexistent-tether-dir/state.tmp."), std::string::npos)
      << *failed;
}

}  // namespace
}  // namespace tether::lb
