// A TLS client for tests (asio::ssl over loopback): every operation is bounded in time, and what
// the handshake chose (certificate, version, ALPN) can be read back.
#pragma once

#include <openssl/ssl.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <string>
#include <vector>

namespace tether::test {

struct TlsClientOptions {
  std::string ca_file;      // verify the server against it; empty: no verification
  std::string server_name;  // SNI; empty: none sent
  int min_version = 0;      // TLS1_2_VERSION...; 0: OpenSSL's default
  int max_version = 0;
  std::string ciphers;  // OpenSSL cipher list for TLS ≤ 1.2; empty: the default
  std::vector<std::string> alpn;
  SSL_SESSION* resume = nullptr;  // a session of an earlier connection to offer
  bool tickets = true;            // false: resumption by session id only (SSL_OP_NO_TICKET)
};

struct TlsReply {
  unsigned status = 0;  // 0: no complete response came
  std::string head, body;
  std::string header(const std::string& name) const;  // first value, "" if absent
  int count(const std::string& name) const;
};

class TlsClient {
 public:
  TlsClient(const asio::ip::tcp::endpoint& target, TlsClientOptions options = {});

  std::error_code handshake();  // within 10 s
  // The server certificate's subject field (NID_organizationName, NID_commonName).
  std::string peer_subject(int nid);
  std::string alpn();     // "" when none was agreed
  std::string version();  // "TLSv1.3"...
  bool resumed();
  // This connection's session, for another to resume (the caller frees it with SSL_SESSION_free).
  SSL_SESSION* session();

  std::error_code write(const std::string& bytes);
  TlsReply get(const std::string& path, const std::string& extra_headers = "");
  TlsReply read_reply();
  // Reads until the connection ends: eof after the server's close_notify, stream_truncated
  // when it closed TCP without one.
  std::error_code read_to_end();
  // Sends our close_notify without waiting for the server's: a clean end, after which OpenSSL
  // keeps this connection's session resumable.
  std::error_code close_notify();
  asio::ip::tcp::socket& socket() { return stream_.next_layer(); }

 private:
  template <class Start>
  std::error_code run(Start start);

  asio::io_context context_;
  asio::ssl::context tls_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  std::string buffer_;
};

}  // namespace tether::test
