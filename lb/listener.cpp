#include "lb/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <asio/post.hpp>
#include <cerrno>
#include <memory>

#include "lb/frontend.h"
#include "lb/http_session.h"
#include "lb/tcp_session.h"
#include "lb/worker.h"

namespace tether::lb {

namespace {

std::error_code last_error() {
  return {errno, std::system_category()};
}

bool set_flag(int fd, int level, int option) {
  const int one = 1;
  return ::setsockopt(fd, level, option, &one, sizeof one) == 0;
}

}  // namespace

Listener::Listener(Worker& worker, Frontend& frontend)
    : worker_(worker), frontend_(&frontend), backoff_(worker.context()) {}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

std::error_code Listener::open(const asio::ip::tcp::endpoint& endpoint) {
  fd_ = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return last_error();
  bool ok = set_flag(fd_, SOL_SOCKET, SO_REUSEADDR) && set_flag(fd_, SOL_SOCKET, SO_REUSEPORT) &&
            set_flag(fd_, IPPROTO_TCP, TCP_NODELAY);  // copied to accepted sockets
  // "[::]:443" next to "0.0.0.0:443" must not collide, so v6 listeners are v6 only.
  if (ok && endpoint.address().is_v6()) ok = set_flag(fd_, IPPROTO_IPV6, IPV6_V6ONLY);
  if (ok) ok = ::bind(fd_, endpoint.data(), static_cast<socklen_t>(endpoint.size())) == 0;
  if (ok) ok = ::listen(fd_, SOMAXCONN) == 0;
  if (ok) return {};
  const auto ec = last_error();
  ::close(fd_);
  fd_ = -1;
  return ec;
}

asio::ip::tcp::endpoint Listener::local_endpoint() const {
  asio::ip::tcp::endpoint local;
  socklen_t len = static_cast<socklen_t>(local.capacity());
  if (fd_ < 0 || ::getsockname(fd_, local.data(), &len) != 0) return {};
  local.resize(len);
  return local;
}

void Listener::start() {
  if (fd_ < 0) return;
  if (auto ec = worker_.poller().add(fd_, *this, 0))
    spdlog::error("frontend {}: cannot wait for connections: {}", frontend_->name(), ec.message());
  // Connections queued before the registration are reported by it (edge-triggered epoll
  // reports a socket that is ready when added).
}

void Listener::close() {
  if (fd_ >= 0) ::close(fd_);  // closing deregisters it from the poller
  fd_ = -1;
  backoff_.cancel();
}

void Listener::on_events(std::uint8_t, std::uint32_t) {
  if (!paused_) accept();
}

void Listener::accept() {
  for (int i = 0; i < kAcceptBatch; ++i) {
    if (fd_ < 0) return;
    // The peer address comes with accept(2): no getpeername() per connection.
    asio::ip::tcp::endpoint peer;
    socklen_t len = static_cast<socklen_t>(peer.capacity());
    const int fd = ::accept4(fd_, peer.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) return;  // the next connection is an event
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM)
        return pause(error);
      // Errors that concern one connection (e.g. the client reset before accept): go on.
      spdlog::debug("frontend {}: accept: {}", frontend_->name(),
                    std::error_code(error, std::system_category()).message());
      continue;
    }
    peer.resize(len);
    if (const auto failed = accept_warning_.reset())
      spdlog::info("frontend {}: accepting again after {} failed accepts", frontend_->name(),
                   failed);
    if (frontend_->config.mode == config::Mode::http) {
      asio::ip::tcp::socket socket(worker_.context());
      std::error_code ec;
      socket.assign(peer.protocol(), fd, ec);
      if (ec) {
        ::close(fd);
        continue;
      }
      std::make_shared<HttpSession>(worker_, *frontend_, std::move(socket))->start(peer);
    } else {
      std::make_shared<TcpSession>(worker_, *frontend_, fd)->start(peer);
    }
  }
  // A full batch: more may be queued, and no new edge will say so. Continue after the worker's
  // other work.
  asio::post(worker_.context(), [this] {
    if (!paused_) accept();
  });
}

void Listener::pause(int error) {
  // Out of resources: pause instead of spinning on an error that will repeat at once, and say
  // so once a second, not ten times.
  const std::string message = std::error_code(error, std::system_category()).message();
  std::uint64_t held_back = 0;
  if (accept_warning_.allow(std::chrono::steady_clock::now(), held_back)) {
    if (held_back == 0)
      spdlog::warn("frontend {}: accept failed ({}); pausing 100ms between attempts",
                   frontend_->name(), message);
    else
      spdlog::warn(
          "frontend {}: accept failed ({}); pausing 100ms between attempts ({} more failures "
          "since the last warning)",
          frontend_->name(), message, held_back);
  }
  paused_ = true;
  backoff_.expires_after(std::chrono::milliseconds(100));
  backoff_.async_wait([this](std::error_code ec) {
    if (ec) return;
    paused_ = false;
    accept();  // the queued connections raise no new edge
  });
}

}  // namespace tether::lb
