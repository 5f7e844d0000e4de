#include "lb/stick_table.h"

#include <sys/mman.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstring>
#include <new>
#include <optional>
#include <vector>

namespace tether::lb {

namespace {

constexpr std::uint32_t kNil = UINT32_MAX;

std::uint64_t hash_of(const AffinityKey& key) {
  std::uint8_t raw[17];
  std::copy(key.bytes.begin(), key.bytes.end(), raw);
  raw[16] = key.family;
  return XXH3_64bits(raw, sizeof raw);
}

// The pins a shard evicted lately, so that a client whose pin made room for another is counted
// as an `evicted` break when it returns and lands elsewhere (SPEC §6a), not taken for a new
// client. Direct-mapped by key hash: a later eviction may overwrite an earlier one, so a client
// returning after many more evictions is not counted. Allocated at the shard's first eviction.
class EvictedPins {
 public:
  void remember(std::uint64_t hash, std::uint32_t server) {
    if (!pins_) pins_ = std::make_unique<Pin[]>(kPins);
    pins_[index(hash)] = {hash | 1, server};
  }
  // The server `hash`'s key was pinned to when it was evicted, once.
  std::optional<std::uint32_t> recall(std::uint64_t hash) {
    if (!pins_) return std::nullopt;
    Pin& pin = pins_[index(hash)];
    if (pin.hash != (hash | 1)) return std::nullopt;
    pin.hash = 0;
    return pin.server;
  }

 private:
  static constexpr std::size_t kPins = 256;  // 4 KiB per shard that ever evicted
  struct Pin {
    std::uint64_t hash = 0;  // 0: none
    std::uint32_t server = 0;
  };
  // Bits below the shard's (the top six) and apart from the slot's home (the low ones).
  static std::size_t index(std::uint64_t hash) { return (hash >> 32) & (kPins - 1); }
  std::unique_ptr<Pin[]> pins_;
};

}  // namespace

struct StickTable::Slot {
  std::uint64_t key[2];  // the key's 16 address bytes
  std::uint32_t tag;     // 0: empty; else (hash << 2) | (IPv6 ? 2 : 0) | 1
  std::uint32_t server;
  Clock::rep last_used;
};
static_assert(sizeof(StickTable::Slot) == 32);

// Every shard's slots in one anonymous mapping, reserved for the whole capacity: untouched pages
// cost no memory, and a shard uses only the start of its region until it grows (see Shard), so
// the table's memory follows the entries it holds. Transparent huge pages are asked for once the
// table is a quarter full: at a million entries a lookup otherwise pays a TLB miss on top of its
// cache miss, but asked from the start they would make every shard's first entry fault in 2 MiB.
class StickTable::SlotArena {
 public:
  explicit SlotArena(std::uint64_t slots)
      : bytes_(std::max<std::uint64_t>(slots * sizeof(Slot), 1)) {
    void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    base_ = static_cast<Slot*>(p);
  }
  ~SlotArena() { ::munmap(base_, bytes_); }
  SlotArena(const SlotArena&) = delete;
  SlotArena& operator=(const SlotArena&) = delete;
  Slot* base() const { return base_; }

  // Once, from whichever thread gets here first; the advice may be refused.
  void ask_for_huge_pages() {
    if (bytes_ < kHugePage || huge_.load(std::memory_order_relaxed)) return;
    if (!huge_.exchange(true, std::memory_order_relaxed)) ::madvise(base_, bytes_, MADV_HUGEPAGE);
  }

 private:
  static constexpr std::uint64_t kHugePage = 2 << 20;
  std::uint64_t bytes_;
  Slot* base_;
  std::atomic<bool> huge_{false};
};

// One shard: an open-addressing table (linear probing, backward-shift deletion, load ≤ 3/4)
// whose 32-byte slots hold the entries themselves, so a lookup costs one cache miss (a node
// list with LRU links cost four: index, node and two neighbours). Every member but the
// constants is guarded by `mutex`. (Lock-free reads under a sequence lock measured no faster on
// 2 CPUs: the miss, not the lock, is the cost; worth trying again on a many-core machine.)
//
// Least recently used by sampling: a full shard evicts the entry with the oldest last use among
// all of its slots when it has at most kExactSlots of them (exact LRU), else among kSample
// entries from a position the new key chooses (Redis's approximation; the victim is nearly
// always among the oldest few percent).
//
// A shard starts with kInitialSlots of its region and doubles, rehashing under its lock, when an
// insert would pass the 3/4 load, up to the slots its capacity needs: the table's memory grows with
// its entries (32 to 64 bytes each at the most) instead of being touched for the whole capacity at
// the first clients. It never shrinks; an idle table's entries expire, its slots stay.
class StickTable::Shard {
 public:
  static std::uint64_t slots_for(std::uint32_t capacity) {
    return std::bit_ceil(std::uint64_t{capacity} * 4 / 3 + 1);
  }

