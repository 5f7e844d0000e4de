#include "lb/http_session.h"

#include <sys/socket.h>
#include <time.h>

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/read.hpp>
#include <asio/ssl/error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "lb/access_log.h"
#include "lb/client_address.h"
#include "lb/frontend.h"
#include "lb/http/chunked_framer.h"
#include "lb/http/cookie_header.h"
#include "lb/http/forward_head.h"
#include "lb/http/head.h"
#include "lb/http/tokens.h"
#include "lb/proxy_protocol.h"
#include "lb/worker.h"

namespace tether::lb {

using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// Once a request head has begun it must be complete within the idle timeout, and never more than
// this (slowloris); HAProxy's advice for `timeout http-request` is of the same order.
constexpr auto kMaxRequestHeadTime = std::chrono::seconds(30);
constexpr auto kProxyHeaderTimeout = std::chrono::seconds(10);
// A TLS client has this long (or idle_timeout, if shorter) to finish its handshake: a silent or
// stalled one must not hold a connection and its TLS state longer.
constexpr auto kTlsHandshakeTimeout = std::chrono::seconds(10);
// close_notify is only written, never waited for (the client may not answer): bounded anyway, in
// case the client reads nothing any more.
constexpr auto kTlsShutdownTimeout = std::chrono::seconds(1);
// After an error response, what the client still sends is read and dropped for this long (or up
// to kLingerBytes) before the close: a close with unread bytes is a reset, which can destroy the
// response before the client has read it (RFC 9112 §9.6). NGINX's lingering close, bounded.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;
constexpr std::size_t kMaxBuffer = http::kMaxHeadSize + 16 * 1024;
constexpr std::size_t kReadSize = 16 * 1024;

using http::iequals;

// Reads and drops what the socket holds now, up to a request head's worth.
void discard_readable(int fd) {
  char sink[4096];
  for (std::size_t total = 0; total < http::kMaxHeadSize;) {
    const ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
    if (n <= 0) return;
    total += static_cast<std::size_t>(n);
  }
}

const char* reason_phrase(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "Error";
}

// steady_clock's clock (CLOCK_MONOTONIC) as of the last tick.
std::chrono::steady_clock::time_point coarse_now() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return std::chrono::steady_clock::time_point(std::chrono::seconds(now.tv_sec) +
                                               std::chrono::nanoseconds(now.tv_nsec));
}

// How far coarse_now() may lag the exact clock: two ticks (one was seen exceeded on a busy VM,
// docs/data-path.md). Added to every deadline taken from it, so a timeout never ends early.
std::chrono::steady_clock::duration coarse_lag() {
  static const auto lag = [] {
    timespec tick{};
    if (::clock_getres(CLOCK_MONOTONIC_COARSE, &tick) != 0) tick.tv_nsec = 10'000'000;
    return 2 * std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::seconds(tick.tv_sec) + std::chrono::nanoseconds(tick.tv_nsec));
  }();
  return lag;
}

}  // namespace

// One request and its response. Owned by run(); every coroutine of the exchange sees it.
struct HttpSession::Exchange {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::string method, target;  // copies: the head's views die when the buffer moves on
  http::Version version = http::Version::http11;
  http::BodyKind request_body = http::BodyKind::none;
  std::uint64_t request_length = 0;
  bool request_keep_alive = true;
  bool upgrade = false;

  asio::ip::address client;  // the address affinity and logs use
  AffinityKey key;
  std::uint64_t key_hash = 0;
  bool cookie_present = false;
  std::optional<std::uint32_t> cookie_server;  // the server a valid cookie names
  std::string server_head;                     // the request head as the server gets it

  Route route;
  std::vector<std::uint32_t> tried;
  std::shared_ptr<ServerConnection> server;

  bool request_body_done = false;
  bool bad_request_body = false;  // the client's chunked framing broke mid-body
  bool interim_sent = false;      // a 1xx went to the client: a final response may still follow
  bool response_started = false;  // bytes of the final response went to the client
  bool close_client = false;
  bool server_reusable = false;
  bool retry_fresh = false;  // a pooled connection turned out closed: try once on a new one
  unsigned status = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;
};

HttpSession::HttpSession(Worker& worker, Frontend& frontend, asio::ip::tcp::socket client)
    : worker_(worker),
      frontend_(frontend),
      client_(std::move(client)),
      started_(std::chrono::steady_clock::now()) {
  worker_.track(this);
  frontend_.accepted.fetch_add(1, std::memory_order_relaxed);
  frontend_.active.fetch_add(1, std::memory_order_relaxed);
}

HttpSession::~HttpSession() {
  worker_.deadlines().remove(*this);
  worker_.untrack(this);
  frontend_.active.fetch_sub(1, std::memory_order_relaxed);
  // A connection that ended badly before any request (PROXY refused or late, idle, reset) still
  // leaves a trace, as in tcp mode; one that simply closed does not.
  if (!logged_ && end_ && std::string_view(end_) != "closed")
    worker_.access_log().write(ConnectionRecord{
        .client = peer_,
        .frontend = frontend_.name(),
        .server = {},
        .bytes_in = 0,
        .bytes_out = 0,
        .duration = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started_),
        .end = end_,
        .affinity = "none",
    });
}

