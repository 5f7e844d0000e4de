#include "tools/pool/listener.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>

#include "tools/pool/endpoint_text.h"

namespace tether::pool {

using asio::ip::tcp;

Listener::Listener(asio::io_context& io, AcceptHandler on_accept)
    : acceptor_(io), retry_(io), on_accept_(std::move(on_accept)) {}

std::error_code Listener::open(const tcp::endpoint& endpoint, bool reuse_port) {
  close();
  std::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  // "[::]" and "0.0.0.0" on one port are two listeners, as in the Tether config.
  if (!ec && endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true), ec);
  if (!ec && reuse_port) {
    acceptor_.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
  }
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::error_code ignored;
    acceptor_.close(ignored);
    return ec;
  }
  accept();
  return {};
}

void Listener::close() {
  ++generation_;
  std::error_code ignored;
  retry_.cancel();
  acceptor_.close(ignored);
}

tcp::endpoint Listener::local_endpoint() const {
  std::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

void Listener::accept() {
  acceptor_.async_accept([this, generation = generation_](std::error_code ec, tcp::socket socket) {
    if (generation != generation_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      on_accept_(std::move(socket));
      if (generation == generation_) accept();  // on_accept_ may have closed us
      return;
    }
    // EMFILE and friends: pause so the loop does not spin, then keep accepting.
    spdlog::warn("accept on {}: {}", to_string(local_endpoint()), ec.message());
    retry_.expires_after(std::chrono::milliseconds(100));
    retry_.async_wait([this, generation](std::error_code wait_ec) {
      if (!wait_ec && generation == generation_) accept();
    });
  });
}

}  // namespace tether::pool
