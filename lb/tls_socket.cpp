#include "lb/tls_socket.h"

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <new>

namespace tether::lb {
namespace {

bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

// OpenSSL's socket BIO writes with write(2): a peer that has gone would raise SIGPIPE in the
// whole process. This one sends with MSG_NOSIGNAL, and never closes the descriptor (the socket
// object owns it). The descriptor is kept as the BIO's data.
int bio_write(BIO* bio, const char* data, int size) {
  const int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
  const ssize_t n = ::send(fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  BIO_clear_retry_flags(bio);
  if (n < 0 && would_block(errno)) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

int bio_read(BIO* bio, char* data, int size) {
  const int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
  const ssize_t n = ::recv(fd, data, static_cast<std::size_t>(size), 0);
  BIO_clear_retry_flags(bio);
  if (n < 0 && would_block(errno)) BIO_set_retry_read(bio);
  return static_cast<int>(n);
}

long bio_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:  // every write went straight to the socket
      return 1;
    case BIO_C_GET_FD:
      return static_cast<long>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
    default:
      return 0;
  }
}

const BIO_METHOD* socket_method() {
  static const BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "tether socket");
    if (m == nullptr) throw std::bad_alloc();
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, [](BIO* bio) {
      BIO_set_init(bio, 1);
      return 1;
    });
    return m;
  }();
  return method;
}

}  // namespace

TlsSocket::TlsSocket(asio::ip::tcp::socket& socket, asio::ssl::context& context)
    : socket_(socket), ssl_(SSL_new(context.native_handle())) {
  if (ssl_ == nullptr) throw std::bad_alloc();
  // OpenSSL reads and writes the descriptor itself; it must never block the worker.
  std::error_code ignored;
  socket_.native_non_blocking(true, ignored);
  BIO* bio = BIO_new(socket_method());
  if (bio == nullptr) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(socket_.native_handle())));
  SSL_set_bio(ssl_, bio, bio);  // one reference, for both directions
  // Read ahead: one recv() takes whatever has arrived, several records at once, instead of a
  // record header and then its body (two system calls per record).
  SSL_set_read_ahead(ssl_, 1);
  // Partial writes: async_write_some reports what went out, as a socket does. Moving buffer: a
  // write retried after a wait may come from a buffer that moved (ByteBuffer compacts).
  // Released buffers: an idle connection keeps no 2 × 16 KiB of record buffers.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                         SSL_MODE_RELEASE_BUFFERS);
}

char* TlsSocket::gather_scratch() {
  thread_local std::array<char, kGatherBytes> scratch;
  return scratch.data();
}

TlsSocket::~TlsSocket() {
  SSL_free(ssl_);
}

void TlsSocket::notify_close() {
  if (broken_ || !SSL_is_init_finished(ssl_) || (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN))
    return;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // the first call only writes ours; a full send buffer just loses it
  ERR_clear_error();
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
      broken_ = true;
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
      broken_ = true;
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