void HttpSession::start(const asio::ip::tcp::endpoint& peer) {
  // TCP_NODELAY came with accept4() from the listening socket.
  std::error_code ec;
  local_ = client_.socket().local_endpoint(ec);
  if (ec) return close("client_gone");
  peer_ = {canonical(peer.address()), peer.port()};
  worker_.deadlines().add(*this);
  asio::co_spawn(worker_.context(), run(shared_from_this()), asio::detached);
}

void HttpSession::close(const char* reason) {
  if (end_) return;
  end_ = reason;
  client_.close();
  if (private_connection_) private_connection_->stream.close();
  if (active_server_) active_server_->stream.close();
  worker_.deadlines().remove(*this);
}

void HttpSession::wind_down() {
  // In the idle phase no byte of a request has arrived: nothing is lost; lingering after an error
  // has nothing left to give. A request under way is answered first, with Connection: close
  // (relay_response).
  if (phase_ == Phase::idle) close("shutdown");
  if (phase_ == Phase::linger) close(linger_reason_);
}

// ---- timeouts ---------------------------------------------------------------------------------

void HttpSession::set_phase(Phase phase, std::chrono::steady_clock::duration timeout) {
  phase_ = phase;
  timed_out_ = false;
  const auto previous = deadline_;
  // idle_timeout 0 means off; other phases always have a limit. Several phases a request: the
  // tick-resolution clock (a deadline up to two ticks late, never early) spares a full clock read
  // each.
  deadline_ = timeout.count() > 0 ? coarse_now() + coarse_lag() + timeout
                                  : std::chrono::steady_clock::time_point::max();
  // A later deadline needs nothing: the sweep asks for it when the earlier one comes.
  if (deadline_ < previous && !end_) worker_.deadlines().due(deadline_);
}

Clock::time_point HttpSession::on_sweep(Clock::time_point now) {
  if (now >= deadline_) {
    deadline_ = std::chrono::steady_clock::time_point::max();
    on_deadline();
  }
  return deadline_;
}

void HttpSession::on_deadline() {
  timed_out_ = true;
  switch (phase_) {
    case Phase::request_head:
      client_.cancel();  // the reader answers 408
      break;
    case Phase::connect:
    case Phase::server_wait:
      if (active_server_) active_server_->stream.close();  // → retry, or 504
      break;
    case Phase::tls_handshake:
      close("tls_handshake_timeout");
      break;
    case Phase::tls_shutdown:
      close("closed");
      break;
    case Phase::linger:
      close(linger_reason_);
      break;
    case Phase::proxy_header:
    case Phase::idle:
    case Phase::streaming:
      close("idle_timeout");
      break;
  }
}

// ---- the request loop -------------------------------------------------------------------------

asio::awaitable<void> HttpSession::run(std::shared_ptr<HttpSession> /*self*/) {
  // As HAProxy does, the PROXY header comes in the clear before TLS.
  const bool ready = (!frontend_.config.accept_proxy || co_await read_proxy_header()) &&
                     (!frontend_.tls || co_await tls_handshake());
  while (ready && !end_) {
    if (!co_await read_request_head()) break;
    Exchange x;
    {
      // Everything that reads the head's views happens here, before the buffer moves on.
      const auto& affinity = frontend_.config.affinity;
      x.method = request_.method;
      x.target = request_.target.substr(0, 256);
      x.version = request_.version;
      x.request_body = request_.body;
      x.request_length = request_.content_length;
      x.request_keep_alive = request_.keep_alive;
      // An Upgrade with a body goes on as a plain request, without its Upgrade: the protocol
      // would switch after the body, and h2c's upgrade (curl --http2 -d) is optional for servers.
      x.upgrade = request_.upgrade && request_.body == http::BodyKind::none;
      x.client = peer_.address();
      if (affinity.client_address == config::ClientAddress::x_forwarded_for) {
        std::string joined;
        for (const auto& h : request_.headers)
          if (iequals(h.name, "x-forwarded-for"))
            joined += (joined.empty() ? "" : ",") + std::string(h.value);
        x.client = client_from_forwarded_for(peer_.address(), joined, affinity.trusted_proxies);
      }
      const std::uint64_t seed = frontend_.pool.config().hash_seed;
      if (affinity.type == config::AffinityType::none) {
        x.key = source_key(x.client, 32, 128);
        x.key_hash = key_hash(x.key, seed ^ (peer_.port() * 0x9E3779B97F4A7C15ull) ^ requests_);
      } else {
        x.key = source_key(x.client, affinity.ipv4_mask, affinity.ipv6_mask);
        x.key_hash = key_hash(x.key, seed);
      }
      if (frontend_.cookies) {
        if (const auto value = http::find_cookie(request_.headers, affinity.cookie.name)) {
          x.cookie_present = true;
          x.cookie_server = frontend_.cookies->server(*value);
        }
      }
      x.server_head = http::request_head_for_server(
          request_, {.upgrade = x.upgrade,
                     // Our affinity cookie is ours: the server never sees it (SPEC §4).
                     .drop_cookie = frontend_.cookies ? std::string_view(affinity.cookie.name)
                                                      : std::string_view(),
                     .client = peer_.address()});
      in_.consume(request_.size);
    }
    ++requests_;
    const bool keep_going = co_await serve(x);
    if (x.status != 0) log_request(x, x.status);
    if (!keep_going || x.close_client) break;
  }
  // We end a TLS connection that is still sound (Connection: close): say so with close_notify.
  if (!end_ && client_.tls()) co_await tls_shutdown();
  if (!end_ && linger_reason_) co_await linger();
  close(end_ ? end_ : linger_reason_ ? linger_reason_ : "closed");
  if (private_connection_) private_connection_.reset();
}

