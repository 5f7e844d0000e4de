#include "lb/cookie_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <xxhash.h>

namespace tether::lb {

namespace {

std::string hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string cookie_token(std::string_view server_name, std::uint64_t hash_seed,
                         std::string_view secret) {
  if (secret.empty()) {
    const std::uint64_t h = XXH64(server_name.data(), server_name.size(), hash_seed);
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i)
      bytes[i] = static_cast<unsigned char>(h >> (56 - 8 * i));
    return hex(bytes, sizeof bytes);
  }
  const std::string message = std::string(server_name) + "\n" + std::to_string(hash_seed);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return hex(mac, 16);
}

CookieTokens::CookieTokens(std::span<const std::string> server_names, std::uint64_t hash_seed,
                           std::string_view secret) {
  tokens_.reserve(server_names.size());
  for (const auto& name : server_names)
    tokens_.push_back(cookie_token(name, hash_seed, secret));
  for (std::uint32_t i = 0; i < tokens_.size(); ++i)
    servers_.emplace(tokens_[i], i);
}

std::optional<std::uint32_t> CookieTokens::server(std::string_view token) const {
  const auto it = servers_.find(token);
  if (it == servers_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tether::lb
