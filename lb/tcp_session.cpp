#include "lb/tcp_session.h"

#include <asio/write.hpp>

#include <cstring>
#include "lb/access_log.h"
#include "lb/client_address.h"
#include "lb/frontend.h"
#include "lb/proxy_protocol.h"
#include "lb/worker.h"

namespace tether::lb {

namespace {

// Without affinity the full address and port are hashed, so a client's connections spread.
std::uint64_t unpinned_hash(const asio::ip::tcp::endpoint& client, std::uint64_t seed) {
  return key_hash(source_key(client.address(), 32, 128),
                  seed ^ (client.port() * 0x9E3779B97F4A7C15ull));
}

}  // namespace

TcpSession::TcpSession(Worker& worker, Frontend& frontend, asio::ip::tcp::socket client)
    : worker_(worker),
      frontend_(frontend),
      client_(std::move(client)),
      server_socket_(worker.context()),
      connect_timer_(worker.context()),
      idle_timer_(worker.context()),
      started_(Clock::now()),
      last_activity_(started_) {
  worker_.track(this);
  frontend_.accepted.fetch_add(1, std::memory_order_relaxed);
  frontend_.active.fetch_add(1, std::memory_order_relaxed);
}

TcpSession::~TcpSession() {
  worker_.untrack(this);
  frontend_.active.fetch_sub(1, std::memory_order_relaxed);
  if (server_) server_->active.fetch_sub(1, std::memory_order_relaxed);
  worker_.access_log().write({
      .client = client_endpoint_,
      .frontend = frontend_.name(),
      .server = server_ ? std::string_view(server_->name()) : std::string_view(),
      .bytes_in = upstream_.bytes,
      .bytes_out = downstream_.bytes,
      .duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_),
      .end = end_ ? end_ : "closed",
  });
}

void TcpSession::start() {
  std::error_code ec;
  client_endpoint_ = client_.remote_endpoint(ec);
  if (ec) return close("client_gone");
  client_.set_option(asio::ip::tcp::no_delay(true), ec);
  local_endpoint_ = client_.local_endpoint(ec);
  if (frontend_.config.accept_proxy) {
    const auto& trusted = frontend_.config.affinity.trusted_proxies;
    if (!trusted.empty() && !is_trusted(canonical(client_endpoint_.address()), trusted)) {
      frontend_.refused.fetch_add(1, std::memory_order_relaxed);
      return close("proxy_untrusted");
    }
    // The header must come first and soon; the connect timer doubles as its deadline.
    connect_timer_.expires_after(kProxyHeaderTimeout);
    connect_timer_.async_wait([this, self = shared_from_this()](std::error_code ec) {
      if (!ec && !end_ && !server_) close("proxy_timeout");
    });
    return read_proxy_header();
  }
  place_client();
}

void TcpSession::read_proxy_header() {
  auto& buffer = upstream_.buffer;
  client_.async_read_some(
      asio::buffer(buffer.data() + preamble_bytes_, buffer.size() - preamble_bytes_),
      [this, self = shared_from_this()](std::error_code ec, std::size_t n) {
        if (end_) return;
        if (ec) return close("client_gone");
        preamble_bytes_ += n;
        ProxyHeader header;
        std::string error;
        switch (parse_proxy_header({upstream_.buffer.data(), preamble_bytes_}, header, error)) {
          case ProxyParse::incomplete:
            return read_proxy_header();
          case ProxyParse::error:
            frontend_.refused.fetch_add(1, std::memory_order_relaxed);
            return close("proxy_invalid");
          case ProxyParse::complete:
            break;
        }
        connect_timer_.cancel();
        if (!header.local)
          client_endpoint_ = {canonical(header.source.address()), header.source.port()};
        // Bytes after the header are the client's first data: they go to the server first.
        preamble_bytes_ -= header.size;
        std::memmove(upstream_.buffer.data(), upstream_.buffer.data() + header.size,
                     preamble_bytes_);
        place_client();
      });
}

void TcpSession::place_client() {
  const auto& affinity = frontend_.config.affinity;
  const std::uint64_t seed = frontend_.pool.config().hash_seed;
  if (affinity.type == config::AffinityType::none) {
    key_ = source_key(client_endpoint_.address(), 32, 128);
    key_hash_ = unpinned_hash(client_endpoint_, seed);
  } else {
    key_ = source_key(client_endpoint_.address(), affinity.ipv4_mask, affinity.ipv6_mask);
    key_hash_ = key_hash(key_, seed);
  }
  connect_next();
}

