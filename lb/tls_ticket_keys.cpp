#include "lb/tls_ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace tether::lb {
namespace {

bool set_hmac_key(EVP_MAC_CTX* mac, TicketKeys::Key& key) {
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac.data(), key.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

// OpenSSL's ticket key callback (SSL_CTX_set_tlsext_ticket_key_evp_cb). Encrypting: 1 with a
// ticket, 0 for none. Decrypting: 0 for a key we do not have (the client gets a full
// handshake), 1 to accept, 2 to accept and issue a fresh ticket; -1 fails the handshake.
int ticket_key(SSL* ssl, unsigned char* key_name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
               EVP_MAC_CTX* mac, int encrypt) {
  const auto now = TicketKeys::Clock::now();
  auto& keys = TicketKeys::shared();
  const EVP_CIPHER* aes = EVP_aes_256_cbc();
  if (encrypt) {
    auto key = keys.current(now);
    if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(aes)) != 1) return 0;
    std::memcpy(key_name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, aes, nullptr, key.aes.data(), iv) != 1) return 0;
    return set_hmac_key(mac, key) ? 1 : 0;
  }
  bool is_current = false;
  auto key = keys.find(key_name, now, is_current);
  if (!key) return 0;
  if (EVP_DecryptInit_ex(cipher, aes, nullptr, key->aes.data(), iv) != 1) return -1;
  if (!set_hmac_key(mac, *key)) return -1;
  // A TLS 1.3 resumption always gets a fresh ticket, as with OpenSSL's own keys: clients use a
  // TLS 1.3 ticket once, so one that keeps only its latest session (wrk) would otherwise resume
  // every other time at best.
  return is_current && SSL_version(ssl) < TLS1_3_VERSION ? 1 : 2;
}

}  // namespace

TicketKeys::TicketKeys(Clock::duration rotate_after)
    : rotate_after_(rotate_after), made_(Clock::now()) {
  if (!make(current_)) throw std::runtime_error("no random bytes for a TLS ticket key");
}

TicketKeys& TicketKeys::shared() {
  static TicketKeys keys;
  return keys;
}

void TicketKeys::use(SSL_CTX* ctx) {
  shared();  // made here, where a failure can be reported, not inside a handshake
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key);
}

bool TicketKeys::make(Key& key) {
  return RAND_bytes(key.name.data(), key.name.size()) == 1 &&
         RAND_bytes(key.aes.data(), key.aes.size()) == 1 &&
         RAND_bytes(key.hmac.data(), key.hmac.size()) == 1;
}

void TicketKeys::rotate_if_due(Clock::time_point now) {
  if (now - made_ < rotate_after_) return;
  Key next;
  if (!make(next)) return;  // no random bytes now: the current key serves until there are
  // After a quiet spell of two periods or more the current key is too old to decrypt as well.
  if (now - made_ < 2 * rotate_after_)
    previous_ = current_;
  else
    previous_.reset();
  current_ = next;
  made_ = now;
}

TicketKeys::Key TicketKeys::current(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now);
  return current_;
}

std::optional<TicketKeys::Key> TicketKeys::find(const unsigned char* name, Clock::time_point now,
                                                bool& is_current) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now);
  is_current = std::memcmp(name, current_.name.data(), current_.name.size()) == 0;
  if (is_current) return current_;
  if (previous_ && std::memcmp(name, previous_->name.data(), previous_->name.size()) == 0)
    return previous_;
  return std::nullopt;
}

}  // namespace tether::lb
