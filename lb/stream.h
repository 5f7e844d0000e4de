// The bytes of one connection in http mode, plain or under TLS: what a session reads from its
// client and its server. It is an Asio AsyncReadStream and AsyncWriteStream, so asio::async_write
// and the session's relay loops take it as they took a socket. A plain stream costs nothing more
// than its socket; TLS is put over the socket (start_tls) once the TCP connection exists, and
// whoever does that does the handshake on tls().
#pragma once

#include <asio/async_result.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <system_error>

#include "lb/tls_socket.h"

namespace tether::lb {

class Stream {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;
  using TlsLayer = TlsSocket;

  explicit Stream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  explicit Stream(asio::io_context& context) : socket_(context) {}
  Stream(const Stream&) = delete;  // the TLS layer refers to socket_
  Stream& operator=(const Stream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  asio::ip::tcp::socket& socket() { return socket_; }

  // From now on every byte goes through TLS with `context`'s settings.
  TlsLayer& start_tls(asio::ssl::context& context) {
    tls_ = std::make_unique<TlsLayer>(socket_, context);
    return *tls_;
  }
  TlsLayer* tls() { return tls_.get(); }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          if (tls_)
            tls_->async_read_some(b, std::move(handler));
          else
            socket_.async_read_some(b, std::move(handler));
        },
        token, buffers);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          if (tls_)
            tls_->async_write_some(b, std::move(handler));
          else
            socket_.async_write_some(b, std::move(handler));
        },
        token, buffers);
  }

  // Pending operations end with operation_aborted; the connection stays open.
  void cancel() {
    std::error_code ignored;
    socket_.cancel(ignored);
  }
  // A sound TLS connection says it ends (close_notify) before the FIN, so that the peer can tell
  // our end from a truncation (RFC 8446 6.1).
  void close() {
    // Only while the descriptor is ours: a closed one's number may name another socket by now.
    if (tls_ && socket_.is_open()) tls_->notify_close();
    std::error_code ignored;
    socket_.close(ignored);
  }
  // No more bytes from us (a tunnel whose other side ended). Under TLS the peer sees the TCP
  // FIN without a close_notify.
  void shutdown_send() {
    std::error_code ignored;
    socket_.shutdown(asio::socket_base::shutdown_send, ignored);
  }

 private:
  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsLayer> tls_;
};

}  // namespace tether::lb
