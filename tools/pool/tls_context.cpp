#include "tools/pool/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string_view>

namespace tether::pool {
namespace {

// ALPN wire format: one length-prefixed protocol name.
constexpr unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
constexpr std::string_view session_context = "tether-pool";

// Chooses http/1.1 when the client offers it; a client that offers only other protocols gets
// no ALPN answer and may carry on (or not) as it sees fit.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length,
                const unsigned char* offered, unsigned offered_length, void*) {
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length, http11, sizeof http11, offered, offered_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

std::string openssl_error(const std::string& what, const std::error_code& ec) {
  return what + ": " + ec.message();
}

}  // namespace

std::unique_ptr<asio::ssl::context> make_server_context(const TlsIdentity& identity,
                                                        std::string& error) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2: forward secrecy and AEAD only (TLS 1.3's suites are all of that already).
  SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20");
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_session_id_context(native,
                                 reinterpret_cast<const unsigned char*>(session_context.data()),
                                 static_cast<unsigned>(session_context.size()));
  SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);

  std::error_code ec;
  context->use_certificate_chain(asio::buffer(identity.cert_pem), ec);
  if (ec) {
    error = openssl_error("TLS certificate", ec);
    return nullptr;
  }
  context->use_private_key(asio::buffer(identity.key_pem), asio::ssl::context::pem, ec);
  if (ec) {
    error = openssl_error("TLS key", ec);
    return nullptr;
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    error = "TLS key: it is not the certificate's key";
    return nullptr;
  }
  return context;
}

}  // namespace tether::pool
