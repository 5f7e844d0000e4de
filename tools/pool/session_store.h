// The sessions one simulated Front End holds, like the in-memory session state of an IIS web
// service: a client that comes back to another server presents an id that server never issued,
// and is answered 440 as a lost session. Bounded: beyond `capacity` the oldest sessions are
// forgotten (they become lost sessions too), so a long benchmark cannot exhaust memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <random>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace tether::pool {

// 128 random bits as 32 lower-case hex digits.
using SessionId = std::array<char, 32>;

inline std::string_view to_string_view(const SessionId& id) {
  return std::string_view(id.data(), id.size());
}

// Thread-safe: every member takes the store's mutex for a few hash-set operations, so the
// connections of one server may run on several io_contexts.
class SessionStore {
 public:
  static constexpr std::size_t default_capacity = 100'000;

  explicit SessionStore(std::size_t capacity = default_capacity);

  SessionId create();
  bool holds(std::string_view id) const;
  void clear();
  std::size_t size() const;

 private:
  struct Key {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const { return k.high ^ (k.low * 0x9e3779b97f4a7c15ULL); }
  };

  static bool parse(std::string_view text, Key& key);

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::mt19937_64 random_;
  std::unordered_set<Key, KeyHash> sessions_;
  // Creation order, as a ring, to forget the oldest session at capacity.
  std::vector<Key> order_;
  std::size_t next_ = 0;
};

}  // namespace tether::pool
