#include "admin/admin_server.h"

#include <spdlog/spdlog.h>

#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <vector>

namespace tether::admin {

AdminServer::AdminServer(lb::Daemon& daemon, const config::AdminConfig& config)
    : AdminServer(daemon, config, Options{}) {}

AdminServer::AdminServer(lb::Daemon& daemon, const config::AdminConfig& config, Options options)
    : daemon_(daemon),
      listen_(config.listen.endpoint),
      options_(options),
      routes_(daemon),
      acceptor_(daemon.control()),
      retry_timer_(daemon.control()),
      shared_(std::make_shared<AdminConnection::Shared>()) {
  shared_->routes = &routes_;
  shared_->idle_timeout = options_.idle_timeout;
}

AdminServer::~AdminServer() {
  stop();
}

std::error_code AdminServer::open() {
  const auto& endpoint = listen_;
  std::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) endpoint_ = acceptor_.local_endpoint(ec);
  if (ec) {
    std::error_code ignored;
    acceptor_.close(ignored);
  }
  return ec;
}

void AdminServer::start() {
  if (!acceptor_.is_open()) return;  // open() failed or was not called
  asio::post(acceptor_.get_executor(), [this, shared = shared_] {
    if (shared->routes) accept();
  });
}

void AdminServer::stop() {
  if (!shared_->routes) return;
  shared_->routes = nullptr;
  std::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  // close() does not destroy a connection (its handlers still hold it), so the set is stable;
  // copied all the same, as the destructors that follow will erase from it.
  const std::vector<AdminConnection*> open(shared_->open.begin(), shared_->open.end());
  for (AdminConnection* connection : open)
    connection->close();
}

void AdminServer::accept() {
  acceptor_.async_accept(
      [this, shared = shared_](std::error_code ec, asio::ip::tcp::socket socket) {
        if (!shared->routes) return;                                 // stopped: `this` may be gone
        if (ec == asio::error::connection_aborted) return accept();  // that client gave up
        if (ec) return retry_accept_later(ec);
        if (shared->open.size() >= options_.max_connections) {
          spdlog::warn("admin API: {} connections open, refusing another", shared->open.size());
          std::error_code ignored;
          socket.close(ignored);
        } else {
          std::make_shared<AdminConnection>(std::move(socket), shared)->start();
        }
        accept();
      });
}

void AdminServer::retry_accept_later(std::error_code error) {
  // Descriptors or buffers ran out: the condition lasts a while, so log at most once a second
  // and try again shortly instead of spinning.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_error_log_ >= std::chrono::seconds(1)) {
    spdlog::error("admin API: accept failed: {}; retrying", error.message());
    last_error_log_ = now;
  }
  retry_timer_.expires_after(std::chrono::milliseconds(100));
  retry_timer_.async_wait([this, shared = shared_](std::error_code ec) {
    if (ec || !shared->routes) return;
    accept();
  });
}

}  // namespace tether::admin
