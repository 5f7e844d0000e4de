// Maglev consistent hashing (Eisenbud et al., NSDI 2016, §3.4), weighted as in Katran's
// MaglevHashV2: each backend takes a turn to claim its next preferred slot in proportion to
// its weight. The builder is a pure function; a built table is immutable and shared by all
// workers. docs/hashing.md specifies every step so other implementations can reproduce it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tether::lb {

// 65537 is Maglev's default: prime, and > 100 × N for pools up to 655 servers, which keeps
// every server's share within 1% of its ideal (paper §5.3).
inline constexpr std::uint32_t kMaglevTableSize = 65537;

struct MaglevBackend {
  std::string name;  // the permutation is derived from the name, never the address
  std::uint32_t weight = 1;
};

class MaglevTable {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  MaglevTable() = default;

  // Entries hold indices into `backends`. Backends with weight 0 own nothing. The result does not
  // depend on the order of `backends`: slots are claimed in name order.
  static MaglevTable build(std::span<const MaglevBackend> backends, std::uint64_t hash_seed,
                           std::uint32_t size = kMaglevTableSize);

  bool empty() const { return entries_.empty(); }
  std::uint32_t size() const { return static_cast<std::uint32_t>(entries_.size()); }
  const std::vector<std::uint32_t>& entries() const { return entries_; }

  std::uint32_t pick(std::uint64_t key_hash) const {
    return entries_.empty() ? kNone : entries_[key_hash % entries_.size()];
  }

  // "The next server in hash order" for retries: walk the table onward from the key's slot and
  // take the first backend `excluded` does not reject. kNone when every backend is excluded.
  template <typename Excluded>
  std::uint32_t pick_excluding(std::uint64_t key_hash, Excluded&& excluded) const {
    const std::size_t n = entries_.size();
    if (n == 0) return kNone;
    const std::size_t start = key_hash % n;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t backend = entries_[(start + i) % n];
      if (!excluded(backend)) return backend;
    }
    return kNone;
  }

 private:
  std::vector<std::uint32_t> entries_;
};

// offset and skip of a backend's permutation (docs/hashing.md §2); exposed for the test vectors.
struct MaglevPermutation {
  std::uint64_t offset;
  std::uint64_t skip;
};
MaglevPermutation maglev_permutation(const std::string& name, std::uint64_t hash_seed,
                                     std::uint32_t size);

}  // namespace tether::lb
