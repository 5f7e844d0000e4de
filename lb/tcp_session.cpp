#include "lb/tcp_session.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <asio/post.hpp>

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

// TETHER_SPLICE=off keeps every byte on the copy path: for measuring what splice(2) gains
// (perf/peer-bench), not a tuning knob.
bool splice_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("TETHER_SPLICE");
    return !(v && std::string_view(v) == "off");
  }();
  return enabled;
}

constexpr std::size_t kPreambleSize = kMaxProxyV2Size + 4096;

bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
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
  frontend_.bytes_in.fetch_add(upstream_.bytes, std::memory_order_relaxed);
  frontend_.bytes_out.fetch_add(downstream_.bytes, std::memory_order_relaxed);
  worker_.access_log().write({
      .client = client_endpoint_,
      .frontend = frontend_.name(),
      .server = server_ ? std::string_view(server_->name()) : std::string_view(),
      .bytes_in = upstream_.bytes,
      .bytes_out = downstream_.bytes,
      .duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_),
      .end = end_ ? end_ : "closed",
      .affinity = server_ ? to_string(decision_) : "none",
  });
}

void TcpSession::start(const asio::ip::tcp::endpoint& peer) {
  client_endpoint_ = peer;
  std::error_code ec;
  client_.set_option(asio::ip::tcp::no_delay(true), ec);
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
    preamble_ = std::make_unique<char[]>(kPreambleSize);
    return read_proxy_header();
  }
  place_client();
}

