#include "lb/tls_server_context.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <array>
#include <asio/buffer.hpp>
#include <stdexcept>
#include <string>

#include "config/tls_files.h"
#include "lb/tls_session_cache.h"
#include "lb/tls_ticket_keys.h"

namespace tether::lb {
namespace {

// Mozilla's "intermediate" TLS 1.2 list (server-side TLS guidelines v5.7) without the DHE
// suites: they need DH parameters of our own and every client that does TLS 1.2 does ECDHE.
// TLS 1.3 keeps OpenSSL's default suites, which are Mozilla's (AES-GCM and ChaCha20-Poly1305).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The session id context: a session resumes only where its context is the same. Ticket keys and
// the session cache are the process's, so without it a session of one frontend would resume on
// another (a client could reach a virtual host whose certificate it never checked). One context
// per frontend name: it survives reloads, and a client moved by SNI to another certificate of the
// same frontend still resumes.
std::array<unsigned char, SSL_MAX_SID_CTX_LENGTH> session_id_context(const std::string& frontend) {
  std::array<unsigned char, SSL_MAX_SID_CTX_LENGTH> id{};
  static_assert(SSL_MAX_SID_CTX_LENGTH == 32, "a SHA-256 digest fills it");
  const std::string named = "tether frontend " + frontend;
  if (EVP_Digest(named.data(), named.size(), id.data(), nullptr, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("cannot hash the TLS session id context");
  return id;
}

// ALPN: http/1.1 when the client offers it. A client offering only other protocols (h2 alone)
// gets no ALPN answer rather than a fatal alert, and may then speak HTTP/1.1 or give up.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length,
                const unsigned char* offered, unsigned int offered_length, void*) {
  constexpr std::string_view kHttp11 = "http/1.1";
  for (unsigned int i = 0; i < offered_length;) {
    const unsigned int length = offered[i];
    if (i + 1 + length > offered_length) break;
    const std::string_view name(reinterpret_cast<const char*>(offered + i + 1), length);
    if (name == kHttp11) {
      *out = offered + i + 1;
      *out_length = static_cast<unsigned char>(length);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + length;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

void configure(asio::ssl::context& context, const config::TlsCertificate& certificate,
               config::TlsVersion min_version,
               const std::array<unsigned char, SSL_MAX_SID_CTX_LENGTH>& session_context) {
  SSL_CTX* ctx = context.native_handle();
  const auto fail = [&](const std::string& what) {
    throw std::runtime_error("TLS certificate " + certificate.cert_file + ": " + what);
  };
  try {
    context.use_certificate_chain(asio::buffer(certificate.cert_pem));
    context.use_private_key(asio::buffer(certificate.key_pem), asio::ssl::context::pem);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) fail("the key does not match the certificate");
  const int min = min_version == config::TlsVersion::tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1)
    fail("cannot set the protocol versions");
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) fail("cannot set the TLS 1.2 ciphers");
  // Clients choose among ciphers that are all strong (Mozilla intermediate): a client without
  // AES hardware picks ChaCha20.
  // NO_RENEGOTIATION: no renegotiation at all, not even the one we could start ourselves.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle keep-alive connections (Lync clients hold many) give their 2 × 16 KiB record buffers
  // back between records.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // The process's session cache and ticket keys, not the context's own: sessions resume across
  // reloads and certificates.
  SessionCache::use(ctx);
  SSL_CTX_set_session_id_context(ctx, session_context.data(), session_context.size());
  TicketKeys::use(ctx);
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
}

}  // namespace

TlsServerContext::TlsServerContext(const config::FrontendTls& tls, const std::string& frontend) {
  if (tls.certificates.empty()) throw std::runtime_error("TLS without a certificate");
  const auto session_context = session_id_context(frontend);
  for (const auto& certificate : tls.certificates) {
    contexts_.push_back(std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server));
    configure(*contexts_.back(), certificate, tls.min_version, session_context);
    names_.push_back(certificate.names);
  }
  // SNI is read before the certificate is chosen: the handshake moves to the matching context.
  // Its tickets and cache stay those of the first context, so resumption works across names.
  if (contexts_.size() > 1) {
    SSL_CTX* first = contexts_.front()->native_handle();
    SSL_CTX_set_tlsext_servername_callback(
        first, +[](SSL* ssl, int*, void* arg) -> int {
          const auto* self = static_cast<const TlsServerContext*>(arg);
          const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
          if (name == nullptr) return SSL_TLSEXT_ERR_OK;
          const std::size_t index = self->select(name);
          if (index != 0) SSL_set_SSL_CTX(ssl, self->contexts_[index]->native_handle());
          return SSL_TLSEXT_ERR_OK;
        });
    SSL_CTX_set_tlsext_servername_arg(first, this);
  }
}

std::size_t TlsServerContext::select(std::string_view server_name) const {
  if (server_name.empty()) return 0;
  for (const bool wildcards : {false, true}) {
    for (std::size_t i = 0; i < names_.size(); ++i)
      for (const auto& pattern : names_[i])
        if (pattern.starts_with("*.") == wildcards &&
            config::tls_name_matches(pattern, server_name))
          return i;
  }
  return 0;
}

}  // namespace tether::lb
