// The value of the affinity cookie (SPEC §4, docs/hashing.md §6): an opaque token that names a
// server by its name and the pool's hash_seed, never by its address, so every Tether instance
// with the same configuration reads every other's cookies. With a secret, the token is an HMAC:
// a client cannot forge a cookie that picks its server.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tether::lb {

// Without a secret: 16 hex digits of XXH64(name, hash_seed). With one: the first 16 bytes of
// HMAC-SHA256(secret, name + "\n" + decimal hash_seed), as 32 hex digits.
std::string cookie_token(std::string_view server_name, std::uint64_t hash_seed,
                         std::string_view secret);

// The tokens of one pool's servers, both ways. Immutable once built.
class CookieTokens {
 public:
  CookieTokens(std::span<const std::string> server_names, std::uint64_t hash_seed,
               std::string_view secret);
  // The lookup table holds views into tokens_: a copy would point into the original.
  CookieTokens(const CookieTokens&) = delete;
  CookieTokens& operator=(const CookieTokens&) = delete;

  const std::string& token(std::uint32_t server) const { return tokens_[server]; }
  // The server a cookie value names; nullopt for unknown or tampered values.
  std::optional<std::uint32_t> server(std::string_view token) const;

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string_view, std::uint32_t> servers_;  // views into tokens_
};

}  // namespace tether::lb
