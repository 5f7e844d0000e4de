// The keys that encrypt TLS session tickets: one set for the whole process, used by every
// frontend's contexts, old and new. A reload makes new contexts, and OpenSSL would give each new
// keys of its own, so every returning client would pay a full handshake after it (a burst of
// public-key work on a pool's worth of clients); with these it resumes as before.
//
// Keys are random, live in memory only (a restart makes new ones) and rotate: a new key encrypts
// every `rotate_after` (12 h), and the one before it still decrypts until the next rotation, so a
// ticket stays usable at least that long, far beyond OpenSSL's session lifetimes. A ticket under
// the previous key is renewed under the current one. Thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <mutex>
#include <optional>

namespace tether::lb {

class TicketKeys {
 public:
  using Clock = std::chrono::steady_clock;
  struct Key {
    std::array<unsigned char, 16> name;  // sent in the ticket, so the key can be found again
    std::array<unsigned char, 32> aes;   // AES-256-CBC
    std::array<unsigned char, 32> hmac;  // HMAC-SHA256
  };
  static constexpr std::chrono::hours kRotateAfter{12};

  // Throws std::runtime_error when OpenSSL has no random bytes for the first key.
  explicit TicketKeys(Clock::duration rotate_after = kRotateAfter);

  // The process's keys.
  static TicketKeys& shared();
  // Makes `ctx` encrypt and decrypt session tickets with shared().
  static void use(SSL_CTX* ctx);

  // The key a new ticket gets, as of `now`.
  Key current(Clock::time_point now);
  // The key a ticket names, if it still decrypts as of `now`; `is_current` says whether the
  // ticket is under the current key (otherwise it is renewed).
  std::optional<Key> find(const unsigned char* name, Clock::time_point now, bool& is_current);

 private:
  static bool make(Key& key);                 // false when OpenSSL has no random bytes
  void rotate_if_due(Clock::time_point now);  // with mutex_ held

  const Clock::duration rotate_after_;
  std::mutex mutex_;
  Key current_{};
  std::optional<Key> previous_;
  Clock::time_point made_;  // of current_
};

}  // namespace tether::lb
