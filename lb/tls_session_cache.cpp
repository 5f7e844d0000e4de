#include "lb/tls_session_cache.h"

#include <iterator>

namespace tether::lb {
namespace {

std::string id_of(const SSL_SESSION* session) {
  unsigned int length = 0;
  const unsigned char* id = SSL_SESSION_get_id(session, &length);
  return {reinterpret_cast<const char*>(id), length};
}

// OpenSSL's callbacks. new_session returns 0: OpenSSL keeps its reference (ours is a copy).
int new_session(SSL*, SSL_SESSION* session) {
  SessionCache::shared().store(session);
  return 0;
}

SSL_SESSION* get_session(SSL*, const unsigned char* id, int length, int* copy) {
  *copy = 0;  // the reference returned is OpenSSL's to free
  return SessionCache::shared().find(id, static_cast<std::size_t>(length), std::time(nullptr));
}

void remove_session(SSL_CTX*, SSL_SESSION* session) {
  SessionCache::shared().remove(session);
}

}  // namespace

SessionCache& SessionCache::shared() {
  static SessionCache cache;
  return cache;
}

void SessionCache::use(SSL_CTX* ctx) {
  // No internal cache: with one, freeing an old configuration's context would "remove" all of its
  // sessions through remove_session, emptying this cache at every reload.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
  SSL_CTX_sess_set_new_cb(ctx, new_session);
  SSL_CTX_sess_set_get_cb(ctx, get_session);
  SSL_CTX_sess_set_remove_cb(ctx, remove_session);
}

void SessionCache::store(SSL_SESSION* session) {
  // TLS 1.3 resumes by ticket only; OpenSSL reports each ticket's session here all the same.
  if (SSL_SESSION_get_protocol_version(session) >= TLS1_3_VERSION) return;
  std::string id = id_of(session);
  const int length = i2d_SSL_SESSION(session, nullptr);
  if (id.empty() || length <= 0) return;
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_SSL_SESSION(session, &out) != length) return;
  const std::time_t expires = SSL_SESSION_get_time(session) + SSL_SESSION_get_timeout(session);

  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(id); it != sessions_.end()) erase(it);
  while (!oldest_.empty() && sessions_.size() >= capacity_)
    erase(sessions_.find(oldest_.front()));
  oldest_.push_back(id);
  sessions_.emplace(std::move(id), Entry{std::move(der), expires, std::prev(oldest_.end())});
}

SSL_SESSION* SessionCache::find(const unsigned char* id, std::size_t length, std::time_t now) {
  std::string der;
  {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find({reinterpret_cast<const char*>(id), length});
    if (it == sessions_.end()) return nullptr;
    if (it->second.expires <= now) {
      erase(it);
      return nullptr;
    }
    der = it->second.der;
  }
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  return d2i_SSL_SESSION(nullptr, &in, static_cast<long>(der.size()));
}

void SessionCache::remove(SSL_SESSION* session) {
  std::lock_guard lock(mutex_);
  if (const auto it = sessions_.find(id_of(session)); it != sessions_.end()) erase(it);
}

std::size_t SessionCache::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SessionCache::erase(std::unordered_map<std::string, Entry>::iterator it) {
  oldest_.erase(it->second.age);
  sessions_.erase(it);
}

}  // namespace tether::lb
