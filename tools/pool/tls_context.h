// The TLS settings of a simulated Front End's HTTP ports (tether-pool --tls-cert/--tls-key):
// TLS 1.2 and 1.3, forward-secret AEAD ciphers, ALPN http/1.1, and session resumption (a session
// cache and TLS 1.3 tickets) so a client that resumes is seen doing it. Each server has a
// context of its own, so a session from one server does not resume on another, as with real
// Front Ends.
#pragma once

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>

namespace tether::pool {

// A certificate chain (leaf first) and its private key, as PEM text.
struct TlsIdentity {
  std::string cert_pem;
  std::string key_pem;

  bool enabled() const { return !cert_pem.empty(); }
};

// nullptr, with `error` saying why, when the PEM does not load or the key is not the
// certificate's.
std::unique_ptr<asio::ssl::context> make_server_context(const TlsIdentity& identity,
                                                        std::string& error);

}  // namespace tether::pool
