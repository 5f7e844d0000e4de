#include "lb/listener.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "lb/frontend.h"
#include "lb/http_session.h"
#include "lb/tcp_session.h"
#include "lb/worker.h"

namespace tether::lb {

namespace {
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
}

Listener::Listener(Worker& worker, Frontend& frontend)
    : worker_(worker),
      frontend_(&frontend),
      acceptor_(worker.context()),
      backoff_(worker.context()) {}

std::error_code Listener::open(const asio::ip::tcp::endpoint& endpoint) {
  std::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.set_option(reuse_port(true), ec);
  // "[::]:443" next to "0.0.0.0:443" must not collide, so v6 listeners are v6 only.
  if (!ec && endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) acceptor_.close();
  return ec;
}

asio::ip::tcp::endpoint Listener::local_endpoint() const {
  std::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::start() {
  accept();
}

void Listener::close() {
  std::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

void Listener::accept() {
  // The peer address comes with accept(2): no getpeername() per connection.
  acceptor_.async_accept(peer_, [this](std::error_code ec, asio::ip::tcp::socket socket) {
    if (!acceptor_.is_open()) return;  // closed for shutdown
    if (!ec) {
      if (const auto failed = accept_warning_.reset())
        spdlog::info("frontend {}: accepting again after {} failed accepts", frontend_->name(),
                     failed);
      if (frontend_->config.mode == config::Mode::http)
        std::make_shared<HttpSession>(worker_, *frontend_, std::move(socket))->start();
      else
        std::make_shared<TcpSession>(worker_, *frontend_, std::move(socket))->start(peer_);
      accept();
      return;
    }
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
        ec == asio::error::no_memory || ec.value() == ENFILE) {
      // Out of resources: pause instead of spinning on an error that will repeat at once, and
      // say so once a second, not ten times.
      std::uint64_t held_back = 0;
      if (accept_warning_.allow(std::chrono::steady_clock::now(), held_back)) {
        if (held_back == 0)
          spdlog::warn("frontend {}: accept failed ({}); pausing 100ms between attempts",
                       frontend_->name(), ec.message());
        else
          spdlog::warn(
              "frontend {}: accept failed ({}); pausing 100ms between attempts ({} more "
              "failures since the last warning)",
              frontend_->name(), ec.message(), held_back);
      }
      backoff_.expires_after(std::chrono::milliseconds(100));
      backoff_.async_wait([this](std::error_code wait_ec) {
        if (!wait_ec && acceptor_.is_open()) accept();
      });
      return;
    }
    // Errors that concern one connection (e.g. the client reset before accept): keep accepting.
    spdlog::debug("frontend {}: accept: {}", frontend_->name(), ec.message());
    accept();
  });
}

}  // namespace tether::lb
