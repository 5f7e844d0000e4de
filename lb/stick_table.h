// The stick table: which server each affinity key is pinned to (SPEC §4). Shared by all workers.
// Bounded: beyond `capacity` the least recently used entry is evicted (exactly LRU for tables of
// up to 191 entries, sampled LRU beyond: see stick_table.cpp); an entry expires `timeout` after
// its last use. Sharded (up to 64 shards) so workers on different keys rarely meet on a lock;
// a hit touches one cache line of entry. Memory grows with the entries, not with the capacity.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "lb/affinity_key.h"

namespace tether::lb {

using Clock = std::chrono::steady_clock;

class StickTable {
 public:
  struct Lookup {
    // evicted: no entry, but the key's pin was evicted to make room not long ago (each shard
    // remembers its last 256 evictions, direct-mapped by key hash), and is reported once.
    enum class Status { miss, hit, expired, evicted } status = Status::miss;
    std::uint32_t server = 0;  // hit: the pinned server; expired, evicted: the one it was pinned to
  };

  StickTable(std::uint64_t capacity, Clock::duration timeout);
  ~StickTable();
  StickTable(const StickTable&) = delete;
  StickTable& operator=(const StickTable&) = delete;

  // A hit refreshes the entry's last use. An expired entry is removed and reported once, and so is
  // a recently evicted one, so the caller can count the broken affinity.
  // Locks one shard.
  Lookup find(const AffinityKey& key, Clock::time_point now);

  // As find(), but changes nothing: for the admin API's "where would this client go".
  Lookup peek(const AffinityKey& key, Clock::time_point now) const;

  // Pins `key` to `server` (insert or overwrite), evicting a least recently used entry of the
  // shard when full. Locks one shard.
  void pin(const AffinityKey& key, std::uint32_t server, Clock::time_point now);

  // Removes every expired entry; returns how many. For a periodic sweep off the data path.
  std::size_t expire(Clock::time_point now);

  // Visits every live entry (shard by shard, each under its lock). Not for the data path.
  void for_each(const std::function<void(const AffinityKey&, std::uint32_t server,
                                         Clock::time_point last_used)>& visit) const;

  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
  Clock::duration timeout() const { return timeout_; }

 public:
  struct Slot;  // one entry, in stick_table.cpp

 private:
  class Shard;
  class SlotArena;
  Shard& shard_for(std::uint64_t hash) const;

  std::uint64_t capacity_;
  Clock::duration timeout_;
  std::unique_ptr<SlotArena> arena_;  // before shards_: they point into it
  std::vector<std::unique_ptr<Shard>> shards_;
  std::uint64_t shard_mask_;
  std::atomic<std::size_t> size_{0};
  std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace tether::lb
