// An HTTP/1.1 server for http-mode tests that shows what it received: by default it answers 200
// with `X-Tether-Server: <name>` and, as the body, the request head it got plus the body length.
// Paths script other behaviour: /status/N, /chunked, /close (body until close), /hang,
// /upgrade (101, then raw echo), /set-cookie (a server cookie of its own).
// With a certificate it serves HTTPS, and records what each handshake showed (SNI, resumption).
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lb/stream.h"

namespace tether::test {

class HttpBackend {
 public:
  // PEM files of the certificate chain and key an HTTPS backend presents.
  struct Tls {
    std::string cert, key;
    bool proxy_v1 = false;    // each connection starts with a PROXY v1 line, before TLS
    bool tls12_only = false;  // a server that does not speak TLS 1.3
  };

  explicit HttpBackend(std::string name, const std::string& bind = "127.0.0.1");
  HttpBackend(std::string name, const Tls& tls, const std::string& bind = "127.0.0.1");
  ~HttpBackend();

  const std::string& name() const { return name_; }
  std::string address() const;
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::size_t connections() const { return connections_.load(); }
  std::size_t requests() const { return requests_.load(); }

  // HTTPS: completed handshakes, how many resumed a session, and how many failed (a client
  // that refused our certificate ends up here).
  std::size_t handshakes() const { return handshakes_.load(); }
  std::size_t resumed() const { return resumed_.load(); }
  std::size_t failed_handshakes() const { return failed_handshakes_.load(); }
  // HTTPS connections the client ended while we waited for a request: with its close_notify
  // first, or with a bare TCP end (a truncation, as TLS sees it).
  std::size_t close_notifies() const { return close_notifies_.load(); }
  std::size_t truncated() const { return truncated_.load(); }
  // The SNI of each completed handshake ("" when none was sent), in order.
  std::vector<std::string> server_names() const;
  // With proxy_v1: the PROXY lines received (without CRLF), in order.
  std::vector<std::string> proxy_lines() const;

 private:
  asio::awaitable<void> serve(std::unique_ptr<lb::Stream> stream);
  asio::awaitable<void> accept_loop();

  std::string name_;
  asio::io_context context_;
  std::optional<asio::ssl::context> tls_;
  asio::ip::tcp::acceptor acceptor_;
  std::atomic<std::size_t> connections_{0}, requests_{0};
  std::atomic<std::size_t> handshakes_{0}, resumed_{0}, failed_handshakes_{0};
  std::atomic<std::size_t> close_notifies_{0}, truncated_{0};
  mutable std::mutex names_mutex_;
  std::vector<std::string> server_names_, proxy_lines_;
  bool proxy_v1_ = false;
  std::thread thread_;
};

// A blocking HTTP client over one connection, for exact control of bytes on the wire.
struct HttpReply {
  unsigned status = 0;
  std::string head;  // status line and headers, as received
  std::string body;
  std::string header(const std::string& name) const;  // first value, "" if absent
  int count(const std::string& name) const;           // how many headers of that name
};

class HttpClient {
 public:
  HttpClient(const asio::ip::tcp::endpoint& target, const std::string& source = "127.0.0.1");
  void send(const std::string& bytes);
  // Reads one response (Content-Length, chunked, or until close). status 0 when the connection
  // closed first. `head_request`: the response to HEAD has no body.
  HttpReply read(bool head_request = false);
  HttpReply get(const std::string& path, const std::string& extra_headers = "");
  bool closed();  // the server closed the connection (reads EOF within a short wait)
  asio::ip::tcp::socket& socket() { return socket_; }

 private:
  bool fill();
  asio::io_context context_;
  asio::ip::tcp::socket socket_;
  std::string buffer_;
};

// Plain backends fe01..feN.
std::vector<std::unique_ptr<HttpBackend>> backends(int n);

}  // namespace tether::test
