#include "lb/stick_table.h"

#include <xxhash.h>

#include <bit>
#include <cassert>

namespace tether::lb {

namespace {

constexpr std::uint32_t kNil = UINT32_MAX;

std::uint64_t hash_of(const AffinityKey& key) {
  std::uint8_t raw[17];
  std::copy(key.bytes.begin(), key.bytes.end(), raw);
  raw[16] = key.family;
  return XXH3_64bits(raw, sizeof raw);
}

}  // namespace

// One shard: a slab of nodes linked in LRU order plus an open-addressing index (linear probing,
// backward-shift deletion, load ≤ 1/2) — about 60 bytes per entry, no allocation per insert once
// the slab has grown. Every member is guarded by `mutex`.
class StickTable::Shard {
 public:
  explicit Shard(std::uint32_t capacity)
      : capacity_(capacity), index_(std::bit_ceil(std::uint64_t{capacity} * 2), 0) {
    mask_ = index_.size() - 1;
  }

  std::mutex mutex;

  struct Node {
    AffinityKey key;
    std::uint32_t hash;  // low bits of the key's hash, to re-home entries on deletion
    std::uint32_t server;
    std::uint32_t prev, next;  // LRU list: head is the most recently used
    Clock::time_point last_used;
  };

  // Index position holding `key`, or kNil.
  std::uint32_t find(const AffinityKey& key, std::uint32_t hash) const {
    for (std::uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
      const std::uint32_t slot = index_[i];
      if (slot == 0) return kNil;
      const Node& n = nodes_[slot - 1];
      if (n.hash == hash && n.key == key) return static_cast<std::uint32_t>(i);
    }
  }

  Node& node_at(std::uint32_t position) { return nodes_[index_[position] - 1]; }

  // Inserts a key known to be absent; returns its node. Evicts the LRU tail when the shard is
  // full or the caller says the table as a whole is.
  Node& insert(const AffinityKey& key, std::uint32_t hash, bool table_full, bool& evicted) {
    evicted = false;
    if (count_ > 0 && (count_ == capacity_ || table_full)) {
      erase_node(tail_);
      evicted = true;
    }
    std::uint32_t node;
    if (free_ != kNil) {
      node = free_;
      free_ = nodes_[node].next;
    } else {
      node = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back();
    }
    Node& n = nodes_[node];
    n.key = key;
    n.hash = hash;
    std::uint64_t i = hash & mask_;
    while (index_[i] != 0)
      i = (i + 1) & mask_;
    index_[i] = node + 1;
    link_front(node);
    ++count_;
    return n;
  }

  void touch(std::uint32_t position, Clock::time_point now) {
    const std::uint32_t node = index_[position] - 1;
    nodes_[node].last_used = now;
    unlink(node);
    link_front(node);
  }

  void erase_position(std::uint32_t position) { erase_node(index_[position] - 1); }

  std::size_t expire(Clock::time_point now, Clock::duration timeout) {
    std::size_t removed = 0;
    while (tail_ != kNil && nodes_[tail_].last_used + timeout <= now) {
      erase_node(tail_);
      ++removed;
    }
    return removed;
  }

  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (std::uint32_t n = head_; n != kNil; n = nodes_[n].next)
      visit(nodes_[n].key, nodes_[n].server, nodes_[n].last_used);
  }

  std::uint32_t count() const { return count_; }

 private:
  void link_front(std::uint32_t node) {
    nodes_[node].prev = kNil;
    nodes_[node].next = head_;
    if (head_ != kNil) nodes_[head_].prev = node;
    head_ = node;
    if (tail_ == kNil) tail_ = node;
  }

  void unlink(std::uint32_t node) {
    Node& n = nodes_[node];
    (n.prev != kNil ? nodes_[n.prev].next : head_) = n.next;
    (n.next != kNil ? nodes_[n.next].prev : tail_) = n.prev;
  }

  void erase_node(std::uint32_t node) {
    assert(node != kNil);
    std::uint64_t i = nodes_[node].hash & mask_;
    while (index_[i] != node + 1)
      i = (i + 1) & mask_;
    // Backward-shift deletion: pull later members of the probe run into the hole so lookups
    // never need tombstones.
    for (std::uint64_t j = (i + 1) & mask_; index_[j] != 0; j = (j + 1) & mask_) {
      const std::uint64_t home = nodes_[index_[j] - 1].hash & mask_;
      const bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      index_[i] = index_[j];
      i = j;
    }
    index_[i] = 0;
    unlink(node);
    nodes_[node].next = free_;
    free_ = node;
    --count_;
  }

