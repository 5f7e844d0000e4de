// The affinity key of a client: its address masked to a prefix (SPEC §4, docs/hashing.md §1).
// Pure value type; no sockets.
#pragma once

#include <array>
#include <asio/ip/address.hpp>
#include <cstdint>
#include <string>

namespace tether::lb {

struct AffinityKey {
  // Masked address in network byte order; IPv4 uses the first 4 bytes, the rest stay zero.
  std::array<std::uint8_t, 16> bytes{};
  std::uint8_t family = 4;  // 4 or 6

  std::size_t length() const { return family == 4 ? 4 : 16; }
  bool operator==(const AffinityKey&) const = default;

  // "10.1.2.0/24", "2001:db8::/64": the key as an operator reads it.
  std::string to_string(unsigned prefix) const;
};

// IPv4-mapped IPv6 addresses (a dual-stack listener's view of an IPv4 client) count as IPv4,
// so one client has one key whichever listener it reached.
asio::ip::address canonical(const asio::ip::address& address);

AffinityKey source_key(const asio::ip::address& client, unsigned ipv4_mask, unsigned ipv6_mask);

// The 64-bit key hash the Maglev table is indexed with: XXH64 over key bytes, seeded by hash_seed.
std::uint64_t key_hash(const AffinityKey& key, std::uint64_t hash_seed);

}  // namespace tether::lb
