// TLS towards a pool's servers (SPEC §3 pool `tls`; docs/tls.md "Servers"): one client context
// per pool, built from its PoolTls, shared by every worker and by the pool's https checks.
// Verification is on unless `verify: false` is written, against `ca` or else the system's trust
// store; the name verified is `sni`, else the host of the server's address as written. TLS 1.2
// minimum, 1.3 enabled, ALPN http/1.1. Traffic connections offer the last session the same
// server gave (resumption saves the server a full handshake per new connection); TLS 1.3
// tickets arrive after the handshake, so they are kept by the new-session callback.
#pragma once

#include <openssl/ssl.h>

#include <asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

#include "config/config.h"
#include "lb/stream.h"
#include "lb/warning_throttle.h"

namespace tether::lb {

// The name a server is reached by under TLS: verified as a DNS name or, for an IP literal, as an
// IP address (and then no SNI is sent: RFC 6066 forbids literals there).
struct TlsPeerName {
  std::string name;
  bool ip = false;
};

// `sni` when set, else the host of `address_text` ("host:port" or "[v6]:port").
TlsPeerName tls_peer_name(const std::string& sni, const std::string& address_text);

// Why a handshake failed, in OpenSSL's words, with the verification error when there is one:
// "certificate verify failed (unable to get local issuer certificate)".
std::string describe_tls_failure(const std::error_code& ec, const SSL* ssl);

class TlsClientContext {
 public:
  explicit TlsClientContext(const config::PoolTls& settings);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  const config::PoolTls& settings() const { return settings_; }
  asio::ssl::context& context() { return context_; }
  // Whether the same settings would build the same context (a reload keeps it, and its sessions).
  bool same_settings(const config::PoolTls& other) const;

  // Sets up `layer` before its handshake: SNI, the name to verify, and with a non-empty
  // `resume_key` (one per server and name), the session last kept under it is offered and the
  // ones the server sends are kept there. Thread-safe.
  void prepare(Stream::TlsLayer& layer, const TlsPeerName& peer, const std::string& resume_key);

  // Logs a failed handshake to a server at warn, at most once per 10 s per pool (the rest are
  // counted and said with the next line). Thread-safe.
  void warn_failure(const std::string& pool, const std::string& server, const std::string& reason);

  // Sessions kept, one per resume key (tests, metrics).
  std::size_t sessions() const;

 private:
  struct Sessions;

  config::PoolTls settings_;
  asio::ssl::context context_;
  std::shared_ptr<Sessions> sessions_;  // also held by each connection that may add to it

  std::mutex warn_mutex_;
  WarningThrottle throttle_{std::chrono::seconds(10)};
};

}  // namespace tether::lb
