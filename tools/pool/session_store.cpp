#include "tools/pool/session_store.h"

#include <cassert>

namespace tether::pool {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void write_hex(std::uint64_t value, char* out) {
  for (int i = 15; i >= 0; --i) {
    out[i] = hex_digits[value & 0xf];
    value >>= 4;
  }
}

bool read_hex(std::string_view text, std::uint64_t& value) {
  value = 0;
  for (char c : text) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (digit < 0) return false;
    value = (value << 4) | static_cast<std::uint64_t>(digit);
  }
  return true;
}

}  // namespace

SessionStore::SessionStore(std::size_t capacity)
    : capacity_(capacity), random_(std::random_device{}()) {
  assert(capacity_ > 0);
}

bool SessionStore::parse(std::string_view text, Key& key) {
  return text.size() == 32 && read_hex(text.substr(0, 16), key.high) &&
         read_hex(text.substr(16), key.low);
}

SessionId SessionStore::create() {
  std::lock_guard lock(mutex_);
  Key key;
  do {
    key = Key{random_(), random_()};
  } while (sessions_.contains(key));
  if (order_.size() < capacity_) {
    order_.push_back(key);
  } else {
    sessions_.erase(order_[next_]);
    order_[next_] = key;
    next_ = (next_ + 1) % capacity_;
  }
  sessions_.insert(key);
  SessionId id;
  write_hex(key.high, id.data());
  write_hex(key.low, id.data() + 16);
  return id;
}

bool SessionStore::holds(std::string_view id) const {
  Key key;
  if (!parse(id, key)) return false;
  std::lock_guard lock(mutex_);
  return sessions_.contains(key);
}

void SessionStore::clear() {
  std::lock_guard lock(mutex_);
  sessions_.clear();
  order_.clear();
  next_ = 0;
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace tether::pool
