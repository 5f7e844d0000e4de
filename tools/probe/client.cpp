#include "tools/probe/client.h"

#include <netinet/in.h>

#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/write.hpp>

namespace tether::probe {

using asio::ip::tcp;

namespace {

// Leave the port choice to connect(): with bind-before-connect the kernel would otherwise reserve
// an ephemeral port per source address for any destination, and long runs of new connections
// would run out of them (Linux IP_BIND_ADDRESS_NO_PORT, which also covers IPv6 sockets).
void defer_port_choice(tcp::socket& socket) {
#ifdef IP_BIND_ADDRESS_NO_PORT
  const int on = 1;
  setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
#else
  (void)socket;
#endif
}

}  // namespace

ClientSession::ClientSession(asio::io_context& io, const ClientSettings& settings,
                             ClientState& state, std::size_t end, MayContinue may_continue,
                             Record record, Done done)
    : io_(io),
      settings_(settings),
      state_(state),
      end_(end),
      may_continue_(std::move(may_continue)),
      record_(std::move(record)),
      done_(std::move(done)),
      wire_(io),
      timer_(io),
      parser_(settings.server_header) {
  if (settings.check_body_length) parser_.check_body(*settings.check_body_length);
}

void ClientSession::start() {
  asio::post(io_, [self = shared_from_this()] { self->next(); });
}

void ClientSession::next() {
  if (state_.next_request >= end_ || !may_continue_()) {
    close();
    asio::post(io_, std::move(done_));
    return;
  }
  const bool roamed = state_.roam_source && state_.next_request >= settings_.split;
  const auto& source = roamed ? *state_.roam_source : state_.source;
  if (bound_source_ && *bound_source_ != source) close();  // roaming: a new address, a new socket

  request_ = settings_.request_head;
  if (!state_.session.empty()) request_ += "X-Session: " + state_.session + "\r\n";
  if (!state_.cookie.empty()) {
    request_ += "Cookie: " + settings_.cookie_name + "=" + state_.cookie + "\r\n";
  }
  request_ += "\r\n";

  parser_.reset();
  started_ = std::chrono::steady_clock::now();
  in_flight_ = true;
  handshake_ms_ = -1;
  timed_out_ = false;
  retried_ = false;
  const auto generation = ++generation_;
  timer_.expires_after(settings_.timeout);
  timer_.async_wait([self = shared_from_this(), generation](std::error_code ec) {
    if (ec || generation != self->generation_ || !self->in_flight_) return;
    self->timed_out_ = true;
    self->wire_.close();  // the pending operation ends with operation_aborted
  });

  reused_ = wire_.socket().is_open();
  if (reused_) {
    write();
  } else {
    connect();
  }
}

void ClientSession::connect() {
  const bool roamed = state_.roam_source && state_.next_request >= settings_.split;
  const auto source = roamed ? *state_.roam_source : state_.source;
  auto& socket = wire_.socket();
  std::error_code ec;
  socket.open(settings_.target.protocol(), ec);
  if (!ec) {
    defer_port_choice(socket);
    socket.bind(tcp::endpoint(source, 0), ec);
  }
  if (ec) {
    // Posted, not called: a run of failures must not recurse through next().
    asio::post(io_, [self = shared_from_this()] { self->failed(Outcome::connect_failed); });
    return;
  }
  bound_source_ = source;
  socket.async_connect(settings_.target, [self = shared_from_this()](std::error_code ec) {
    if (ec) return self->failed(self->timed_out_ ? Outcome::timed_out : Outcome::connect_failed);
    std::error_code ignored;
    self->wire_.socket().set_option(tcp::no_delay(true), ignored);
    if (self->settings_.tls) return self->handshake();
    self->write();
  });
}

void ClientSession::handshake() {
  auto& tls = wire_.start_tls(*settings_.tls);
  prepare_connection(tls.native_handle(), settings_.tls_options);
  const auto begun = std::chrono::steady_clock::now();
  tls.async_handshake(asio::ssl::stream_base::client, [self = shared_from_this(),
                                                       begun](std::error_code ec) {
    if (self->timed_out_) return self->failed(Outcome::timed_out);
    if (ec) {
      auto* sink = self->settings_.first_tls_error;
      if (sink && sink->empty()) {
        *sink = describe_handshake_error(ec, self->wire_.tls()->native_handle());
      }
      return self->failed(Outcome::tls_failed);
    }
    self->handshake_ms_ =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begun).count();
    self->write();
  });
}

void ClientSession::write() {
  asio::async_write(wire_, asio::buffer(request_),
                    [self = shared_from_this()](std::error_code ec, std::size_t) {
                      if (!ec) return self->read();
                      if (self->timed_out_) return self->failed(Outcome::timed_out);
                      if (self->retry_on_new_connection()) return;
                      self->failed(Outcome::closed);
                    });
}

void ClientSession::read() {
  wire_.async_read_some(
      asio::buffer(buffer_),
      [self = shared_from_this()](std::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void ClientSession::on_read(std::error_code ec, std::size_t n) {
  if (ec) {
    if (timed_out_) return failed(Outcome::timed_out);
    // Under TLS a peer that closes without close_notify truncates the stream; a response
    // delimited by the close is as complete as with a plain FIN.
    const bool ended = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
    if (ended && parser_.finish_on_close() == ResponseParser::Status::complete) {
      return answered();
    }
    if (!parser_.started() && retry_on_new_connection()) return;
    return failed(Outcome::closed);
  }
  std::size_t used = 0;
  switch (parser_.feed(std::string_view(buffer_.data(), n), used)) {
    case ResponseParser::Status::complete:
      return answered();
    case ResponseParser::Status::malformed:
      return failed(Outcome::malformed);
    case ResponseParser::Status::need_more:
      return read();
  }
}

bool ClientSession::retry_on_new_connection() {
  if (!reused_ || retried_) return false;
  retried_ = true;
  reused_ = false;
  close();
  parser_.reset();
  connect();
  return true;
}

void ClientSession::answered() {
  const auto& response = parser_.response();
  Observation o;
  o.outcome = Outcome::answered;
  o.status = response.status;
  o.server = response.server;
  if (settings_.check_body_length && response.status == 200)
    o.body = parser_.body_intact() ? Observation::Body::intact : Observation::Body::corrupt;
  if (state_.session.empty() && !response.session.empty()) state_.session = response.session;
  if (!settings_.cookie_name.empty()) {
    for (const auto& set_cookie : response.cookies)
      set_cookie_value(set_cookie, settings_.cookie_name, state_.cookie);
  }
  if (!response.keep_alive || settings_.new_connections) close();
  finish_request(o);
}

void ClientSession::failed(Outcome outcome) {
  close();
  Observation o;
  o.outcome = outcome;
  finish_request(o);
}

void ClientSession::finish_request(const Observation& partial) {
  in_flight_ = false;
  timer_.cancel();
  Observation o = partial;
  o.client = state_.index;
  o.request = state_.next_request;
  o.handshake_ms = handshake_ms_;
  o.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
          .count();
  o.roamed_source = state_.roam_source && state_.next_request >= settings_.split;
  o.after_split = state_.next_request >= settings_.split;
  record_(o);
  ++state_.next_request;
  next();
}

void ClientSession::close() {
  wire_.close();
  bound_source_.reset();
}

}  // namespace tether::probe
