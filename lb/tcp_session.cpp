#include "lb/tcp_session.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

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
constexpr std::uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t kWriteEvents = EPOLLOUT | EPOLLHUP | EPOLLERR;

bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

TcpSession::TcpSession(Worker& worker, Frontend& frontend, int client)
    : worker_(worker), frontend_(frontend), started_(Clock::now()), last_activity_(started_) {
  client_.fd = client;
  worker_.track(this);
  frontend_.accepted.fetch_add(1, std::memory_order_relaxed);
  frontend_.active.fetch_add(1, std::memory_order_relaxed);
}

TcpSession::~TcpSession() {
  close_fd(client_.fd);
  close_fd(server_socket_.fd);
  worker_.deadlines().remove(*this);
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
  self_ = shared_from_this();
  client_endpoint_ = peer;
  // TCP_NODELAY came with accept4() from the listening socket.
  if (worker_.poller().add(client_.fd, *this, kClientTag)) return close("client_error");
  worker_.deadlines().add(*this);
  if (frontend_.config.accept_proxy) {
    const auto& trusted = frontend_.config.affinity.trusted_proxies;
    if (!trusted.empty() && !is_trusted(canonical(client_endpoint_.address()), trusted)) {
      frontend_.refused.fetch_add(1, std::memory_order_relaxed);
      return close("proxy_untrusted");
    }
    // The header must come first and soon. The client's readiness is its event.
    phase_ = Phase::proxy_header;
    deadline_ = Clock::now() + kProxyHeaderTimeout;
    worker_.deadlines().due(deadline_);
    preamble_ = std::make_unique<char[]>(kPreambleSize);
    return;
  }
  place_client();
}

void TcpSession::on_events(std::uint8_t tag, std::uint32_t events) {
  if (end_) return;                                     // closed earlier in this batch
  if (tag != kClientTag && tag != server_tag_) return;  // a failed attempt's socket
  Socket& socket = tag == kClientTag ? client_ : server_socket_;
  if (events & kReadEvents) socket.readable = true;
  // A FIN, not a reset: a reset (EPOLLERR) is for the next read to report.
  if ((events & EPOLLRDHUP) && !(events & EPOLLERR)) socket.peer_closed = true;
  if (events & kWriteEvents) socket.writable = true;
  switch (phase_) {
    case Phase::proxy_header:
      return read_proxy_header();
    case Phase::connecting:
      // The client's bytes wait for the server. A connect that failed says so with an error
      // or hang-up, one that worked with writability: no getsockopt(SO_ERROR) either way.
      if (&socket != &server_socket_) return;
      if (events & (EPOLLERR | EPOLLHUP)) return connect_failed();
      if (socket.writable) connected();
      return;
    case Phase::relaying:
      return relay();
  }
}