asio::awaitable<bool> HttpSession::tls_handshake() {
  const auto idle = frontend_.config.idle_timeout;
  set_phase(Phase::tls_handshake, idle.count() > 0 ? std::min<std::chrono::steady_clock::duration>(
                                                         idle, kTlsHandshakeTimeout)
                                                   : kTlsHandshakeTimeout);
  // A peer that connects and leaves without a byte (a TCP probe) is counted, not logged. What
  // the socket holds is peeked at, not guessed from a wake-up: one with nothing to read (an
  // EAGAIN) is waited for again.
  for (;;) {
    auto [wait_ec] = co_await client_.socket().async_wait(asio::socket_base::wait_read, use_tuple);
    if (end_) {
      // Silent until the limit: the deadline closed it (as tls_handshake_timeout).
      if (timed_out_) frontend_.count_handshake(TlsHandshakeResult::timeout);
      co_return false;
    }
    char byte;
    const ssize_t n =
        wait_ec ? -1 : ::recv(client_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0 && byte >= 'A' && byte <= 'Z') {
      // A request method where a TLS record (0x16) belongs: plain HTTP sent to the TLS port
      // (an http:// URL, a misconfigured client). Say so in plain text, as NGINX does, instead
      // of a TLS alert the client cannot read. What it sent is read first, so that our close
      // is a FIN after the answer rather than a reset that could discard it.
      frontend_.count_handshake(TlsHandshakeResult::failed);
      discard_readable(client_.socket().native_handle());
      co_await respond_error(400, "plain HTTP request sent to a TLS port");
      co_return false;
    }
    if (n > 0) break;
    if (n < 0 && !wait_ec && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    frontend_.count_handshake(TlsHandshakeResult::closed);
    close("closed");
    co_return false;
  }
  auto& tls = client_.start_tls(frontend_.tls->context());
  auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server, use_tuple);
  if (!ec && !end_) {
    frontend_.count_handshake(TlsHandshakeResult::ok);
    co_return true;
  }
  if (end_ && !timed_out_) co_return false;  // stopping: not the client's doing
  const bool went_away = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
                         ec == asio::error::connection_reset;
  const auto result = timed_out_  ? TlsHandshakeResult::timeout
                      : went_away ? TlsHandshakeResult::closed
                                  : TlsHandshakeResult::failed;
  frontend_.count_handshake(result);
  spdlog::debug("frontend {}: TLS handshake with {} {}: {}", frontend_.name(),
                peer_.address().to_string(), kTlsHandshakeResults[static_cast<std::size_t>(result)],
                ec.message());
  if (result == TlsHandshakeResult::closed)
    close("tls_handshake_closed");
  else if (result == TlsHandshakeResult::failed)
    close("tls_handshake_failed");
  co_return false;  // a timeout was closed at its deadline, as tls_handshake_timeout
}

asio::awaitable<void> HttpSession::tls_shutdown() {
  set_phase(Phase::tls_shutdown, kTlsShutdownTimeout);
  // As if the client's close_notify had come: OpenSSL then writes ours and does not wait for it.
  SSL_set_shutdown(client_.tls()->native_handle(), SSL_RECEIVED_SHUTDOWN);
  co_await client_.tls()->async_shutdown(use_tuple);
}

asio::awaitable<bool> HttpSession::read_proxy_header() {
  set_phase(Phase::proxy_header, kProxyHeaderTimeout);
  const auto& trusted = frontend_.config.affinity.trusted_proxies;
  if (!trusted.empty() && !is_trusted(peer_.address(), trusted)) {
    frontend_.refused.fetch_add(1, std::memory_order_relaxed);
    close("proxy_untrusted");
    co_return false;
  }
  for (;;) {
    ProxyHeader header;
    std::string error;
    switch (parse_proxy_header(in_.readable(), header, error)) {
      case ProxyParse::complete:
        if (!header.local) peer_ = {canonical(header.source.address()), header.source.port()};
        in_.consume(header.size);
        if (frontend_.tls) in_.clear();  // only peeked at: they are still the socket's
        co_return true;
      case ProxyParse::error:
        frontend_.refused.fetch_add(1, std::memory_order_relaxed);
        close("proxy_invalid");
        co_return false;
      case ProxyParse::incomplete:
        break;
    }
    std::error_code ec;
    if (frontend_.tls) {
      ec = co_await read_proxy_bytes_exactly();
    } else {
      std::size_t n = 0;
      std::tie(ec, n) = co_await client_.async_read_some(in_.prepare(256, kMaxBuffer), use_tuple);
      if (!ec) in_.commit(n);
    }
    if (ec) {
      close(timed_out_ ? "proxy_timeout" : "client_gone");
      co_return false;
    }
  }
}

