// The probe's HTTPS side (tether-probe --tls): the client TLS context every simulated client
// shares, and what each new connection sets before its handshake. TLS 1.2 and 1.3, ALPN
// http/1.1, the server's certificate verified (against --ca, else the system's trust store)
// unless --insecure. No session is ever resumed: every new connection is a full handshake, the
// worst case a load balancer in front of the clients has to carry.
#pragma once

#include <openssl/ssl.h>
#include <asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <system_error>

namespace tether::probe {

struct TlsClientOptions {
  bool enabled = false;
  std::string ca_pem;  // trusted CAs; empty: the system's trust store
  bool insecure = false;
  // The name sent as SNI and checked against the certificate. An IP address is checked against
  // the certificate's IP addresses and not sent (SNI carries names only).
  std::string server_name;
};

// nullptr, with `error` saying why, when the CA bundle does not load.
std::unique_ptr<asio::ssl::context> make_client_context(const TlsClientOptions& options,
                                                        std::string& error);

// Before a connection's handshake: SNI and the name to verify.
void prepare_connection(SSL* ssl, const TlsClientOptions& options);

// Why a handshake failed, in words: the verification error when the certificate was refused.
std::string describe_handshake_error(const std::error_code& ec, SSL* ssl);

}  // namespace tether::probe
