// One server-side HTTP/1.1 connection: reads requests in order, discards their bodies, hands each
// to a Handler and writes its Response (streaming the test pattern for large bodies), then closes
// gracefully. It lives exactly as long as its pending I/O: every handler holds shared_from_this().
// Given a TLS context, it first does the server side of a TLS handshake and then speaks HTTP
// inside it; input that is not TLS closes it.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lb/stream.h"
#include "tools/pool/http_request.h"
#include "tools/pool/http_response.h"

namespace tether::pool {

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  // What a handler sees of a request: owned copies (the parse buffer moves on while the body is
  // discarded), reused from request to request.
  struct Request {
    std::string method;
    std::string target;
    bool http10 = false;
    bool keep_alive = true;
    bool head_request = false;
    bool has_session = false;
    std::string session;
    bool has_session_cookie = false;
    std::string session_cookie;
  };

  class Handler {
   public:
    virtual ~Handler() = default;
    // While true the connection swallows requests and never answers, like a hung process.
    virtual bool silent() const { return false; }
    // The server that answers (X-Tether-Server), also on the connection's own 400 and 431;
    // empty for what is no server (the control endpoint).
    virtual std::string_view server_name() const { return {}; }
    // The request's body has been discarded. Fill connection.response() and call send(), now or
    // later from the connection's executor; or call park().
    virtual void on_request(HttpConnection& connection, const Request& request) = 0;
    // A TLS handshake completed; `resumed` when it resumed an earlier session.
    virtual void on_tls_handshake(bool resumed) { (void)resumed; }
  };

  struct Options {
    // Closes a connection that waits this long for request bytes; zero waits forever.
    std::chrono::milliseconds idle_timeout{0};
    // Answer a malformed request with 400 (431 for a huge head) before closing; false closes at
    // once (the check port is not an HTTP server first).
    bool answer_malformed = true;
  };

  // With `tls`, which must outlive the connection, the connection is HTTPS.
  HttpConnection(asio::ip::tcp::socket socket, Handler& handler, const Options& options,
                 asio::ssl::context* tls = nullptr);

  void start();

  // The following run on the connection's executor only.
  Response& response() { return response_; }
  void send();
  // Stops answering: reads and discards whatever the peer sends until it closes.
  void park();
  // Closes the socket now; pending operations end and release the connection.
  void close();

  bool parked() const { return phase_ == Phase::parked; }
  asio::any_io_executor executor() { return wire_.get_executor(); }

 private:
  enum class Phase { handshake, head, body, handling, writing, parked, lingering, closed };

  void handshake();
  void process_input();
  void read();
  void on_read(std::error_code ec, std::size_t n);
  void begin_request(const RequestHead& head);
  void refuse(int status);
  void send_continue();
  void write_pattern();
  void on_written(std::error_code ec, std::uint64_t pattern_written);
  void finish_response();
  void drain();
  void linger_close();
  void arm_timer(std::chrono::milliseconds after);

  lb::Stream wire_;
  asio::ssl::context* tls_;
  asio::steady_timer timer_;
  Handler& handler_;
  Options options_;
  Phase phase_ = Phase::head;
  RequestStream stream_;
  Request request_;
  bool expect_continue_ = false;
  Response response_;
  std::string out_;
  bool keep_alive_ = true;
  std::uint64_t pattern_offset_ = 0;
  std::uint64_t pattern_left_ = 0;
};

}  // namespace tether::pool