asio::awaitable<std::error_code> HttpSession::read_proxy_bytes_exactly() {
  // Peek, then take from the socket only what belongs to the header: everything peeked while the
  // header is incomplete, and up to its end once it is complete. The peeked bytes past the end
  // stay in in_ for the parse and are dropped after it.
  std::array<char, 512> taken;
  auto room = in_.prepare(taken.size(), kMaxBuffer);
  auto [ec, n] = co_await client_.socket().async_receive(
      asio::buffer(room, taken.size()), asio::socket_base::message_peek, use_tuple);
  if (ec) co_return ec;
  const std::size_t before = in_.size();
  in_.commit(n);
  ProxyHeader header;
  std::string error;
  std::size_t take = n;
  if (parse_proxy_header(in_.readable(), header, error) == ProxyParse::complete)
    take = header.size - before;
  // The bytes are in the socket's buffer already: this read does not wait.
  asio::read(client_.socket(), asio::buffer(taken, take), ec);
  co_return ec;
}

asio::awaitable<bool> HttpSession::wait_for_client() {
  in_.release();
  // Bytes TLS has already taken off the socket do not make it readable again.
  if (client_.tls() && SSL_has_pending(client_.tls()->native_handle())) co_return true;
  auto [ec] = co_await client_.socket().async_wait(asio::socket_base::wait_read, use_tuple);
  if (!ec && !end_) co_return true;
  if (!end_) close("closed");
  co_return false;
}

asio::awaitable<bool> HttpSession::read_request_head() {
  // Between requests the client may think (idle_timeout); once a head has begun it must finish.
  const auto idle = frontend_.config.idle_timeout;
  const std::chrono::steady_clock::duration head_time =
      idle.count() > 0 ? std::min<std::chrono::steady_clock::duration>(idle, kMaxRequestHeadTime)
                       : kMaxRequestHeadTime;
  if (in_.empty()) {
    if (worker_.winding_down()) {
      close("shutdown");
      co_return false;
    }
    set_phase(Phase::idle, idle);
    if (!co_await wait_for_client()) co_return false;
  } else {
    set_phase(Phase::request_head, head_time);
  }
  for (;;) {
    const std::size_t end = http::find_head_end(in_.readable(), head_scan_);
    if (end != std::string_view::npos) {
      head_scan_ = 0;
      http::ParseError error{};
      if (http::parse_request(in_.readable(), request_, error) == http::Parse::complete)
        co_return true;
      co_await respond_error(error.status, error.reason);
      co_return false;
    }
    head_scan_ = in_.size();
    if (in_.size() >= http::kMaxHeadSize) {
      co_await respond_error(431, "request head over 64 KiB");
      co_return false;
    }
    const bool was_empty = in_.empty();
    auto [ec, n] = co_await client_.async_read_some(in_.prepare(kReadSize, kMaxBuffer), use_tuple);
    if (ec || end_) {
      if (end_) co_return false;
      if (timed_out_ && phase_ == Phase::request_head) {
        co_await respond_error(408, "request head not received in time");
      } else if (!in_.empty()) {
        // A truncated head: the client gave up mid-request.
        frontend_.count_response(400);
        close("client_truncated");
      } else {
        close("closed");
      }
      co_return false;
    }
    in_.commit(n);
    if (was_empty) set_phase(Phase::request_head, head_time);
  }
}

HttpSession::Route HttpSession::route(const Exchange& x, std::span<const std::uint32_t> tried) {
  Pool& pool = frontend_.pool;
  const auto& snapshot = worker_.snapshot(pool, frontend_.pool_index);
  const auto& affinity = frontend_.config.affinity;
  if (affinity.type == config::AffinityType::cookie) {
    std::optional<BreakCause> broken;
    if (tried.empty() && x.cookie_server) {
      Server& named = *pool.server(*x.cookie_server);
      if (named.takes_pinned_clients() && named.has_capacity(pool.config().max_connections)) {
        pool.count(Decision::cookie);
        return {&named, Decision::cookie, false};
      }
      if (!named.takes_pinned_clients()) broken = Pool::unavailable_cause(named);
    } else if (tried.empty() && x.cookie_present) {
      broken = BreakCause::cookie_invalid;
    }
    // No valid cookie: place by `fallback`, and give the client a cookie for where it went.
    const bool by_source = affinity.fallback == config::Fallback::source;
    const auto balance = by_source ? config::Balance::maglev
                         : affinity.fallback == config::Fallback::least_conn
                             ? config::Balance::least_conn
                             : config::Balance::round_robin;
    // The cookie is the pin: no stick entry competes with it, so a client that lost its server is
    // re-placed by the consistent hash of its address.
    const auto p = pool.place_fallback(snapshot, x.key_hash, tried, balance);
    // A client sent nowhere (503) keeps its cookie, and its server when that comes back: no break.
    if (broken && p.server) pool.count(*broken);
    return {p.server, p.decision, p.server != nullptr};
  }
  const bool sticky = affinity.type == config::AffinityType::source;
  const auto p = pool.place(snapshot, sticky ? &x.key : nullptr, x.key_hash, tried,
                            std::chrono::steady_clock::now());
  return {p.server, p.decision, false, p.pin_kept};
}

