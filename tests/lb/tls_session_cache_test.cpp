#include "lb/tls_session_cache.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <ctime>

namespace tether::lb {
namespace {

// A TLS 1.2 session with a one-byte id, made at `made` and valid for `timeout` seconds.
class TlsSessionCache : public ::testing::Test {
 protected:
  TlsSessionCache() : ctx_(SSL_CTX_new(TLS_method())), ssl_(SSL_new(ctx_)) {}
  ~TlsSessionCache() override {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  SSL_SESSION* make(unsigned char id, std::time_t made, long timeout = 300,
                    int version = TLS1_2_VERSION) {
    SSL_SESSION* s = SSL_SESSION_new();
    const unsigned char name[32] = {id};
    const unsigned char master_key[48] = {id, 1, 2, 3};
    const unsigned char suite[2] = {0xC0, 0x2F};  // ECDHE-RSA-AES128-GCM-SHA256
    EXPECT_EQ(SSL_SESSION_set1_id(s, name, sizeof name), 1);
    EXPECT_EQ(SSL_SESSION_set1_master_key(s, master_key, sizeof master_key), 1);
    EXPECT_EQ(SSL_SESSION_set_protocol_version(s, version), 1);
    EXPECT_EQ(SSL_SESSION_set_cipher(s, SSL_CIPHER_find(ssl_, suite)), 1);
    SSL_SESSION_set_time(s, made);
    SSL_SESSION_set_timeout(s, timeout);
    return s;
  }
  // Whether `cache` gives back the session with this id, master key and all.
  static bool has(SessionCache& cache, unsigned char id, std::time_t now) {
    const unsigned char name[32] = {id};
    SSL_SESSION* found = cache.find(name, sizeof name, now);
    if (found == nullptr) return false;
    unsigned char key[48] = {};
    const bool same = SSL_SESSION_get_master_key(found, key, sizeof key) == sizeof key &&
                      key[0] == id && key[3] == 3;
    SSL_SESSION_free(found);
    return same;
  }
  void store(SessionCache& cache, unsigned char id, std::time_t made, long timeout = 300) {
    SSL_SESSION* s = make(id, made, timeout);
    cache.store(s);
    SSL_SESSION_free(s);
  }

  SSL_CTX* ctx_;
  SSL* ssl_;
};

TEST_F(TlsSessionCache, AStoredSessionIsFoundByItsIdWithItsKeys) {
  SessionCache cache;
  const std::time_t now = std::time(nullptr);
  store(cache, 1, now);
  EXPECT_TRUE(has(cache, 1, now));
  EXPECT_FALSE(has(cache, 2, now));
  EXPECT_EQ(cache.size(), 1u);
}

// OpenSSL reports every TLS 1.3 ticket's session too; those resume by ticket, never by id.
TEST_F(TlsSessionCache, Tls13SessionsAreNotKept) {
  SessionCache cache;
  const std::time_t now = std::time(nullptr);
  SSL_SESSION* s = make(1, now, 300, TLS1_3_VERSION);
  cache.store(s);
  SSL_SESSION_free(s);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(TlsSessionCache, TheOldestIsEvictedAtCapacity) {
  SessionCache cache(2);
  const std::time_t now = std::time(nullptr);
  store(cache, 1, now);
  store(cache, 2, now);
  store(cache, 3, now);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(has(cache, 1, now));
  EXPECT_TRUE(has(cache, 2, now));
  EXPECT_TRUE(has(cache, 3, now));
}

TEST_F(TlsSessionCache, AnExpiredSessionIsDroppedWhenLookedUp) {
  SessionCache cache;
  const std::time_t now = std::time(nullptr);
  store(cache, 1, now, 10);
  EXPECT_TRUE(has(cache, 1, now + 9));
  EXPECT_FALSE(has(cache, 1, now + 10));
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(TlsSessionCache, ARemovedSessionIsForgotten) {
  SessionCache cache;
  const std::time_t now = std::time(nullptr);
  SSL_SESSION* s = make(1, now);
  cache.store(s);
  cache.remove(s);
  SSL_SESSION_free(s);
  EXPECT_FALSE(has(cache, 1, now));
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace tether::lb
