#include "lb/tls_client_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <asio/ip/address.hpp>
#include <asio/ssl/error.hpp>
#include <unordered_map>

#include "config/address.h"

namespace tether::lb {

// The last resumable session of each server (by resume key). Only copies go in and out, so no
// connection, on whatever thread, ever holds a session kept here.
struct TlsClientContext::Sessions {
  mutable std::mutex mutex;
  std::unordered_map<std::string, SSL_SESSION*> last;

  ~Sessions() {
    for (auto& [key, session] : last)
      SSL_SESSION_free(session);
  }
  void keep(const std::string& key, SSL_SESSION* session) {
    std::lock_guard lock(mutex);
    SSL_SESSION*& slot = last[key];
    if (slot) SSL_SESSION_free(slot);
    slot = session;
  }
  // A copy of the last one, or null. A copy because a TLS 1.2 resumption uses the offered
  // object itself as the connection's session, and OpenSSL marks that not resumable when the
  // connection is freed without a TLS shutdown.
  SSL_SESSION* take(const std::string& key) const {
    std::lock_guard lock(mutex);
    const auto it = last.find(key);
    if (it == last.end() || !SSL_SESSION_is_resumable(it->second)) return nullptr;
    return SSL_SESSION_dup(it->second);
  }
};

namespace {

// What a connection's SSL object carries for the new-session callback: where to keep what the
// server sends. Freed with the SSL object; holding the Sessions keeps them valid even when a
// reload has replaced the context meanwhile.
struct SessionSlot {
  std::shared_ptr<void> sessions;  // a TlsClientContext::Sessions
  std::string key;
};

void free_slot(void* /*parent*/, void* slot, CRYPTO_EX_DATA* /*data*/, int /*index*/, long /*argl*/,
               void* /*argp*/) {
  delete static_cast<SessionSlot*>(slot);
}

int slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_slot);
  return index;
}

}  // namespace

TlsPeerName tls_peer_name(const std::string& sni, const std::string& address_text) {
  std::string host = sni;
  if (host.empty()) {
    const auto split = config::split_host_port(address_text, config::PortZero::allowed);
    host = split.ok() ? split.value->host : address_text;
  }
  std::error_code ec;
  asio::ip::make_address(host, ec);
  return {host, !ec};
}

std::string describe_tls_failure(const std::error_code& ec, const SSL* ssl) {
  if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof)
    return "the server closed the connection during the handshake";
  if (ec.category() != asio::error::get_ssl_category()) return ec.message();
  const auto code = static_cast<unsigned long>(static_cast<unsigned>(ec.value()));
  const char* reason = ERR_reason_error_string(code);
  std::string text = reason ? reason : ec.message();
  if (ssl && ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    const long result = SSL_get_verify_result(ssl);
    if (result != X509_V_OK) text = text + " (" + X509_verify_cert_error_string(result) + ")";
  }
  return text;
}

TlsClientContext::TlsClientContext(const config::PoolTls& settings)
    : settings_(settings),
      context_(asio::ssl::context::tls_client),
      sessions_(std::make_shared<Sessions>()) {
  SSL_CTX* ctx = context_.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);

  std::error_code ec;
  if (!settings_.verify) {
    context_.set_verify_mode(asio::ssl::verify_none, ec);
  } else {
    context_.set_verify_mode(asio::ssl::verify_peer, ec);
    if (settings_.ca_pem.empty())
      context_.set_default_verify_paths(ec);
    else
      context_.add_certificate_authority(asio::buffer(settings_.ca_pem), ec);
    // Read and checked at load, so this is unexpected; without CAs every verification fails,
    // which is the safe way to be wrong.
    if (ec)
      spdlog::error("tls to servers: loading {} failed: {}",
                    settings_.ca_file.empty() ? "the system trust store" : settings_.ca_file,
                    ec.message());
  }

  // Client-side caching only through our callback: OpenSSL keeps no list of its own.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, [](SSL* ssl, SSL_SESSION* session) -> int {
    auto* slot = static_cast<SessionSlot*>(SSL_get_ex_data(ssl, slot_index()));
    if (!slot) return 0;  // not a connection that resumes (health checks)
    // A copy: OpenSSL marks a connection's own session not resumable when the connection is
    // freed without a TLS shutdown, which is how a pooled connection usually ends.
    if (SSL_SESSION* copy = SSL_SESSION_dup(session))
      static_cast<Sessions*>(slot->sessions.get())->keep(slot->key, copy);
    return 0;  // the connection's reference stays its own
  });
}

TlsClientContext::~TlsClientContext() = default;

bool TlsClientContext::same_settings(const config::PoolTls& other) const {
  return settings_.enabled == other.enabled && settings_.verify == other.verify &&
         settings_.ca_pem == other.ca_pem && settings_.sni == other.sni;
}

void TlsClientContext::prepare(Stream::TlsLayer& layer, const TlsPeerName& peer,
                               const std::string& resume_key) {
  SSL* ssl = layer.native_handle();
  if (!peer.ip) SSL_set_tlsext_host_name(ssl, peer.name.c_str());
  if (settings_.verify) {
    if (peer.ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), peer.name.c_str());
    } else {
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl, peer.name.c_str());
    }
  }
  if (resume_key.empty()) return;
  SSL_set_ex_data(ssl, slot_index(), new SessionSlot{sessions_, resume_key});
  if (SSL_SESSION* last = sessions_->take(resume_key)) {
    SSL_set_session(ssl, last);  // takes its own reference
    SSL_SESSION_free(last);
  }
}

void TlsClientContext::warn_failure(const std::string& pool, const std::string& server,
                                    const std::string& reason) {
  std::uint64_t held_back = 0;
  {
    std::lock_guard lock(warn_mutex_);
    if (!throttle_.allow(WarningThrottle::Clock::now(), held_back)) return;
  }
  if (held_back)
    spdlog::warn(
        "pool {} server {}: TLS handshake failed: {} ({} more failures in this pool "
        "not logged)",
        pool, server, reason, held_back);
  else
    spdlog::warn("pool {} server {}: TLS handshake failed: {}", pool, server, reason);
}

std::size_t TlsClientContext::sessions() const {
  std::lock_guard lock(sessions_->mutex);
  return sessions_->last.size();
}

}  // namespace tether::lb
