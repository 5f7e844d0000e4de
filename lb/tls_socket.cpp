#include "lb/tls_socket.h"

#include <new>

namespace tether::lb {

TlsSocket::TlsSocket(asio::ip::tcp::socket& socket, asio::ssl::context& context)
    : socket_(socket), ssl_(SSL_new(context.native_handle())) {
  if (ssl_ == nullptr) throw std::bad_alloc();
  // OpenSSL reads and writes the descriptor itself; it must never block the worker.
  std::error_code ignored;
  socket_.native_non_blocking(true, ignored);
  SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
  // Partial writes: async_write_some reports what went out, as a socket does. Moving buffer: a
  // write retried after a wait may come from a buffer that moved (ByteBuffer compacts).
  // Released buffers: an idle connection keeps no 2 × 16 KiB of record buffers.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                         SSL_MODE_RELEASE_BUFFERS);
}

TlsSocket::~TlsSocket() {
  SSL_free(ssl_);
}

TlsSocket::Next TlsSocket::classify(int result, int saved_errno, std::error_code& ec) {
  if (result > 0) return Next::done;
  const int error = SSL_get_error(ssl_, result);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return Next::wait_read;
    case SSL_ERROR_WANT_WRITE:
      return Next::wait_write;
    case SSL_ERROR_ZERO_RETURN:
      ec = asio::error::eof;  // the peer's close_notify
      break;
    case SSL_ERROR_SYSCALL: {
      const int saved = saved_errno;
      if (const unsigned long queued = ERR_get_error())
        ec = std::error_code(static_cast<int>(queued), asio::error::get_ssl_category());
      else if (saved != 0 && result < 0)
        ec = std::error_code(saved, asio::error::get_system_category());
      else
        ec = asio::ssl::error::stream_truncated;  // the TCP end without a close_notify
      break;
    }
    default: {
      const unsigned long queued = ERR_get_error();
      ec = queued ? std::error_code(static_cast<int>(queued), asio::error::get_ssl_category())
                  : asio::ssl::error::unspecified_system_error;
      break;
    }
  }
  // Whatever else OpenSSL queued belongs to this failure, not to the next call on this thread.
  ERR_clear_error();
  return Next::done;
}

}  // namespace tether::lb