void TcpSession::read_proxy_header() {
  while (client_.readable && !end_) {
    const std::size_t room = kPreambleSize - preamble_bytes_;
    const ssize_t n = ::recv(client_.fd, preamble_.get() + preamble_bytes_, room, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && would_block(errno)) {
      client_.readable = false;
      return;
    }
    if (n <= 0) return close("client_gone");
    preamble_bytes_ += static_cast<std::size_t>(n);
    // A short read drained the socket (edge-triggered: new bytes are a new event).
    if (static_cast<std::size_t>(n) < room) client_.readable = false;
    ProxyHeader header;
    std::string error;
    switch (parse_proxy_header({preamble_.get(), preamble_bytes_}, header, error)) {
      case ProxyParse::incomplete:
        // A header never exceeds kMaxProxyV2Size, so a full buffer is always decided.
        if (!client_.readable && client_.peer_closed) return close("client_gone");
        continue;
      case ProxyParse::error:
        frontend_.refused.fetch_add(1, std::memory_order_relaxed);
        return close("proxy_invalid");
      case ProxyParse::complete:
        break;
    }
    if (!header.local)
      client_endpoint_ = {canonical(header.source.address()), header.source.port()};
    // Bytes after the header are the client's first data: they go to the server first.
    preamble_bytes_ -= header.size;
    std::memmove(preamble_.get(), preamble_.get() + header.size, preamble_bytes_);
    phase_ = Phase::connecting;
    return place_client();
  }
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
  pin_kept_ = pin_kept_ || placement.pin_kept;
  server_->active.fetch_add(1, std::memory_order_relaxed);
  phase_ = Phase::connecting;
  // Tags 1, 3, 5, ...: one per attempt, never the client's.
  server_tag_ = static_cast<std::uint8_t>(2 * tried_.size() + 1);
  server_socket_ = {};

  const auto& endpoint = server_->config.address.endpoint;
  const int fd =
      ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return connect_failed();
  server_socket_.fd = fd;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Delayed ACKs from the start (HAProxy's tcp-smart-connect): the handshake's last ACK waits
  // to ride on the client's first bytes, so the server wakes once, to a connection with a
  // request in it, instead of once for the connection and once for the request. The largest
  // single saving measured (docs/data-path.md). If the client has sent nothing by the time the
  // worker goes idle (the server may be the one to speak first), the ACK is sent then.
  const int zero = 0;
  ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
  connect_started_ = Clock::now();
  if (::connect(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0 &&
      errno != EINPROGRESS)
    return connect_failed();
  // Registered after connect(): a socket not yet connecting would read as hung up.
  if (worker_.poller().add(fd, *this, server_tag_)) return connect_failed();
  deadline_ = connect_started_ + pool.config().connect_timeout;
  worker_.deadlines().due(deadline_);
  // Its outcome is the socket's first event, even when connect() completed at once.
}

void TcpSession::connect_failed() {
  server_->connect_failures.fetch_add(1, std::memory_order_relaxed);
  frontend_.pool.observe_connect_failure(*server_);
  server_->active.fetch_sub(1, std::memory_order_relaxed);
  tried_.push_back(server_->id);
  server_ = nullptr;
  close_server();
  if (tried_.size() > frontend_.pool.config().retries) {
    frontend_.connect_failed.fetch_add(1, std::memory_order_relaxed);
    return close("connect_failed");
  }
  connect_next();
}

void TcpSession::connected() {
  phase_ = Phase::relaying;
  server_->total.fetch_add(1, std::memory_order_relaxed);
  server_->connect_time.record(Clock::now() - connect_started_);
  if (decision_ != Decision::stick && !pin_kept_ &&
      frontend_.config.affinity.type != config::AffinityType::none)
    frontend_.pool.pin(key_, *server_, Clock::now());

  // What the server must get before the relay: our PROXY header, then bytes the client sent
  // along with its own. It is held like any data the server has not taken yet.
  std::string proxy_header;
  if (server_->config.send_proxy != config::SendProxy::off) {
    asio::ip::tcp::endpoint local;
    socklen_t len = static_cast<socklen_t>(local.capacity());
    if (::getsockname(client_.fd, local.data(), &len) == 0) local.resize(len);
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
  last_activity_ = Clock::now();
  if (frontend_.config.idle_timeout.count() > 0)
    worker_.deadlines().due(last_activity_ + frontend_.config.idle_timeout);
  relay();
  if (!end_ && !server_heard_) worker_.poller().soon(shared_from_this());
}

void TcpSession::on_soon() {
  // Nothing went to the server yet, so its connection still waits for our ACK: send it.
  if (end_ || server_heard_) return;
  const int one = 1;
  ::setsockopt(server_socket_.fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

void TcpSession::relay() {
  pump(upstream_);
  pump(downstream_);
}

void TcpSession::pump(Half& half) {
  std::size_t turn = 0;
  while (!end_ && !half.ended) {
    // What `to` has not taken yet goes first: bytes stay in order, and a receiver that does not
    // keep up stops the reading (back-pressure instead of buffering).
    if (half.holding()) {
      if (!half.to.writable || !flush(half)) return;
      continue;
    }
    if (half.eof) return end_direction(half);
    if (!half.from.readable) {
      // Quiet for now: the empty pipe goes back to the worker, for whichever transfer needs one.
      if (half.pipe) {
        worker_.pipes().give_back(std::move(*half.pipe));
        half.pipe.reset();
      }
      return;
    }
    if (turn >= kTurnBytes) {
      // Let the worker's other sessions run; this direction continues after them (the socket
      // raises no new edge for bytes already waiting).
      asio::post(worker_.context(), [this, self = shared_from_this(), &half] {
        if (!end_) pump(half);
      });
      return;
    }
    if (half.bulk && !half.pipe) {
      half.pipe = worker_.pipes().take();
      if (!half.pipe) half.bulk = false;  // out of descriptors: copy instead
    }

    const std::size_t want = half.pipe ? half.pipe->capacity() : worker_.scratch().size();
    const ssize_t n = half.pipe ? ::splice(half.from.fd, nullptr, half.pipe->write_end(), nullptr,
                                           want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
                                : ::recv(half.from.fd, worker_.scratch().data(), want, 0);
    if (n == 0) {
      half.eof = true;
      continue;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (would_block(errno)) {
        half.from.readable = false;
        continue;
      }
      return close(error_of(half, true, errno));
    }
    last_activity_ = Clock::now();
    const auto got = static_cast<std::size_t>(n);
    turn += got;
    if (half.pipe) {
      // A short splice may only mean the pipe ran out of slots: only EAGAIN says drained.
      half.in_pipe = got;
      continue;
    }
    // A short read drained the socket: edge-triggered epoll reports new bytes as a new event,
    // and a peer known to have closed has nothing left but its EOF, so neither is read for.
    if (got < want) {
      half.from.readable = false;
      if (half.from.peer_closed) half.eof = true;
    }
    // With the EOF known, the bytes wait (MSG_MORE) for the FIN that follows them at once, so
    // the receiver gets one segment instead of two.
    if (!forward(half, worker_.scratch().data(), got, half.eof ? MSG_MORE : 0)) return;
    // A read that filled the whole scratch buffer is a bulk transfer: from now on the bytes go
    // socket → pipe → socket in the kernel.
    if (got == want && splice_enabled()) half.bulk = true;
  }
}

bool TcpSession::forward(Half& half, const char* data, std::size_t size, int flags) {
  ssize_t sent = half.to.writable ? ::send(half.to.fd, data, size, MSG_NOSIGNAL | flags) : 0;
  if (sent < 0) {
    if (errno != EINTR && !would_block(errno)) {
      close(error_of(half, false, errno));
      return false;
    }
    sent = 0;
  }
  delivered(half, static_cast<std::size_t>(sent));
  if (static_cast<std::size_t>(sent) == size) return true;
  // The receiver is full: its next writability is an event.
  half.to.writable = false;
  hold(half, data + sent, size - static_cast<std::size_t>(sent));
  return false;
}

bool TcpSession::flush(Half& half) {
  const std::size_t size = half.in_pipe > 0 ? half.in_pipe : half.held_end - half.held_begin;
  const ssize_t n = half.in_pipe > 0
                        ? ::splice(half.pipe->read_end(), nullptr, half.to.fd, nullptr, size,
                                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
                        : ::send(half.to.fd, half.held.get() + half.held_begin, size, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EINTR) return true;
    if (would_block(errno))
      half.to.writable = false;
    else
      close(error_of(half, false, errno));
    return false;
  }
  const auto sent = static_cast<std::size_t>(n);
  if (half.in_pipe > 0) {
    half.in_pipe -= sent;
  } else {
    half.held_begin += sent;
    if (half.held_begin == half.held_end) {
      half.held.reset();  // an idle connection keeps no buffer
      half.held_begin = half.held_end = 0;
    }
  }
  delivered(half, sent);
  // A short write filled the receiver: its next writability is an event.
  if (sent < size) half.to.writable = false;
  return true;
}

void TcpSession::hold(Half& half, const char* data, std::size_t size) {
  half.held = std::make_unique<char[]>(size);
  std::memcpy(half.held.get(), data, size);
  half.held_begin = 0;
  half.held_end = size;
}

void TcpSession::delivered(Half& half, std::size_t n) {
  if (&half == &upstream_ && n > 0) server_heard_ = true;
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
  ::shutdown(half.to.fd, SHUT_WR);
}

const char* TcpSession::error_of(const Half& half, bool reading, int error) const {
  // Reading fails on the half's source, writing on its destination.
  const bool client = (&half == &upstream_) == reading;
  const bool reset = error == ECONNRESET;
  return client ? (reset ? "client_reset" : "client_error")
                : (reset ? "server_reset" : "server_error");
}

Clock::time_point TcpSession::on_sweep(Clock::time_point now) {
  constexpr auto kNever = Clock::time_point::max();
  if (end_) return kNever;
  switch (phase_) {
    case Phase::proxy_header:
      if (now < deadline_) return deadline_;
      close("proxy_timeout");
      return kNever;
    case Phase::connecting:
      if (now < deadline_) return deadline_;
      connect_failed();  // the next attempt, if any, has its own deadline
      return end_ ? kNever : deadline_;
    case Phase::relaying:
      break;
  }
  if (frontend_.config.idle_timeout.count() <= 0) return kNever;
  // Activity moves the deadline without touching any timer: it is checked here, when due.
  const auto deadline = last_activity_ + frontend_.config.idle_timeout;
  if (now < deadline) return deadline;
  close("idle_timeout");
  return kNever;
}

void TcpSession::close_server() {
  close_fd(server_socket_.fd);  // closing deregisters it from the poller
  server_socket_ = {};
}

void TcpSession::close(const char* reason) {
  if (end_) return;
  end_ = reason;
  for (Half* half : {&upstream_, &downstream_}) {
    if (half->pipe && half->in_pipe == 0) worker_.pipes().give_back(std::move(*half->pipe));
    half->pipe.reset();  // a pipe with bytes still in it is closed with them
  }
  close_fd(client_.fd);
  close_server();
  worker_.deadlines().remove(*this);
  // Events of this batch may still name the session: the poller frees it after the batch.
  if (self_) worker_.poller().retire(std::move(self_));
}

}  // namespace tether::lb