  std::uint32_t capacity_;
  std::vector<std::uint32_t> index_;  // node index + 1; 0 = empty
  std::uint64_t mask_;
  std::vector<Node> nodes_;
  std::uint32_t head_ = kNil, tail_ = kNil, free_ = kNil;
  std::uint32_t count_ = 0;
};

StickTable::StickTable(std::uint64_t capacity, Clock::duration timeout)
    : capacity_(capacity), timeout_(timeout) {
  assert(capacity > 0);
  // Small tables get one shard so LRU order is exact; large ones one shard per 16k entries, up to
  // 64. The table's capacity is enforced globally (a full table evicts from the inserting shard's
  // LRU end); each shard has 25% headroom over its even share, which random keys never exceed by
  // more than a few standard deviations, so the whole capacity is usable.
  const std::uint64_t shards =
      std::min<std::uint64_t>(64, std::bit_floor(std::max<std::uint64_t>(1, capacity / 16384)));
  shard_mask_ = shards - 1;
  const std::uint64_t share = shards == 1 ? capacity : (capacity / shards) * 5 / 4;
  for (std::uint64_t i = 0; i < shards; ++i)
    shards_.push_back(std::make_unique<Shard>(static_cast<std::uint32_t>(share)));
}

StickTable::~StickTable() = default;

StickTable::Shard& StickTable::shard_for(std::uint64_t hash) const {
  return *shards_[(hash >> 58) & shard_mask_];
}

StickTable::Lookup StickTable::find(const AffinityKey& key, Clock::time_point now) {
  const std::uint64_t hash = hash_of(key);
  Shard& shard = shard_for(hash);
  std::lock_guard lock(shard.mutex);
  const std::uint32_t position = shard.find(key, static_cast<std::uint32_t>(hash));
  if (position == kNil) return {};
  auto& node = shard.node_at(position);
  if (node.last_used + timeout_ <= now) {
    const std::uint32_t server = node.server;
    shard.erase_position(position);
    size_.fetch_sub(1, std::memory_order_relaxed);
    return {Lookup::Status::expired, server};
  }
  const std::uint32_t server = node.server;
  shard.touch(position, now);
  return {Lookup::Status::hit, server};
}

StickTable::Lookup StickTable::peek(const AffinityKey& key, Clock::time_point now) const {
  const std::uint64_t hash = hash_of(key);
  Shard& shard = shard_for(hash);
  std::lock_guard lock(shard.mutex);
  const std::uint32_t position = shard.find(key, static_cast<std::uint32_t>(hash));
  if (position == kNil) return {};
  const auto& node = shard.node_at(position);
  return {node.last_used + timeout_ <= now ? Lookup::Status::expired : Lookup::Status::hit,
          node.server};
}

void StickTable::pin(const AffinityKey& key, std::uint32_t server, Clock::time_point now) {
  const std::uint64_t hash = hash_of(key);
  Shard& shard = shard_for(hash);
  std::lock_guard lock(shard.mutex);
  const std::uint32_t position = shard.find(key, static_cast<std::uint32_t>(hash));
  if (position != kNil) {
    shard.node_at(position).server = server;
    shard.touch(position, now);
    return;
  }
  bool evicted = false;
  const bool table_full = size_.load(std::memory_order_relaxed) >= capacity_;
  auto& node = shard.insert(key, static_cast<std::uint32_t>(hash), table_full, evicted);
  node.server = server;
  node.last_used = now;
  if (evicted)
    evictions_.fetch_add(1, std::memory_order_relaxed);
  else
    size_.fetch_add(1, std::memory_order_relaxed);
}

std::size_t StickTable::expire(Clock::time_point now) {
  std::size_t removed = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    removed += shard->expire(now, timeout_);
  }
  size_.fetch_sub(removed, std::memory_order_relaxed);
  return removed;
}

void StickTable::for_each(
    const std::function<void(const AffinityKey&, std::uint32_t, Clock::time_point)>& visit) const {
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    shard->for_each(visit);
  }
}

}  // namespace tether::lb
