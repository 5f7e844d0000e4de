#include "tests/integration/tls_client.h"

#include <openssl/x509.h>

#include <chrono>
#include <stdexcept>

namespace tether::test {
namespace {

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

asio::ssl::context make_context(const TlsClientOptions& o) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  SSL_CTX* ctx = tls.native_handle();
  if (o.min_version != 0 && o.min_version < TLS1_2_VERSION) {
    // Old versions need the old, weak ciphers OpenSSL 3 hides at its default security level.
    SSL_CTX_set_security_level(ctx, 0);
  }
  if (o.min_version != 0) SSL_CTX_set_min_proto_version(ctx, o.min_version);
  if (o.max_version != 0) SSL_CTX_set_max_proto_version(ctx, o.max_version);
  if (!o.ciphers.empty()) SSL_CTX_set_cipher_list(ctx, o.ciphers.c_str());
  if (!o.ca_file.empty()) {
    tls.load_verify_file(o.ca_file);
    tls.set_verify_mode(asio::ssl::verify_peer);
  } else {
    tls.set_verify_mode(asio::ssl::verify_none);
  }
  if (!o.alpn.empty()) {
    std::string wire;
    for (const auto& p : o.alpn)
      wire += static_cast<char>(p.size()) + p;
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
  }
  return tls;
}

}  // namespace

std::string TlsReply::header(const std::string& name) const {
  const std::string lowered = lower(head);
  const auto at = lowered.find("\r\n" + lower(name) + ":");
  if (at == std::string::npos) return "";
  const auto start = head.find_first_not_of(' ', at + 3 + name.size());
  return head.substr(start, head.find("\r\n", start) - start);
}

int TlsReply::count(const std::string& name) const {
  const std::string lowered = lower(head), needle = "\r\n" + lower(name) + ":";
  int n = 0;
  for (auto at = lowered.find(needle); at != std::string::npos; at = lowered.find(needle, at + 1))
    ++n;
  return n;
}

TlsClient::TlsClient(const asio::ip::tcp::endpoint& target, TlsClientOptions options)
    : tls_(make_context(options)), stream_(context_, tls_) {
  if (!options.server_name.empty())
    SSL_set_tlsext_host_name(stream_.native_handle(), options.server_name.c_str());
  if (options.resume != nullptr) SSL_set_session(stream_.native_handle(), options.resume);
  if (!options.tickets) SSL_set_options(stream_.native_handle(), SSL_OP_NO_TICKET);
  std::error_code ec;
  stream_.next_layer().connect(target, ec);
  if (ec) throw std::runtime_error("connect: " + ec.message());
}

template <class Start>
std::error_code TlsClient::run(Start start) {
  std::error_code result = asio::error::timed_out;
  bool done = false;
  start([&](std::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  context_.restart();
  context_.run_for(std::chrono::seconds(10));
  if (!done) {
    std::error_code ignored;
    stream_.next_layer().close(ignored);
    context_.restart();
    context_.run();
  }
  return done ? result : asio::error::timed_out;
}

std::error_code TlsClient::handshake() {
  return run(
      [&](auto handler) { stream_.async_handshake(asio::ssl::stream_base::client, handler); });
}

std::string TlsClient::peer_subject(int nid) {
  X509* cert = SSL_get1_peer_certificate(stream_.native_handle());
  if (cert == nullptr) return "";
  char text[256] = {};
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), nid, text, sizeof text);
  X509_free(cert);
  return n > 0 ? std::string(text, static_cast<std::size_t>(n)) : "";
}

std::string TlsClient::alpn() {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(stream_.native_handle(), &data, &length);
  return std::string(reinterpret_cast<const char*>(data), length);
}

std::string TlsClient::version() {
  return SSL_get_version(stream_.native_handle());
}

bool TlsClient::resumed() {
  return SSL_session_reused(stream_.native_handle()) == 1;
}

SSL_SESSION* TlsClient::session() {
  return SSL_get1_session(stream_.native_handle());
}

std::error_code TlsClient::read_to_end() {
  char sink[4096];
  for (;;) {
    const auto ec =
        run([&](auto handler) { stream_.async_read_some(asio::buffer(sink), handler); });
    if (ec) return ec;
  }
}

std::error_code TlsClient::close_notify() {
  SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
  return run([&](auto handler) { stream_.async_shutdown(handler); });
}

std::error_code TlsClient::write(const std::string& bytes) {
  return run([&](auto handler) { asio::async_write(stream_, asio::buffer(bytes), handler); });
}

TlsReply TlsClient::get(const std::string& path, const std::string& extra_headers) {
  if (write("GET " + path + " HTTP/1.1\r\nHost: pool.contoso.net\r\n" + extra_headers + "\r\n"))
    return {};
  return read_reply();
}

TlsReply TlsClient::read_reply() {
  TlsReply reply;
  std::size_t head_size = 0;
  if (run([&](auto handler) {
        asio::async_read_until(stream_, asio::dynamic_buffer(buffer_), "\r\n\r\n", handler);
      }))
    return reply;
  head_size = buffer_.find("\r\n\r\n") + 4;
  reply.head = buffer_.substr(0, head_size);
  buffer_.erase(0, head_size);
  const std::string length = reply.header("Content-Length");
  const std::size_t body = length.empty() ? 0 : std::stoul(length);
  if (buffer_.size() < body && run([&](auto handler) {
        asio::async_read(stream_, asio::dynamic_buffer(buffer_),
                         asio::transfer_exactly(body - buffer_.size()), handler);
      }))
    return reply;
  reply.body = buffer_.substr(0, body);
  buffer_.erase(0, body);
  reply.status = static_cast<unsigned>(std::stoul(reply.head.substr(9, 3)));
  return reply;
}

}  // namespace tether::test
