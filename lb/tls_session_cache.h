// The server side's TLS session cache, for resumption by session id (TLS 1.2 clients that take no
// tickets, such as Windows' SChannel before 8.1): one for the whole process instead of OpenSSL's
// cache per context, so that, like a ticket (lb/tls_ticket_keys.h), a session survives a reload
// and works across the certificates' contexts. Sessions are kept serialized (DER), at most
// `capacity` (OpenSSL's default, 20 480), the oldest evicted first and an expired one dropped
// when looked up, TLS 1.3 ones never kept (they resume by ticket). OpenSSL removes a session that
// ended in a fatal error; so does this cache.
// Thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <ctime>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tether::lb {

class SessionCache {
 public:
  static constexpr std::size_t kCapacity = 20480;

  explicit SessionCache(std::size_t capacity = kCapacity) : capacity_(capacity) {}

  // The process's cache.
  static SessionCache& shared();
  // Makes `ctx` keep its sessions in shared() and nowhere else.
  static void use(SSL_CTX* ctx);

  void store(SSL_SESSION* session);
  // A new reference to the session with this id, or null when there is none or it has expired
  // as of `now` (seconds, as SSL_SESSION_get_time).
  SSL_SESSION* find(const unsigned char* id, std::size_t length, std::time_t now);
  void remove(SSL_SESSION* session);
  std::size_t size() const;

 private:
  struct Entry {
    std::string der;
    std::time_t expires;
    std::list<std::string>::iterator age;  // its place in oldest_
  };
  void erase(std::unordered_map<std::string, Entry>::iterator it);  // with mutex_ held

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> sessions_;  // by session id
  std::list<std::string> oldest_;                    // ids, oldest first
};

}  // namespace tether::lb
