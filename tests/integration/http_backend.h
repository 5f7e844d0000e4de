// An HTTP/1.1 server for http-mode tests that shows what it received: by default it answers 200
// with `X-Tether-Server: <name>` and, as the body, the request head it got plus the body length.
// Paths script other behaviour: /status/N, /chunked, /close (body until close), /hang,
// /upgrade (101, then raw echo), /set-cookie (a server cookie of its own).
#pragma once

#include <asio.hpp>
#include <atomic>
#include <string>
#include <thread>

namespace tether::test {

class HttpBackend {
 public:
  explicit HttpBackend(std::string name, const std::string& bind = "127.0.0.1");
  ~HttpBackend();

  const std::string& name() const { return name_; }
  std::string address() const;
  std::size_t connections() const { return connections_.load(); }
  std::size_t requests() const { return requests_.load(); }

 private:
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);
  asio::awaitable<void> accept_loop();

  std::string name_;
  asio::io_context context_;
  asio::ip::tcp::acceptor acceptor_;
  std::atomic<std::size_t> connections_{0}, requests_{0};
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

}  // namespace tether::test
