#include "tools/probe/tls_client.h"

#include <openssl/x509_vfy.h>

#include <asio/ip/address.hpp>

namespace tether::probe {
namespace {

constexpr unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

bool is_ip_literal(const std::string& name) {
  std::error_code ec;
  (void)asio::ip::make_address(name, ec);
  return !ec;
}

}  // namespace

std::unique_ptr<asio::ssl::context> make_client_context(const TlsClientOptions& options,
                                                        std::string& error) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_alpn_protos(native, http11, sizeof http11);
  if (options.insecure) {
    context->set_verify_mode(asio::ssl::verify_none);
    return context;
  }
  context->set_verify_mode(asio::ssl::verify_peer);
  std::error_code ec;
  if (options.ca_pem.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->add_certificate_authority(asio::buffer(options.ca_pem), ec);
  }
  if (ec) {
    error = "TLS trust store: " + ec.message();
    return nullptr;
  }
  return context;
}

void prepare_connection(SSL* ssl, const TlsClientOptions& options) {
  const auto& name = options.server_name;
  if (name.empty()) return;
  if (is_ip_literal(name)) {
    if (!options.insecure) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    return;
  }
  SSL_set_tlsext_host_name(ssl, name.c_str());
  if (!options.insecure) SSL_set1_host(ssl, name.c_str());
}

std::string describe_handshake_error(const std::error_code& ec, SSL* ssl) {
  const long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (verify != X509_V_OK) {
    return std::string("certificate refused: ") + X509_verify_cert_error_string(verify);
  }
  return ec.message();
}

}  // namespace tether::probe