  Shard(std::uint32_t capacity, Slot* slots)
      : capacity_(capacity),
        max_slots_(slots_for(capacity)),
        slots_(std::min(max_slots_, kInitialSlots)),
        mask_(slots_ - 1),
        slot_(slots) {}

  struct Key {
    std::uint64_t words[2];
    std::uint32_t tag;
  };
  static Key key_of(const AffinityKey& key, std::uint64_t hash) {
    Key k;
    std::memcpy(k.words, key.bytes.data(), sizeof k.words);
    k.tag = (static_cast<std::uint32_t>(hash) << 2) | (key.family == 6 ? 2u : 0u) | 1u;
    return k;
  }

  std::mutex mutex;
  EvictedPins evicted;  // guarded by mutex

  std::uint32_t find(const Key& key) const {
    for (std::uint64_t i = home(key.tag);; i = (i + 1) & mask_) {
      const Slot& s = slot_[i];
      if (s.tag == 0) return kNil;
      if (s.tag == key.tag && s.key[0] == key.words[0] && s.key[1] == key.words[1])
        return static_cast<std::uint32_t>(i);
    }
  }

  const Slot& at(std::uint32_t position) const { return slot_[position]; }

  void set(std::uint32_t position, std::uint32_t server, Clock::rep now) {
    slot_[position].server = server;
    slot_[position].last_used = now;
  }

  void touch(std::uint32_t position, Clock::rep now) { slot_[position].last_used = now; }

  // Inserts a key known to be absent. Evicts (see above) when the shard is full or the caller
  // says the table as a whole is; returns whether it did.
  bool insert(const Key& key, std::uint32_t server, Clock::rep now, bool table_full) {
    const bool evict = count_ > 0 && (count_ == capacity_ || table_full);
    if (evict) {
      const std::uint64_t gone = victim(key.tag);
      evicted.remember(hash_of(key_of_slot(slot_[gone])), slot_[gone].server);
      erase(gone);
    } else if ((std::uint64_t{count_} + 1) * 4 > slots_ * 3 && slots_ < max_slots_)
      grow();
    place({{key.words[0], key.words[1]}, key.tag, server, now});
    ++count_;
    return evict;
  }

  void erase(std::uint64_t i) {
    // Backward-shift deletion: pull later members of the probe run into the hole so lookups
    // never need tombstones.
    for (std::uint64_t j = (i + 1) & mask_; slot_[j].tag != 0; j = (j + 1) & mask_) {
      const std::uint64_t h = home(slot_[j].tag);
      const bool stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
      if (stays) continue;
      slot_[i] = slot_[j];
      i = j;
    }
    slot_[i].tag = 0;
    --count_;
  }

  std::size_t expire(Clock::rep oldest_live) {
    std::size_t removed = 0;
    for (std::uint64_t i = 0; i < slots_;) {
      // An erase may pull a later entry into slot i: look at it again before moving on.
      if (slot_[i].tag != 0 && slot_[i].last_used < oldest_live) {
        erase(i);
        ++removed;
      } else {
        ++i;
      }
    }
    return removed;
  }

  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (std::uint64_t i = 0; i < slots_; ++i) {
      const Slot& s = slot_[i];
      if (s.tag == 0) continue;
      visit(key_of_slot(s), s.server, Clock::time_point(Clock::duration(s.last_used)));
    }
  }

 private:
  static constexpr std::uint64_t kExactSlots = 256;
  static constexpr unsigned kSample = 8;

  static constexpr std::uint64_t kInitialSlots = 512;  // 16 KiB

  std::uint64_t home(std::uint32_t tag) const { return (tag >> 2) & mask_; }

  static AffinityKey key_of_slot(const Slot& s) {
    AffinityKey key;
    std::memcpy(key.bytes.data(), s.key, sizeof s.key);
    key.family = (s.tag & 2) ? 6 : 4;
    return key;
  }

  void place(const Slot& entry) {
    std::uint64_t i = home(entry.tag);
    while (slot_[i].tag != 0)
      i = (i + 1) & mask_;
    slot_[i] = entry;
  }

  // Doubles the slots in use, in place: the live entries are set aside, the slots cleared and the
  // entries placed again by the new mask.
  void grow() {
    std::vector<Slot> live;
    live.reserve(count_);
    for (std::uint64_t i = 0; i < slots_; ++i)
      if (slot_[i].tag != 0) live.push_back(slot_[i]);
    std::memset(static_cast<void*>(slot_), 0, slots_ * sizeof(Slot));
    slots_ *= 2;
    mask_ = slots_ - 1;
    for (const Slot& entry : live)
      place(entry);
  }

