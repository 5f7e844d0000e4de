// The state file (SPEC §6a `state_file`, docs/reload.md): the pools' stick tables, kept across a
// restart. Encoding and decoding are pure; decoding trusts nothing — a file that is foreign,
// truncated, corrupt or from another format version gives an error sentence, never a crash.
//
// Format version 1, integers little-endian:
//   magic "TETHSTAT" (8 bytes) · u32 version (1) · u32 flags (0) · u64 written_at (Unix ms)
//   u32 pool count, then per pool:
//     u16 name length · name · u32 server count · per server: u16 name length · name
//     u64 entry count · per entry: u8 family (4|6) · 16 key bytes · u32 server index (into this
//     pool's server names) · u64 idle (ms since last use when written)
//   u64 XXH3-64 of every byte before it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/parsed.h"
#include "lb/affinity_key.h"

namespace tether::lb {

struct StickState {
  struct Entry {
    AffinityKey key;
    std::uint32_t server = 0;  // index into the pool's `servers`
    std::chrono::milliseconds idle{0};
  };
  struct PoolEntries {
    std::string name;
    std::vector<std::string> servers;
    std::vector<Entry> entries;  // most recently used first
  };
  std::uint64_t written_at_ms = 0;  // Unix time
  std::vector<PoolEntries> pools;
};

inline constexpr std::uint32_t kStateFormatVersion = 1;

std::string encode_state(const StickState& state);
config::Parsed<StickState> decode_state(std::string_view bytes);

// Writes `bytes` to `path` atomically: a temporary file next to it, fsync, rename over it, fsync
// of the directory. A reader sees the old file or the new one, never a part. Error: a sentence.
std::optional<std::string> write_file_atomically(const std::string& path, std::string_view bytes);

// The file's bytes; nullopt and `error` empty when it does not exist.
std::optional<std::string> read_whole_file(const std::string& path, std::string& error);

}  // namespace tether::lb
