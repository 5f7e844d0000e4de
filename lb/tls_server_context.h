// The server side of TLS on an http frontend (SPEC §3 `tls`, docs/tls.md "Frontends"): one
// OpenSSL context per certificate, all with the same settings, built from the PEM the loader read.
// A handshake starts on the first certificate's context; the client's SNI moves it to the
// certificate whose names match. A Frontend owns its contexts, so a reload (a new Frontend) gives
// new handshakes the new certificates while established connections keep their own.
//
// Settings: TLS 1.2 minimum (1.3 with min_version "1.3"), TLS 1.3 enabled, Mozilla's
// "intermediate" ciphers for 1.2 (ECDHE with AES-GCM or ChaCha20-Poly1305), no compression, no
// renegotiation, session resumption by tickets and by session id (under the process's ticket keys
// and in its session cache, lb/tls_ticket_keys.h and lb/tls_session_cache.h, so that it survives
// a reload), ALPN http/1.1.
#pragma once

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tether::lb {

class TlsServerContext {
 public:
  // Throws std::runtime_error naming the certificate file when OpenSSL refuses what the loader
  // accepted (a reload then is refused and the old contexts keep serving).
  // `frontend`: the name of the frontend it serves; its sessions resume on that frontend only.
  TlsServerContext(const config::FrontendTls& tls, const std::string& frontend);
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // What a new connection's TLS layer starts from: the default certificate.
  asio::ssl::context& context() { return *contexts_.front(); }

  // The index (in configuration order) of the certificate for a client's server name: an exact
  // name first, then a wildcard, in configuration order; the first certificate when none matches
  // or the client sent no name.
  std::size_t select(std::string_view server_name) const;

 private:
  std::vector<std::unique_ptr<asio::ssl::context>> contexts_;
  std::vector<std::vector<std::string>> names_;
};

}  // namespace tether::lb
