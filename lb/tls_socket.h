// TLS straight over a socket's descriptor: OpenSSL reads and writes the socket itself (a socket
// BIO) and we wait for readiness when it says it would block, as HAProxy and NGINX do.
//
// Why not asio::ssl::stream: it runs OpenSSL over a BIO pair and copies every byte through two
// more buffers, 4 × 17 KiB per connection that stay allocated while the connection idles (93 KiB
// per idle keep-alive TLS client, measured). Here OpenSSL's own record buffers are given back
// between records (SSL_MODE_RELEASE_BUFFERS, set by the contexts), so an idle TLS connection costs
// its SSL object, and a record goes to the socket in one send() without a copy of ours.
//
// The interface is the part of asio::ssl::stream that sessions use: async_handshake,
// async_read_some, async_write_some, async_shutdown, native_handle. Error codes are Asio's: eof
// after the peer's close_notify, asio::ssl::error::stream_truncated for an end without one,
// system errors as they come, and OpenSSL's errors in asio::error::get_ssl_category().
// Worker thread only; one read and one write may be pending at a time, as with a socket.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>

#include <asio/async_result.hpp>
#include <asio/compose.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/error.hpp>
#include <asio/ssl/stream_base.hpp>
#include <system_error>
#include <type_traits>

namespace tether::lb {

class TlsSocket {
 public:
  // Throws std::bad_alloc when OpenSSL cannot make the connection's state.
  TlsSocket(asio::ip::tcp::socket& socket, asio::ssl::context& context);
  ~TlsSocket();
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;

  SSL* native_handle() { return ssl_; }

  template <class Token>
  auto async_handshake(asio::ssl::stream_base::handshake_type type, Token&& token) {
    if (type == asio::ssl::stream_base::client)
      SSL_set_connect_state(ssl_);
    else
      SSL_set_accept_state(ssl_);
    return run<void(std::error_code)>(
        [this](std::size_t& done) {
          done = 0;
          return SSL_do_handshake(ssl_);
        },
        std::forward<Token>(token));
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    const asio::mutable_buffer b = first_of(buffers);
    return run<void(std::error_code, std::size_t)>(
        [this, b](std::size_t& done) {
          if (b.size() == 0) return 1;
          return SSL_read_ex(ssl_, b.data(), b.size(), &done);
        },
        std::forward<Token>(token));
  }

  // Several small buffers (a response head and the body bytes behind it) go out as one record
  // and one send(): they are gathered into the worker's scratch within the OpenSSL call (a retry
  // after a wait gathers the same bytes again; the buffers live until the write completes).
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    const std::size_t total = asio::buffer_size(buffers);
    const asio::const_buffer b = first_of(buffers);
    const bool gather = b.size() < total && total <= kGatherBytes;
    return run<void(std::error_code, std::size_t)>(
        [this, b, buffers, gather, total](std::size_t& done) {
          if (b.size() == 0) return 1;
          if (!gather) return SSL_write_ex(ssl_, b.data(), b.size(), &done);
          char* scratch = gather_scratch();
          asio::buffer_copy(asio::buffer(scratch, total), buffers);
          return SSL_write_ex(ssl_, scratch, total, &done);
        },
        std::forward<Token>(token));
  }

  // Sends our close_notify; completes when it is written (and, unless the caller marked the
  // peer's as received with SSL_set_shutdown, when the peer's has come).
  template <class Token>
  auto async_shutdown(Token&& token) {
    return run<void(std::error_code)>(
        [this](std::size_t& done) {
          done = 0;
          const int r = SSL_shutdown(ssl_);
          return r == 0 ? SSL_shutdown(ssl_) : r;  // 0: ours sent; the second call waits for theirs
        },
        std::forward<Token>(token));
  }

  // Our close_notify for a connection about to be closed, when it is sound and the socket takes
  // the alert at once; nothing waits, and the peer's close_notify is not read.
  void notify_close();

 private:
  // What one OpenSSL call left: done, an error, or a wait for the socket.
  enum class Next { done, wait_read, wait_write };
  // `saved_errno`: errno right after the call, for SSL_ERROR_SYSCALL.
  Next classify(int result, int saved_errno, std::error_code& ec);

  // Calls `step` (an OpenSSL call through `ssl_`) until it neither wants to read nor to write,
  // waiting for the socket in between. `step` sets the bytes moved and returns OpenSSL's result.
  // Handshake and shutdown complete with an error code alone, reads and writes with the bytes too.
  template <class Signature, class Step, class Token>
  auto run(Step step, Token&& token) {
    return asio::async_compose<Token, Signature>(
        [this, step, waited = false](auto& self, std::error_code wait_ec = {}) mutable {
          constexpr bool kBytes = std::is_same_v<Signature, void(std::error_code, std::size_t)>;
          const auto complete = [&](std::error_code ec, std::size_t bytes) {
            if constexpr (kBytes)
              self.complete(ec, bytes);
            else
              self.complete(ec);
          };
          if (waited && wait_ec) return complete(wait_ec, 0);
          waited = true;
          std::size_t done = 0;
          std::error_code ec;
          // SSL_get_error reads the thread's error queue: it must hold only this call's errors.
          ERR_clear_error();
          errno = 0;
          const int result = step(done);
          switch (classify(result, errno, ec)) {
            case Next::done:
              return complete(ec, ec ? 0 : done);
            case Next::wait_read:
              return socket_.async_wait(asio::socket_base::wait_read, std::move(self));
            case Next::wait_write:
              return socket_.async_wait(asio::socket_base::wait_write, std::move(self));
          }
        },
        token, socket_);
  }

  static constexpr std::size_t kGatherBytes = 16 * 1024;  // one TLS record's worth
  static char* gather_scratch();                          // kGatherBytes, per thread

  template <class Buffers>
  static auto first_of(const Buffers& buffers) {
    for (auto i = asio::buffer_sequence_begin(buffers); i != asio::buffer_sequence_end(buffers);
         ++i)
      if (i->size() != 0) return *i;
    return *asio::buffer_sequence_begin(buffers);
  }

  asio::ip::tcp::socket& socket_;
  SSL* ssl_;
  bool broken_ = false;  // a fatal error: OpenSSL forbids SSL_shutdown after one
};

}  // namespace tether::lb