void TcpSession::read_proxy_header() {
  client_.async_read_some(
      asio::buffer(preamble_.get() + preamble_bytes_, kPreambleSize - preamble_bytes_),
      [this, self = shared_from_this()](std::error_code ec, std::size_t n) {
        if (end_) return;
        if (ec) return close("client_gone");
        preamble_bytes_ += n;
        ProxyHeader header;
        std::string error;
        switch (parse_proxy_header({preamble_.get(), preamble_bytes_}, header, error)) {
          case ProxyParse::incomplete:
            // A header never exceeds kMaxProxyV2Size, so a full buffer is always decided.
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
        std::memmove(preamble_.get(), preamble_.get() + header.size, preamble_bytes_);
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
  decision_ = placement.decision;
  server_->active.fetch_add(1, std::memory_order_relaxed);

  const auto& endpoint = server_->config.address.endpoint;
  std::error_code ec;
  server_socket_.open(endpoint.protocol(), ec);
  if (!ec) server_socket_.native_non_blocking(true, ec);
  if (ec) return on_connect(ec);
  connect_started_ = Clock::now();
  connect_timer_.expires_after(pool.config().connect_timeout);
  connect_timer_.async_wait([this, self = shared_from_this()](std::error_code ec) {
    // Closing the socket completes the pending wait with operation_aborted: a failed attempt.
    if (!ec && !connected_ && !end_) server_socket_.close(ec);
  });
  // connect(2) by hand: Asio's async_connect polls the socket once more before asking SO_ERROR.
  if (::connect(server_socket_.native_handle(), endpoint.data(),
                static_cast<socklen_t>(endpoint.size())) == 0)
    return on_connect({});
  if (errno != EINPROGRESS) return on_connect({errno, std::system_category()});
  server_socket_.async_wait(
      asio::socket_base::wait_write, [this, self = shared_from_this()](std::error_code ec) {
        if (!ec) {
          int error = 0;
          socklen_t len = sizeof error;
          if (::getsockopt(server_socket_.native_handle(), SOL_SOCKET, SO_ERROR, &error, &len) != 0)
            error = errno;
          if (error != 0) ec = {error, std::system_category()};
        }
        on_connect(ec);
      });
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
  server_->connect_time.record(Clock::now() - connect_started_);
  if (decision_ != Decision::stick && frontend_.config.affinity.type != config::AffinityType::none)
    frontend_.pool.pin(key_, *server_, Clock::now());
  server_socket_.set_option(asio::ip::tcp::no_delay(true), ec);

  // What the server must get before the relay: our PROXY header, then bytes the client sent
  // along with its own. It is held like any data the server has not taken yet.
  std::string proxy_header;
  if (server_->config.send_proxy != config::SendProxy::off) {
    const auto local = client_.local_endpoint(ec);
    proxy_header = server_->config.send_proxy == config::SendProxy::v1
                       ? make_proxy_v1(client_endpoint_, local)
                       : make_proxy_v2(client_endpoint_, local);
  }
  if (!proxy_header.empty() || preamble_bytes_ > 0) {
    std::string preamble = std::move(proxy_header);
    upstream_.uncounted = preamble.size();
    preamble.append(preamble_.get(), preamble_bytes_);
    hold(upstream_, preamble.data(), preamble.size());
  }
  preamble_.reset();
  start_relay();
}

void TcpSession::start_relay() {
  last_activity_ = Clock::now();
  if (frontend_.config.idle_timeout.count() > 0) {
    idle_timer_.expires_at(last_activity_ + frontend_.config.idle_timeout);
    idle_timer_.async_wait(
        [this, self = shared_from_this()](std::error_code ec) { on_idle_timer(ec); });
  }
  pump(upstream_);
  pump(downstream_);
}

void TcpSession::pump(Half& half) {
  const bool from_client = &half == &upstream_;
  const int from = half.from.native_handle();
  std::size_t turn = 0;
  while (!end_) {
    // What `to` has not taken yet goes first: bytes stay in order, and a receiver that does not
    // keep up stops the reading (back-pressure instead of buffering).
    if (half.holding()) {
      if (!flush(half)) return;
      continue;
    }
    if (half.eof) return end_direction(half);
    if (turn >= kTurnBytes) {
      // Let the worker's other sessions run; this direction continues after them.
      asio::post(worker_.context(), [this, self = shared_from_this(), &half] {
        if (!end_) pump(half);
      });
      return;
    }
    if (half.bulk && !half.pipe) {
      half.pipe = worker_.pipes().take();
      if (!half.pipe) half.bulk = false;  // out of descriptors: copy instead
    }

    ssize_t n;
    if (half.pipe) {
      n = ::splice(from, nullptr, half.pipe->write_end(), nullptr, half.pipe->capacity(),
                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    } else if (half.more) {
      n = ::recv(from, worker_.scratch().data(), worker_.scratch().size(), MSG_DONTWAIT);
    } else {
      // The last read did not fill its buffer, so the socket is most likely drained: let Asio
      // wait, which tries the read once more itself before it sleeps.
      return read_async(half);
    }
    if (n == 0) {
      half.eof = true;
      continue;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (would_block(errno)) return half.pipe ? wait_readable(half) : read_async(half);
      const bool reset = errno == ECONNRESET;
      return close(from_client ? (reset ? "client_reset" : "client_error")
                               : (reset ? "server_reset" : "server_error"));
    }
    last_activity_ = Clock::now();
    const auto got = static_cast<std::size_t>(n);
    turn += got;
    if (half.pipe) {
      half.in_pipe = got;
      continue;
    }
    half.more = got == worker_.scratch().size();
    if (!forward(half, worker_.scratch().data(), got)) return;
    // A read that filled the whole scratch buffer is a bulk transfer: from now on the bytes go
    // socket → pipe → socket in the kernel. Splice needs both sockets non-blocking.
    if (half.more && splice_enabled()) {
      std::error_code ec;
      half.from.native_non_blocking(true, ec);
      if (!ec) half.to.native_non_blocking(true, ec);
      half.bulk = !ec;
    }
  }
}

bool TcpSession::forward(Half& half, const char* data, std::size_t size) {
  ssize_t sent = ::send(half.to.native_handle(), data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent < 0) {
    if (errno != EINTR && !would_block(errno)) {
      close(&half == &upstream_ ? "server_error" : "client_error");
      return false;
    }
    sent = 0;
  }
  delivered(half, static_cast<std::size_t>(sent));
  if (static_cast<std::size_t>(sent) == size) return true;
  hold(half, data + sent, size - static_cast<std::size_t>(sent));
  wait_writable(half);
  return false;
}

bool TcpSession::flush(Half& half) {
  const int to = half.to.native_handle();
  const ssize_t n = half.in_pipe > 0
                        ? ::splice(half.pipe->read_end(), nullptr, to, nullptr, half.in_pipe,
                                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
                        : ::send(to, half.held.get() + half.held_begin,
                                 half.held_end - half.held_begin, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EINTR) return true;
    if (would_block(errno))
      wait_writable(half);
    else
      close(&half == &upstream_ ? "server_error" : "client_error");
    return false;
  }
  if (half.in_pipe > 0) {
    half.in_pipe -= static_cast<std::size_t>(n);
  } else {
    half.held_begin += static_cast<std::size_t>(n);
    if (half.held_begin == half.held_end) {
      half.held.reset();  // an idle connection keeps no buffer
      half.held_begin = half.held_end = 0;
    }
  }
  delivered(half, static_cast<std::size_t>(n));
  return true;
}

void TcpSession::read_async(Half& half) {
  // Asio reads into the direction's own small buffer (the worker's scratch buffer cannot be
  // lent to a pending operation), trying at once and then when epoll says so, without the
  // epoll_ctl() a readiness wait costs.
  half.from.async_receive(asio::buffer(half.first), [this, self = shared_from_this(), &half](
                                                        std::error_code ec, std::size_t n) {
    if (end_) return;
    const bool from_client = &half == &upstream_;
    if (ec == asio::error::eof) {
      half.eof = true;
      return pump(half);
    }
    if (ec) {
      const bool reset = ec == asio::error::connection_reset;
      return close(from_client ? (reset ? "client_reset" : "client_error")
                               : (reset ? "server_reset" : "server_error"));
    }
    last_activity_ = Clock::now();
    half.more = n == half.first.size();
    if (forward(half, half.first.data(), n)) pump(half);
  });
}

void TcpSession::wait_readable(Half& half) {
  // Quiet for now: the empty pipe goes back to the worker, for whichever transfer needs one.
  if (half.pipe && half.in_pipe == 0) {
    worker_.pipes().give_back(std::move(*half.pipe));
    half.pipe.reset();
  }
  half.from.async_wait(asio::socket_base::wait_read,
                       [this, self = shared_from_this(), &half](std::error_code ec) {
                         if (end_) return;
                         if (ec)
                           return close(&half == &upstream_ ? "client_error" : "server_error");
                         pump(half);
                       });
}

void TcpSession::wait_writable(Half& half) {
  half.to.async_wait(asio::socket_base::wait_write,
                     [this, self = shared_from_this(), &half](std::error_code ec) {
                       if (end_) return;
                       if (ec) return close(&half == &upstream_ ? "server_error" : "client_error");
                       pump(half);
                     });
}

void TcpSession::hold(Half& half, const char* data, std::size_t size) {
  half.held = std::make_unique<char[]>(size);
  std::memcpy(half.held.get(), data, size);
  half.held_begin = 0;
  half.held_end = size;
}

void TcpSession::delivered(Half& half, std::size_t n) {
  const std::size_t ours = std::min(n, half.uncounted);
  half.uncounted -= ours;
  n -= ours;
  if (n == 0) return;
  (&half == &upstream_ ? server_->bytes_in : server_->bytes_out)
      .fetch_add(n, std::memory_order_relaxed);
  half.bytes += n;
}

void TcpSession::end_direction(Half& half) {
  half.ended = true;
  const Half& other = &half == &upstream_ ? downstream_ : upstream_;
  // Both ended: closing sends the last FIN, so no shutdown is needed first.
  if (other.ended) return close("closed");
  // Half-close: pass the EOF on and keep relaying the other direction.
  std::error_code ignored;
  half.to.shutdown(asio::socket_base::shutdown_send, ignored);
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
  for (Half* half : {&upstream_, &downstream_}) {
    if (half->pipe && half->in_pipe == 0) worker_.pipes().give_back(std::move(*half->pipe));
    half->pipe.reset();  // a pipe with bytes still in it is closed with them
  }
  std::error_code ignored;
  connect_timer_.cancel();
  idle_timer_.cancel();
  client_.close(ignored);
  server_socket_.close(ignored);
}

}  // namespace tether::lb