asio::awaitable<std::shared_ptr<ServerConnection>> HttpSession::connect(Server& server,
                                                                        bool reuse) {
  const auto now = std::chrono::steady_clock::now();
  const bool shared = server.config.send_proxy == config::SendProxy::off;
  Pool& pool = frontend_.pool;
  // Traffic is re-encrypted only when written (tls.enabled); the context may also exist for
  // https checks alone.
  const std::shared_ptr<TlsClientContext> tls = pool.config().tls.enabled ? pool.tls() : nullptr;
  if (!reuse) private_connection_.reset();
  if (reuse && private_connection_ && &private_connection_->server == &server &&
      private_connection_->tls == tls) {
    auto c = std::move(private_connection_);
    c->reused = true;
    co_return c;
  }
  if (reuse && shared)
    while (auto c = worker_.connections().take(server, now)) {
      if (c->tls == tls) co_return c;
      c->stream.close();  // made under tls settings a reload has replaced
    }

  auto c = std::make_shared<ServerConnection>(worker_.context(), server);
  active_server_ = c.get();
  // The TCP connect, a PROXY header and the TLS handshake share one connect_timeout.
  set_phase(Phase::connect, pool.config().connect_timeout);
  const auto& endpoint = server.config.address.endpoint;
  std::error_code ec;
  c->stream.socket().open(endpoint.protocol(), ec);
  if (!ec) std::tie(ec) = co_await c->stream.socket().async_connect(endpoint, use_tuple);
  if (ec || end_) {
    active_server_ = nullptr;
    co_return nullptr;
  }
  server.connect_time.record(std::chrono::steady_clock::now() - now);
  c->stream.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  if (!shared) {
    // In plaintext before any TLS, as HAProxy sends it: the server reads it off the socket first.
    const std::string header = server.config.send_proxy == config::SendProxy::v1
                                   ? make_proxy_v1(peer_, local_)
                                   : make_proxy_v2(peer_, local_);
    auto [write_ec, n] = co_await asio::async_write(c->stream, asio::buffer(header), use_tuple);
    if (write_ec || end_) {
      active_server_ = nullptr;
      co_return nullptr;
    }
  }
  if (tls) {
    auto& layer = c->stream.start_tls(tls->context());
    const auto peer = tls_peer_name(tls->settings().sni, server.config.address.text);
    tls->prepare(layer, peer, server.config.address.text + " " + peer.name);
    std::tie(ec) = co_await layer.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (end_) {
      active_server_ = nullptr;
      co_return nullptr;
    }
    if (ec) {
      server.tls_failures.fetch_add(1, std::memory_order_relaxed);
      tls->warn_failure(pool.name(), server.name(),
                        timed_out_ ? "no handshake within connect_timeout"
                                   : describe_tls_failure(ec, layer.native_handle()));
      active_server_ = nullptr;
      co_return nullptr;
    }
    c->tls = tls;
  }
  active_server_ = nullptr;
  co_return c;
}

// ---- one exchange -----------------------------------------------------------------------------