void TcpSession::connect_next() {
  Pool& pool = frontend_.pool;
  const auto& snapshot = worker_.snapshot(pool, frontend_.pool_index);
  const bool sticky = frontend_.config.affinity.type != config::AffinityType::none;
  const Placement placement =
      pool.place(snapshot, sticky ? &key_ : nullptr, key_hash_, tried_, Clock::now());
  if (!placement.server) {
    if (tried_.empty()) {
      frontend_.no_server.fetch_add(1, std::memory_order_relaxed);
      return close("no_server");
    }
    frontend_.connect_failed.fetch_add(1, std::memory_order_relaxed);
    return close("connect_failed");
  }
  server_ = placement.server;
  pinned_ = placement.decision == Decision::stick;
  server_->active.fetch_add(1, std::memory_order_relaxed);

  const auto& endpoint = server_->config.address.endpoint;
  std::error_code ec;
  server_socket_.open(endpoint.protocol(), ec);
  if (ec) return on_connect(ec);
  connect_timer_.expires_after(pool.config().connect_timeout);
  connect_timer_.async_wait([this, self = shared_from_this()](std::error_code ec) {
    // Closing the socket completes the pending connect with operation_aborted: a failed attempt.
    if (!ec && !connected_ && !end_) server_socket_.close(ec);
  });
  server_socket_.async_connect(
      endpoint, [this, self = shared_from_this()](std::error_code ec) { on_connect(ec); });
}

void TcpSession::on_connect(std::error_code ec) {
  connect_timer_.cancel();
  if (end_) return;
  if (ec) {
    server_->connect_failures.fetch_add(1, std::memory_order_relaxed);
    frontend_.pool.observe_connect_failure(*server_);
    server_->active.fetch_sub(1, std::memory_order_relaxed);
    tried_.push_back(server_->id);
    server_ = nullptr;
    std::error_code ignored;
    server_socket_.close(ignored);
    if (tried_.size() > frontend_.pool.config().retries) {
      frontend_.connect_failed.fetch_add(1, std::memory_order_relaxed);
      return close("connect_failed");
    }
    return connect_next();
  }
  connected_ = true;
  server_->total.fetch_add(1, std::memory_order_relaxed);
  if (!pinned_ && frontend_.config.affinity.type != config::AffinityType::none)
    frontend_.pool.pin(key_, *server_, Clock::now());
  server_socket_.set_option(asio::ip::tcp::no_delay(true), ec);

  // What the server must get before the relay: our PROXY header, then bytes the client sent
  // along with its own.
  std::string preamble;
  if (server_->config.send_proxy == config::SendProxy::v1)
    preamble = make_proxy_v1(client_endpoint_, local_endpoint_);
  else if (server_->config.send_proxy == config::SendProxy::v2)
    preamble = make_proxy_v2(client_endpoint_, local_endpoint_);
  preamble.append(upstream_.buffer.data(), preamble_bytes_);
  if (!preamble.empty()) {
    auto data = std::make_shared<std::string>(std::move(preamble));
    asio::async_write(server_socket_, asio::buffer(*data),
                      [this, self = shared_from_this(), data](std::error_code ec, std::size_t) {
                        if (end_) return;
                        if (ec) return close("server_error");
                        upstream_.bytes += preamble_bytes_;
                        start_relay();
                      });
    return;
  }
  start_relay();
}

void TcpSession::start_relay() {
  last_activity_ = Clock::now();
  if (frontend_.config.idle_timeout.count() > 0) {
    idle_timer_.expires_at(last_activity_ + frontend_.config.idle_timeout);
    idle_timer_.async_wait(
        [this, self = shared_from_this()](std::error_code ec) { on_idle_timer(ec); });
  }
  relay(upstream_);
  relay(downstream_);
}

void TcpSession::relay(Half& half) {
  half.from.async_read_some(asio::buffer(half.buffer), [this, self = shared_from_this(), &half](
                                                           std::error_code ec, std::size_t n) {
    if (end_) return;
    const bool from_client = &half == &upstream_;
    if (ec == asio::error::eof) {
      // Half-close: pass the EOF on and keep relaying the other direction.
      half.ended = true;
      std::error_code ignored;
      half.to.shutdown(asio::socket_base::shutdown_send, ignored);
      if (upstream_.ended && downstream_.ended) close("closed");
      return;
    }
    if (ec) {
      const bool reset = ec == asio::error::connection_reset;
      return close(from_client ? (reset ? "client_reset" : "client_error")
                               : (reset ? "server_reset" : "server_error"));
    }
    last_activity_ = Clock::now();
    count_bytes(half, n);
    asio::async_write(half.to, asio::buffer(half.buffer.data(), n),
                      [this, self, &half, from_client](std::error_code ec, std::size_t) {
                        if (end_) return;
                        if (ec) return close(from_client ? "server_error" : "client_error");
                        relay(half);
                      });
  });
}

void TcpSession::count_bytes(Half& half, std::size_t n) {
  (&half == &upstream_ ? server_->bytes_in : server_->bytes_out)
      .fetch_add(n, std::memory_order_relaxed);
  half.bytes += n;
}

void TcpSession::on_idle_timer(std::error_code ec) {
  if (ec || end_) return;
  // The deadline moves with activity; the timer is re-armed only when it fires, never per read.
  const auto deadline = last_activity_ + frontend_.config.idle_timeout;
  if (Clock::now() >= deadline) return close("idle_timeout");
  idle_timer_.expires_at(deadline);
  idle_timer_.async_wait(
      [this, self = shared_from_this()](std::error_code ec) { on_idle_timer(ec); });
}

void TcpSession::close(const char* reason) {
  if (end_) return;
  end_ = reason;
  std::error_code ignored;
  connect_timer_.cancel();
  idle_timer_.cancel();
  client_.close(ignored);
  server_socket_.close(ignored);
}

}  // namespace tether::lb
