#include "lb/maglev.h"

#include <xxhash.h>

#include <algorithm>
#include <numeric>

namespace tether::lb {

MaglevPermutation maglev_permutation(const std::string& name, std::uint64_t hash_seed,
                                     std::uint32_t size) {
  // One 128-bit hash gives both halves, so offset and skip are independent without a second seed.
  const XXH128_hash_t h = XXH3_128bits_withSeed(name.data(), name.size(), hash_seed);
  return {h.low64 % size, h.high64 % (size - 1) + 1};
}

MaglevTable MaglevTable::build(std::span<const MaglevBackend> backends, std::uint64_t hash_seed,
                               std::uint32_t size) {
  MaglevTable table;
  std::vector<std::uint32_t> order;
  std::uint32_t max_weight = 0;
  for (std::uint32_t i = 0; i < backends.size(); ++i) {
    if (backends[i].weight == 0) continue;
    order.push_back(i);
    max_weight = std::max(max_weight, backends[i].weight);
  }
  if (order.empty() || size < 2) return table;
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return backends[a].name < backends[b].name; });

  struct Turn {
    std::uint32_t backend;
    std::uint32_t weight;
    MaglevPermutation permutation;
    std::uint64_t next = 0;    // j: the next index into the permutation to try
    std::uint64_t credit = 0;  // accumulated weight; a slot is claimed per max_weight of credit
  };
  std::vector<Turn> turns;
  turns.reserve(order.size());
  for (std::uint32_t b : order)
    turns.push_back({b, backends[b].weight, maglev_permutation(backends[b].name, hash_seed, size)});

  table.entries_.assign(size, kNone);
  std::uint32_t filled = 0;
  while (filled < size) {
    for (Turn& t : turns) {
      t.credit += t.weight;
      if (t.credit < max_weight) continue;
      t.credit -= max_weight;
      std::uint64_t slot;
      do {
        slot = (t.permutation.offset + t.next * t.permutation.skip) % size;
        ++t.next;
      } while (table.entries_[slot] != kNone);
      table.entries_[slot] = t.backend;
      if (++filled == size) break;
    }
  }
  return table;
}

}  // namespace tether::lb