asio::awaitable<bool> HttpSession::serve(Exchange& x) {
  Pool& pool = frontend_.pool;
  bool fresh_only = false;
  bool pin_kept = false;
  for (;;) {
    x.route = route(x, x.tried);
    pin_kept = pin_kept || x.route.pin_kept;
    if (!x.route.server) {
      if (x.tried.empty()) {
        frontend_.no_server.fetch_add(1, std::memory_order_relaxed);
        co_await respond_error(503, "no server available", &x);
      } else {
        frontend_.connect_failed.fetch_add(1, std::memory_order_relaxed);
        co_await respond_error(502, "no server could be reached", &x);
      }
      co_return false;
    }
    Server& server = *x.route.server;
    server.active.fetch_add(1, std::memory_order_relaxed);
    // After a parked connection turned out closed, the retry skips the pool.
    x.server = co_await connect(server, !fresh_only);
    fresh_only = false;
    if (end_) {
      server.active.fetch_sub(1, std::memory_order_relaxed);
      co_return false;
    }
    if (!x.server) {
      server.active.fetch_sub(1, std::memory_order_relaxed);
      server.connect_failures.fetch_add(1, std::memory_order_relaxed);
      pool.observe_connect_failure(server);
      x.tried.push_back(server.id);
      if (x.tried.size() > pool.config().retries) {
        frontend_.connect_failed.fetch_add(1, std::memory_order_relaxed);
        x.route = {};
        co_await respond_error(502, "no server could be reached", &x);
        co_return false;
      }
      continue;
    }

    // Connected: remember where this client went, as tcp mode does.
    if (x.route.decision != Decision::stick && !pin_kept &&
        frontend_.config.affinity.type == config::AffinityType::source)
      pool.pin(x.key, server, std::chrono::steady_clock::now());
    server.total.fetch_add(1, std::memory_order_relaxed);
    active_server_ = x.server.get();

    set_phase(Phase::streaming, frontend_.config.idle_timeout);
    auto [ec, n] =
        co_await asio::async_write(x.server->stream, asio::buffer(x.server_head), use_tuple);
    bool relayed = false;
    if (!ec) {
      x.bytes_in += n;
      if (x.request_body == http::BodyKind::none) {
        x.request_body_done = true;
        relayed = co_await relay_response(x);
      } else {
        relayed = std::get<1>(co_await (pump_request_body(x) && relay_response(x)));
      }
    } else if (x.server->reused && x.request_body == http::BodyKind::none) {
      x.retry_fresh = true;
    }
    active_server_ = nullptr;
    server.active.fetch_sub(1, std::memory_order_relaxed);
    server.bytes_in.fetch_add(x.bytes_in, std::memory_order_relaxed);
    server.bytes_out.fetch_add(x.bytes_out, std::memory_order_relaxed);

    if (x.retry_fresh && !end_) {
      // The pooled connection was already closed by the server; nothing reached the client.
      x.server->stream.close();
      x.server.reset();
      x.retry_fresh = false;
      x.bytes_in = 0;
      fresh_only = true;
      continue;
    }
    // The server's connection is reusable whatever the client does next: a client that closes
    // (Connection: close, one request per connection) still leaves it for the next client.
    if (relayed && x.server_reusable) {
      if (server.config.send_proxy == config::SendProxy::off)
        worker_.connections().park(std::move(x.server), std::chrono::steady_clock::now());
      else
        private_connection_ = std::move(x.server);
    } else if (x.server) {
      x.server->stream.close();
    }
    co_return relayed && !end_;
  }
}

asio::awaitable<bool> HttpSession::pump_request_body(Exchange& x) {
  auto& server = x.server->stream;
  std::uint64_t remaining = x.request_length;
  http::ChunkedFramer framer;
  bool done = x.request_body == http::BodyKind::length && remaining == 0;
  while (!done) {
    if (in_.empty()) {
      auto [ec, n] =
          co_await client_.async_read_some(in_.prepare(kReadSize, kMaxBuffer), use_tuple);
      if (ec && !end_ && ec != asio::error::operation_aborted) {
        // The client went away mid-body: the server will never get the rest, so its connection
        // is given up now rather than when server_timeout runs out.
        close("client_gone");
      }
      if (ec || end_) co_return false;
      in_.commit(n);
    }
    std::string_view chunk = in_.readable();
    if (x.request_body == http::BodyKind::length) {
      chunk = chunk.substr(
          0, static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size())));
      remaining -= chunk.size();
      done = remaining == 0;
    } else {
      const auto step = framer.feed(chunk);
      if (step.error) {
        // The server has a part of a body it can never finish: its connection goes, and the
        // client is answered 400 if no response has begun (relay_response sees the close).
        x.bad_request_body = true;
        x.server->stream.close();
        co_return false;
      }
      chunk = chunk.substr(0, step.consumed);
      done = step.done;
    }
    auto [ec, n] = co_await asio::async_write(server, asio::buffer(chunk), use_tuple);
    if (ec || end_) co_return false;
    x.bytes_in += n;
    in_.consume(n);
    // Progress: the server's time to answer counts from the last byte of the request.
    if (phase_ == Phase::server_wait)
      set_phase(Phase::server_wait, frontend_.pool.config().server_timeout);
    else if (phase_ == Phase::streaming)
      set_phase(Phase::streaming, frontend_.config.idle_timeout);
  }
  x.request_body_done = true;
  co_return true;
}