  std::uint64_t victim(std::uint32_t tag) const {
    const bool exact = max_slots_ <= kExactSlots;
    std::uint64_t i = exact ? 0 : home(tag * 0x9E3779B9u);  // away from the new key's run
    std::uint64_t oldest = kNil;
    for (std::uint64_t seen = 0, visited = 0; visited < slots_; i = (i + 1) & mask_, ++visited) {
      if (slot_[i].tag == 0) continue;
      if (oldest == kNil || slot_[i].last_used < slot_[oldest].last_used) oldest = i;
      if (!exact && ++seen == kSample) break;
    }
    return oldest;
  }

  const std::uint32_t capacity_;
  const std::uint64_t max_slots_;  // this shard's region of the arena
  std::uint64_t slots_;            // in use: the start of the region
  std::uint64_t mask_;
  Slot* const slot_;
  std::uint32_t count_ = 0;
};

StickTable::StickTable(std::uint64_t capacity, Clock::duration timeout)
    : capacity_(capacity), timeout_(timeout) {
  assert(capacity > 0);
  // Small tables get one shard; large ones one shard per 16k entries, up to 64. The table's
  // capacity is enforced globally (a full table evicts from the inserting shard); each shard has
  // 25% headroom over its even share, which random keys never exceed by more than a few standard
  // deviations, so the whole capacity is usable.
  const std::uint64_t shards =
      std::min<std::uint64_t>(64, std::bit_floor(std::max<std::uint64_t>(1, capacity / 16384)));
  shard_mask_ = shards - 1;
  const auto share =
      static_cast<std::uint32_t>(shards == 1 ? capacity : (capacity / shards) * 5 / 4);
  const std::uint64_t per_shard = Shard::slots_for(share);
  arena_ = std::make_unique<SlotArena>(per_shard * shards);
  for (std::uint64_t i = 0; i < shards; ++i)
    shards_.push_back(std::make_unique<Shard>(share, arena_->base() + i * per_shard));
}

StickTable::~StickTable() = default;

StickTable::Shard& StickTable::shard_for(std::uint64_t hash) const {
  return *shards_[(hash >> 58) & shard_mask_];
}

StickTable::Lookup StickTable::find(const AffinityKey& key, Clock::time_point now) {
  const std::uint64_t hash = hash_of(key);
  Shard& shard = shard_for(hash);
  const Clock::rep t = now.time_since_epoch().count();
  std::lock_guard lock(shard.mutex);
  const std::uint32_t position = shard.find(Shard::key_of(key, hash));
  if (position == kNil) {
    if (const auto server = shard.evicted.recall(hash)) return {Lookup::Status::evicted, *server};
    return {};
  }
  const Slot& slot = shard.at(position);
  const std::uint32_t server = slot.server;
  if (slot.last_used + timeout_.count() <= t) {
    shard.erase(position);
    size_.fetch_sub(1, std::memory_order_relaxed);
    return {Lookup::Status::expired, server};
  }
  shard.touch(position, t);
  return {Lookup::Status::hit, server};
}

StickTable::Lookup StickTable::peek(const AffinityKey& key, Clock::time_point now) const {
  const std::uint64_t hash = hash_of(key);
  Shard& shard = shard_for(hash);
  std::lock_guard lock(shard.mutex);
  const std::uint32_t position = shard.find(Shard::key_of(key, hash));
  if (position == kNil) return {};
  const auto& slot = shard.at(position);
  const bool expired = slot.last_used + timeout_.count() <= now.time_since_epoch().count();
  return {expired ? Lookup::Status::expired : Lookup::Status::hit, slot.server};
}

void StickTable::pin(const AffinityKey& key, std::uint32_t server, Clock::time_point now) {
  const std::uint64_t hash = hash_of(key);
  Shard& shard = shard_for(hash);
  const Shard::Key k = Shard::key_of(key, hash);
  const Clock::rep t = now.time_since_epoch().count();
  std::lock_guard lock(shard.mutex);
  const std::uint32_t position = shard.find(k);
  if (position != kNil) {
    shard.set(position, server, t);
    return;
  }
  const std::size_t size = size_.load(std::memory_order_relaxed);
  if (shard.insert(k, server, t, size >= capacity_)) {
    evictions_.fetch_add(1, std::memory_order_relaxed);
  } else {
    size_.fetch_add(1, std::memory_order_relaxed);
    if (size >= capacity_ / 4) arena_->ask_for_huge_pages();
  }
}

std::size_t StickTable::expire(Clock::time_point now) {
  std::size_t removed = 0;
  const Clock::rep oldest_live = (now - timeout_).time_since_epoch().count() + 1;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    removed += shard->expire(oldest_live);
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
