#include "tools/pool/http_connection.h"

#include <openssl/ssl.h>
#include <array>
#include <asio/write.hpp>
#include <string_view>

#include "tools/pool/body_pattern.h"

namespace tether::pool {
namespace {

constexpr std::string_view continue_head = "HTTP/1.1 100 Continue\r\n\r\n";
// After a response that ends the connection, how long unread request bytes are drained: closing
// with them unread would send a RST that can destroy the response before the client reads it.
constexpr std::chrono::milliseconds linger_time{2000};
// A client that connects and never completes its TLS handshake is let go after this long.
constexpr std::chrono::milliseconds handshake_time{10'000};

}  // namespace

HttpConnection::HttpConnection(asio::ip::tcp::socket socket, Handler& handler,
                               const Options& options, asio::ssl::context* tls)
    : wire_(std::move(socket)),
      tls_(tls),
      timer_(wire_.get_executor()),
      handler_(handler),
      options_(options) {}

void HttpConnection::start() {
  if (tls_) {
    handshake();
  } else {
    process_input();
  }
}

void HttpConnection::handshake() {
  phase_ = Phase::handshake;
  arm_timer(handshake_time);
  auto& tls = wire_.start_tls(*tls_);
  tls.async_handshake(asio::ssl::stream_base::server, [self =
                                                           shared_from_this()](std::error_code ec) {
    if (self->phase_ == Phase::closed) return;
    if (ec) {
      self->close();  // not TLS, or a TLS we do not speak
      return;
    }
    self->timer_.cancel();
    self->handler_.on_tls_handshake(SSL_session_reused(self->wire_.tls()->native_handle()) == 1);
    self->phase_ = Phase::head;
    self->process_input();
  });
}

void HttpConnection::process_input() {
  if (phase_ == Phase::head) {
    if (handler_.silent()) {
      park();
      return;
    }
    const auto parsed = stream_.next_head();
    switch (parsed.status) {
      case HeadStatus::need_more:
        read();
        return;
      case HeadStatus::malformed:
        refuse(400);
        return;
      case HeadStatus::too_large:
        refuse(431);
        return;
      case HeadStatus::complete:
        begin_request(parsed.head);
        break;
    }
  }
  switch (stream_.skip_body()) {
    case RequestStream::BodyStatus::need_more:
      if (expect_continue_) {
        send_continue();
      } else {
        read();
      }
      return;
    case RequestStream::BodyStatus::malformed:
      refuse(400);
      return;
    case RequestStream::BodyStatus::done:
      break;
  }
  phase_ = Phase::handling;
  timer_.cancel();
  handler_.on_request(*this, request_);
}

void HttpConnection::begin_request(const RequestHead& head) {
  phase_ = Phase::body;
  request_.method.assign(head.method);
  request_.target.assign(head.target);
  request_.http10 = head.minor_version == 0;
  request_.keep_alive = head.keep_alive;
  request_.head_request = head.method == "HEAD";
  request_.has_session = head.has_session;
  request_.session.assign(head.session);
  request_.has_session_cookie = head.has_session_cookie;
  request_.session_cookie.assign(head.session_cookie);
  expect_continue_ = head.expect_continue;
}

void HttpConnection::read() {
  if (options_.idle_timeout.count() > 0) arm_timer(options_.idle_timeout);
  const auto space = stream_.prepare();
  wire_.async_read_some(
      asio::buffer(space.data(), space.size()),
      [self = shared_from_this()](std::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void HttpConnection::on_read(std::error_code ec, std::size_t n) {
  if (phase_ == Phase::closed) return;
  if (ec) {
    close();
    return;
  }
  stream_.commit(n);
  process_input();
}

void HttpConnection::refuse(int status) {
  if (!options_.answer_malformed) {
    close();
    return;
  }
  request_.http10 = false;
  request_.head_request = false;
  request_.keep_alive = false;
  response_.reset(status);
  if (const auto server = handler_.server_name(); !server.empty())
    response_.header("X-Tether-Server", server);
  response_.body(status == 431 ? "request head too large\n" : "bad request\n");
  phase_ = Phase::handling;
  send();
}

void HttpConnection::send_continue() {
  expect_continue_ = false;
  asio::async_write(wire_, asio::buffer(continue_head),
                    [self = shared_from_this()](std::error_code ec, std::size_t) {
                      if (self->phase_ == Phase::closed) return;
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->read();
                    });
}

void HttpConnection::send() {
  if (phase_ != Phase::handling) return;  // closed while the handler worked
  keep_alive_ = request_.keep_alive && !response_.closes();
  response_.serialize(out_, keep_alive_, request_.http10, request_.head_request);
  pattern_offset_ = 0;
  pattern_left_ = request_.head_request ? 0 : response_.pattern_bytes();
  phase_ = Phase::writing;
  // The head and the first piece of a pattern body leave in one write.
  const auto slice = pattern_slice(0, pattern_left_);
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_),
                                                  asio::buffer(slice.data(), slice.size())};
  asio::async_write(wire_, buffers,
                    [self = shared_from_this(), written = slice.size()](
                        std::error_code ec, std::size_t) { self->on_written(ec, written); });
}

void HttpConnection::write_pattern() {
  const auto slice = pattern_slice(pattern_offset_, pattern_left_);
  asio::async_write(wire_, asio::buffer(slice.data(), slice.size()),
                    [self = shared_from_this(), written = slice.size()](
                        std::error_code ec, std::size_t) { self->on_written(ec, written); });
}

void HttpConnection::on_written(std::error_code ec, std::uint64_t pattern_written) {
  if (phase_ == Phase::closed) return;
  if (ec) {
    close();
    return;
  }
  pattern_offset_ += pattern_written;
  pattern_left_ -= pattern_written;
  if (pattern_left_ == 0) {
    finish_response();
  } else if (handler_.silent()) {
    park();  // a server that hangs mid-transfer stops sending
  } else {
    write_pattern();
  }
}

void HttpConnection::finish_response() {
  if (!keep_alive_) {
    linger_close();
    return;
  }
  phase_ = Phase::head;
  process_input();  // a pipelined request may already be buffered
}

void HttpConnection::park() {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::parked;
  timer_.cancel();
  drain();
}

void HttpConnection::linger_close() {
  phase_ = Phase::lingering;
  arm_timer(linger_time);
  if (auto* tls = wire_.tls()) {
    // close_notify, then whatever the client sends until its own close_notify or its FIN.
    tls->async_shutdown([self = shared_from_this()](std::error_code) { self->close(); });
    return;
  }
  wire_.shutdown_send();
  drain();
}

void HttpConnection::drain() {
  stream_.discard_all();
  const auto space = stream_.prepare();
  wire_.async_read_some(asio::buffer(space.data(), space.size()),
                        [self = shared_from_this()](std::error_code ec, std::size_t) {
                          if (self->phase_ == Phase::closed) return;
                          if (ec) {
                            self->close();
                            return;
                          }
                          self->drain();
                        });
}

void HttpConnection::arm_timer(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec) return;
    // A wait that completed just before a re-arm or cancel must not close the connection.
    if (self->timer_.expiry() > asio::steady_timer::clock_type::now()) return;
    const auto phase = self->phase_;
    if (phase == Phase::handshake || phase == Phase::head || phase == Phase::body ||
        phase == Phase::lingering) {
      self->close();
    }
  });
}

void HttpConnection::close() {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  timer_.cancel();
  wire_.close();
}

}  // namespace tether::pool