asio::awaitable<bool> HttpSession::relay_response(Exchange& x) {
  ServerConnection& sc = *x.server;
  http::ResponseHead& head = sc.head;
  // Room for a typical response's fields at once, not by doubling from one (4 allocations).
  head.headers.reserve(16);
  const auto fail = [&](unsigned status, const char* reason) -> asio::awaitable<bool> {
    x.close_client = true;
    // The server connection is done with; a request body still being pumped stops with it.
    sc.stream.close();
    if (x.response_started) {
      close(x.bad_request_body ? "client_bad_chunk" : "server_error");
      co_return false;
    }
    if (!x.request_body_done) client_.cancel();  // the pump's read, before our write
    co_await respond_error(status, reason, &x);
    co_return false;
  };

  for (;;) {  // until a final (non-1xx) response head
    set_phase(Phase::server_wait, frontend_.pool.config().server_timeout);
    std::size_t scan = 0;
    while (http::find_head_end(sc.in.readable(), scan) == std::string_view::npos) {
      scan = sc.in.size();
      if (sc.in.size() >= http::kMaxHeadSize)
        co_return co_await fail(502, "response head too large");
      auto [ec, n] =
          co_await sc.stream.async_read_some(sc.in.prepare(kReadSize, kMaxBuffer), use_tuple);
      if (end_) co_return false;
      if (ec) {
        if (x.bad_request_body) co_return co_await fail(400, "invalid chunked request body");
        if (timed_out_) co_return co_await fail(504, "server did not answer in time");
        if (sc.reused && sc.in.empty() && !x.interim_sent &&
            x.request_body == http::BodyKind::none) {
          x.retry_fresh = true;
          co_return false;
        }
        co_return co_await fail(502, "server closed the connection without answering");
      }
      sc.in.commit(n);
    }
    http::ParseError error{};
    if (http::parse_response(sc.in.readable(), x.method, head, error) != http::Parse::complete)
      co_return co_await fail(502, "server sent an invalid response");
    if (head.status >= 100 && head.status < 200 && head.status != 101) {
      // Interim responses (100 Continue, 103) go to the client as they are.
      const auto interim = sc.in.readable().substr(0, head.size);
      auto [ec, n] = co_await asio::async_write(client_, asio::buffer(interim), use_tuple);
      if (ec || end_) co_return false;
      x.bytes_out += n;
      x.interim_sent = true;
      sc.in.consume(head.size);
      continue;
    }
    break;
  }

  // RFC 9110 §15.2.2: a server switches only to a protocol the client asked for. What follows
  // such a 101 is not HTTP/1.1 and the connection can serve nobody else.
  if (head.status == 101 && !x.upgrade)
    co_return co_await fail(502, "server switched protocols unasked");
  if (!http::readable_by(head, x.version))
    co_return co_await fail(502, "server sent Transfer-Encoding to an HTTP/1.0 client");
  x.status = head.status;
  set_phase(Phase::streaming, frontend_.config.idle_timeout);
  if (head.status == 101) {
    // Passed on as the server wrote it (its Connection and Upgrade are the switch), with our
    // cookie added like on any response.
    std::string raw(sc.in.readable().substr(0, head.size - 2));
    append_set_cookie(x, raw);
    raw.append("\r\n");
    sc.in.consume(head.size);
    auto [ec, n] = co_await asio::async_write(client_, asio::buffer(raw), use_tuple);
    if (ec || end_) co_return false;
    x.bytes_out += n;
    frontend_.count_response(101);
    x.close_client = true;
    co_return co_await tunnel(x);
  }

  // The client connection stays open only if both the request and the response allow it, and
  // the request's body has been passed on whole (otherwise where the next request starts is
  // unknown).
  if (!x.request_keep_alive || head.body == http::BodyKind::until_close || !x.request_body_done ||
      worker_.winding_down())
    x.close_client = true;
  std::string& out = sc.client_head;
  http::begin_response_head(head, x.version, out);
  append_set_cookie(x, out);
  http::end_response_head(x.version, x.close_client, out);
  const bool server_keep_alive = head.keep_alive;
  const auto body = head.body;
  sc.in.consume(head.size);

  // The head goes out with the body bytes already read behind it, in one write: a small
  // response is one send, not two.
  std::uint64_t remaining = head.content_length;
  http::ChunkedFramer framer;
  bool done = body == http::BodyKind::none || (body == http::BodyKind::length && remaining == 0);
  bool head_sent = false;
  for (;;) {
    std::string_view chunk;
    if (!done) {
      // An empty buffer is refilled, unless the head is still to go: it goes alone rather than
      // wait for a server that streams its body slowly.
      if (sc.in.empty() && head_sent) {
        auto [ec, n] =
            co_await sc.stream.async_read_some(sc.in.prepare(kReadSize, kReadSize), use_tuple);
        if (end_) co_return false;
        if (ec == asio::error::eof && body == http::BodyKind::until_close) break;
        if (ec) {
          close(x.bad_request_body ? "client_bad_chunk" : "server_error");
          co_return false;
        }
        sc.in.commit(n);
        set_phase(Phase::streaming, frontend_.config.idle_timeout);
      }
      chunk = sc.in.readable();
      if (body == http::BodyKind::length) {
        chunk = chunk.substr(
            0, static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size())));
        remaining -= chunk.size();
        done = remaining == 0;
      } else if (body == http::BodyKind::chunked) {
        const auto step = framer.feed(chunk);
        if (step.error) {
          if (!head_sent) co_return co_await fail(502, "server sent an invalid chunked body");
          close("server_bad_chunk");
          co_return false;
        }
        chunk = chunk.substr(0, step.consumed);
        done = step.done;
      }
    }
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(out), asio::buffer(chunk)};
    auto [ec, n] = co_await asio::async_write(client_, buffers, use_tuple);
    if (ec || end_) co_return false;
    x.bytes_out += n;
    sc.in.consume(chunk.size());
    if (!head_sent) {
      head_sent = x.response_started = true;
      frontend_.count_response(head.status);
      out.clear();
    }
    if (done) break;
  }
  // A request body still flowing when the response is complete cannot be finished cleanly: the
  // pump stops, whether it waits for the client or for a server that no longer reads.
  if (!x.request_body_done) {
    x.close_client = true;
    client_.cancel();
    sc.stream.close();
    linger_reason_ = "closed";  // the rest of the upload is read and dropped, briefly
  }
  x.server_reusable = server_keep_alive && body != http::BodyKind::until_close &&
                      x.request_body_done && sc.in.empty();
  co_return true;
}

asio::awaitable<bool> HttpSession::tunnel(Exchange& x) {
  // After 101 Switching Protocols the connection is the upgraded protocol's: relay raw bytes.
  auto copy = [this](Stream& from, Stream& to, ByteBuffer& buffered,
                     std::uint64_t& bytes) -> asio::awaitable<bool> {
    for (;;) {
      if (buffered.empty()) {
        auto [ec, n] =
            co_await from.async_read_some(buffered.prepare(kReadSize, kMaxBuffer), use_tuple);
        if (ec || end_) {
          to.shutdown_send();
          co_return ec == asio::error::eof;
        }
        buffered.commit(n);
        set_phase(Phase::streaming, frontend_.config.idle_timeout);
      }
      auto [ec, n] = co_await asio::async_write(to, asio::buffer(buffered.readable()), use_tuple);
      if (ec || end_) co_return false;
      bytes += n;
      buffered.consume(n);
    }
  };
  auto& sc = *x.server;
  co_await (copy(client_, sc.stream, in_, x.bytes_in) &&
            copy(sc.stream, client_, sc.in, x.bytes_out));
  co_return false;
}

asio::awaitable<void> HttpSession::respond_error(unsigned status, const char* reason, Exchange* x) {
  const std::string body =
      std::to_string(status) + " " + reason_phrase(status) + ": " + reason + "\n";
  const std::string response =
      "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
      "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  frontend_.count_response(status);
  auto [ec, n] = co_await asio::async_write(client_, asio::buffer(response), use_tuple);
  if (x) {
    x->status = status;
    x->close_client = true;
  } else {
    Exchange unparsed;
    unparsed.method = "-";
    log_request(unparsed, status);
  }
  // The session ends after a linger (run()); a client that cannot take the answer ends it now.
  if (ec)
    close(reason_phrase(status));
  else
    linger_reason_ = reason_phrase(status);
}

asio::awaitable<void> HttpSession::linger() {
  set_phase(Phase::linger, kLingerTime);
  std::error_code ignored;
  client_.socket().shutdown(asio::socket_base::shutdown_send, ignored);  // our FIN goes now
  // Read off the socket itself (under TLS too: nothing more is decrypted) into in_, and
  // dropped; a buffer in the coroutine frame trips GCC 12's -Wmismatched-new-delete under ASan.
  for (std::size_t total = 0; total < kLingerBytes && !end_;) {
    in_.clear();
    auto [ec, n] =
        co_await client_.socket().async_read_some(in_.prepare(kReadSize, kMaxBuffer), use_tuple);
    if (ec) co_return;
    total += n;
  }
}

// ---- heads ------------------------------------------------------------------------------------

void HttpSession::append_set_cookie(const Exchange& x, std::string& out) const {
  if (!x.route.set_cookie || !x.route.server) return;
  // Microsoft's MS-WSMAN rules: a session cookie (no Expires/Max-Age), not HttpOnly unless
  // configured, on every response whose request lacked a valid one.
  const auto& cookie = frontend_.config.affinity.cookie;
  out.append("Set-Cookie: ")
      .append(cookie.name)
      .append("=")
      .append(frontend_.cookies->token(x.route.server->id))
      .append("; Path=/");
  if (cookie.httponly) out.append("; HttpOnly");
  if (cookie.secure) out.append("; Secure");
  out.append("\r\n");
}

void HttpSession::log_request(const Exchange& x, unsigned status) {
  logged_ = true;
  const auto elapsed = std::chrono::steady_clock::now() - x.started;
  frontend_.request_time.record(elapsed);
  frontend_.bytes_in.fetch_add(x.bytes_in, std::memory_order_relaxed);
  frontend_.bytes_out.fetch_add(x.bytes_out, std::memory_order_relaxed);
  worker_.access_log().write(RequestRecord{
      .client = asio::ip::tcp::endpoint(x.client.is_unspecified() ? peer_.address() : x.client,
                                        peer_.port()),
      .frontend = frontend_.name(),
      .server = x.route.server ? std::string_view(x.route.server->name()) : std::string_view(),
      .method = x.method,
      .target = x.target,
      .status = status,
      .bytes_in = x.bytes_in,
      .bytes_out = x.bytes_out,
      .duration = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed),
      .affinity = x.route.server ? to_string(x.route.decision) : "none",
      .set_cookie = x.route.set_cookie,
  });
}

}  // namespace tether::lb
