#include "tools/pool/pool_server.h"

#include <algorithm>
#include <asio/post.hpp>
#include <charconv>
#include <future>
#include <optional>

#include "lb/probe_bind.h"
#include "tools/pool/endpoint_text.h"
#include "tools/pool/listener.h"

namespace tether::pool {

using asio::ip::tcp;

namespace {

constexpr std::uint64_t max_pattern_bytes = std::uint64_t{1} << 30;  // 1 GiB
constexpr std::string_view bytes_prefix = "/bytes/";

// A SIP-style check connects and closes; an HTTP check gets its answer; anything else waiting
// on the port is let go after this long.
const HttpConnection::Options check_options{std::chrono::milliseconds(2000), false};
const HttpConnection::Options http_options{std::chrono::milliseconds(0), true};

bool parse_byte_count(std::string_view text, std::uint64_t& n) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty() &&
         n <= max_pattern_bytes;
}

}  // namespace

// The listeners and live connections of one server on one io_context; touched only on that
// io_context's thread once the workers run.
struct PoolServer::Shard {
  explicit Shard(asio::io_context& context) : io(context) {}

  asio::io_context& io;
  std::vector<std::unique_ptr<Listener>> http;
  std::vector<std::unique_ptr<Listener>> checks;
  // Weak: a connection lives as long as its I/O; this is only how fail() finds it.
  std::vector<std::weak_ptr<HttpConnection>> connections;
  std::size_t prune_at = 64;
};

// A check port answers an HTTP request with 200 (for http health checks pointed at it) and
// otherwise just accepts, like a Front End's SIP port; it goes silent when the server hangs.
class PoolServer::CheckResponder : public HttpConnection::Handler {
 public:
  explicit CheckResponder(PoolServer& server)
      : server_(server), body_(server.name() + " check ok\n") {}

  bool silent() const override { return server_.silent(); }

  void on_request(HttpConnection& connection, const HttpConnection::Request&) override {
    auto& response = connection.response();
    response.reset(200);
    response.header("X-Tether-Server", server_.name());
    response.header("Content-Type", "text/plain");
    response.body(body_);
    response.close_connection();
    connection.send();
  }

 private:
  PoolServer& server_;
  const std::string body_;
};

std::string_view to_string(ServerState state) {
  switch (state) {
    case ServerState::up:
      return "up";
    case ServerState::failed:
      return "failed";
    case ServerState::hung:
      return "hung";
  }
  return "unknown";
}

PoolServer::PoolServer(ServerSpec spec, const ServerOptions& options, IoContextPool& io)
    : spec_(std::move(spec)),
      options_(options),
      check_responder_(std::make_unique<CheckResponder>(*this)),
      sessions_(options.max_sessions),
      greeting_(spec_.name + "\n"),
      session_not_held_("session not held by " + spec_.name + "\n") {
  if (options_.tls.enabled()) tls_ = make_server_context(options_.tls, tls_error_);
  for (std::size_t i = 0; i < io.size(); ++i) {
    auto shard = std::make_unique<Shard>(io.at(i));
    auto& s = *shard;
    for (std::size_t j = 0; j < spec_.http.size(); ++j) {
      s.http.push_back(std::make_unique<Listener>(s.io, [this, &s](tcp::socket socket) {
        accept(s, std::move(socket), *this, http_options, tls_.get());
      }));
    }
    for (std::size_t j = 0; j < spec_.checks.size(); ++j) {
      s.checks.push_back(std::make_unique<Listener>(s.io, [this, &s](tcp::socket socket) {
        accept(s, std::move(socket), *check_responder_, check_options, nullptr);
      }));
    }
    shards_.push_back(std::move(shard));
  }
}

PoolServer::~PoolServer() = default;

std::error_code PoolServer::probe_ports(bool resolve_ports, tcp::endpoint& failed) {
  auto probe = [&](tcp::endpoint& endpoint) -> std::error_code {
    auto probed = endpoint;
    if (auto ec = lb::probe_bind(probed)) {
      failed = endpoint;
      return ec;
    }
    if (resolve_ports) endpoint = probed;
    return {};
  };
  for (auto* endpoints : {&spec_.http, &spec_.checks}) {
    for (auto& endpoint : *endpoints) {
      if (auto ec = probe(endpoint)) return ec;
    }
  }
  return {};
}

std::error_code PoolServer::open_listeners(Shard& shard, bool resolve_ports,
                                           tcp::endpoint& failed) {
  // With one io_context per thread, every thread has its own acceptor on the same port and the
  // kernel spreads connections over them.
  auto open = [&](Listener& listener, tcp::endpoint& endpoint) -> std::error_code {
    if (listener.is_open()) return {};
    if (auto ec = listener.open(endpoint, reuse_port())) {
      failed = endpoint;
      return ec;
    }
    if (resolve_ports) endpoint = listener.local_endpoint();
    return {};
  };
  for (std::size_t i = 0; i < shard.http.size(); ++i) {
    if (auto ec = open(*shard.http[i], spec_.http[i])) return ec;
  }
  for (std::size_t i = 0; i < shard.checks.size(); ++i) {
    if (auto ec = open(*shard.checks[i], spec_.checks[i])) return ec;
  }
  return {};
}

bool PoolServer::listen(std::string& error) {
  if (!tls_error_.empty()) {
    error = spec_.name + ": " + tls_error_;
    return false;
  }
  tcp::endpoint failed;
  // Shared ports are probed first, which also turns port 0 into the port they share; a single
  // shard binds exclusively and resolves port 0 itself.
  auto ec = reuse_port() ? probe_ports(true, failed) : std::error_code();
  for (std::size_t i = 0; !ec && i < shards_.size(); ++i)
    ec = open_listeners(*shards_[i], i == 0, failed);
  if (ec) {
    error = spec_.name + ": cannot listen on " + to_string(failed) + ": " + ec.message();
    return false;
  }
  return true;
}

void PoolServer::accept(Shard& shard, tcp::socket socket, HttpConnection::Handler& handler,
                        const HttpConnection::Options& options, asio::ssl::context* tls) {
  if (state() == ServerState::failed) return;  // a fail is on its way to this shard; refuse
  auto connection = std::make_shared<HttpConnection>(std::move(socket), handler, options, tls);
  if (shard.connections.size() >= shard.prune_at) {
    std::erase_if(shard.connections, [](const auto& weak) { return weak.expired(); });
    shard.prune_at = std::max<std::size_t>(64, 2 * shard.connections.size());
  }
  shard.connections.push_back(connection);
  connection->start();
}

std::error_code PoolServer::apply(Shard& shard, ServerState state) {
  if (state == ServerState::failed) {
    for (auto* listeners : {&shard.http, &shard.checks}) {
      for (auto& listener : *listeners)
        listener->close();
    }
    for (auto& weak : shard.connections) {
      if (auto connection = weak.lock()) connection->close();
    }
    shard.connections.clear();
    return {};
  }
  tcp::endpoint failed;
  const auto ec = open_listeners(shard, false, failed);
  if (state == ServerState::up) {
    // Connections that swallowed a request while hung are cut, as a restarted process would.
    for (auto& weak : shard.connections) {
      auto connection = weak.lock();
      if (connection && connection->parked()) connection->close();
    }
  }
  return ec;
}

void PoolServer::apply_everywhere(ServerState state, Applied done) {
  struct Pending {
    std::mutex mutex;
    std::size_t remaining = 0;
    std::error_code first_error;
    Applied done;
  };
  auto pending = std::make_shared<Pending>();
  pending->remaining = shards_.size();
  pending->done = std::move(done);
  for (auto& shard : shards_) {
    asio::post(shard->io, [this, &s = *shard, state, pending] {
      const auto ec = apply(s, state);
      Applied done;
      std::error_code first_error;
      {
        std::lock_guard pending_lock(pending->mutex);
        if (ec && !pending->first_error) pending->first_error = ec;
        if (--pending->remaining == 0) {
          done = std::move(pending->done);
          first_error = pending->first_error;
        }
      }
      if (done) done(first_error);
    });
  }
}

void PoolServer::set_state(ServerState state, Applied applied) {
  {
    std::lock_guard lock(changes_mutex_);
    changes_.push_back(Change{state, std::move(applied)});
    if (changes_.size() > 1) return;  // the change under way starts it when it finishes
  }
  run_change(state);
}

// One change at a time: every earlier change has reached every shard, so shards see changes in
// the order asked, and after a fail no shard of ours still holds a port the probe binds.
void PoolServer::run_change(ServerState state) {
  const bool reopen = state != ServerState::failed && ports_released_;
  if (reopen && reuse_port()) {
    tcp::endpoint failed;
    if (auto ec = probe_ports(false, failed)) return finish_change(ec);  // still failed
  }
  state_.store(state, std::memory_order_release);
  apply_everywhere(state, [this, state, reopen](std::error_code ec) {
    if (state == ServerState::failed) ports_released_ = true;
    if (!ec || !reopen) {
      if (reopen) ports_released_ = false;
      return finish_change(ec);
    }
    // All or none, as at start: the ports some shards opened are closed again.
    state_.store(ServerState::failed, std::memory_order_release);
    apply_everywhere(ServerState::failed, [this, ec](std::error_code) { finish_change(ec); });
  });
}

void PoolServer::finish_change(std::error_code ec) {
  Applied applied;
  std::optional<ServerState> next;
  {
    std::lock_guard lock(changes_mutex_);
    applied = std::move(changes_.front().applied);
    changes_.pop_front();
    if (!changes_.empty()) next = changes_.front().state;
  }
  if (applied) applied(ec);
  if (next) run_change(*next);
}

std::error_code PoolServer::set_state_and_wait(ServerState state) {
  auto promise = std::make_shared<std::promise<std::error_code>>();
  auto result = promise->get_future();
  set_state(state, [promise](std::error_code ec) { promise->set_value(ec); });
  return result.get();
}

void PoolServer::on_tls_handshake(bool resumed) {
  handshakes_.fetch_add(1, std::memory_order_relaxed);
  if (resumed) resumed_.fetch_add(1, std::memory_order_relaxed);
}

void PoolServer::on_request(HttpConnection& connection, const HttpConnection::Request& request) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  auto& response = connection.response();
  auto server_response = [&](int status) {
    response.reset(status);
    response.header("X-Tether-Server", spec_.name);
  };

  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  std::uint64_t pattern_bytes = 0;
  const bool wants_bytes = path.starts_with(bytes_prefix);
  if (wants_bytes && !parse_byte_count(path.substr(bytes_prefix.size()), pattern_bytes)) {
    server_response(400);
    response.header("Content-Type", "text/plain");
    response.body("expected /bytes/N with N at most 1073741824\n");
    connection.send();
    return;
  }

  // The session the client presents: X-Session, else IIS's cookie when we set one. An empty
  // header counts as none.
  std::string_view presented;
  if (request.has_session && !request.session.empty()) {
    presented = request.session;
  } else if (options_.set_cookie && request.has_session_cookie) {
    presented = request.session_cookie;
  }
  if (!presented.empty() && !sessions_.holds(presented)) {
    server_response(440);
    response.header("Content-Type", "text/plain");
    response.body(session_not_held_);
    connection.send();
    return;
  }

  server_response(200);
  if (!presented.empty()) {
    response.header("X-Session", presented);
  } else {
    const auto id = sessions_.create();
    response.header("X-Session", to_string_view(id));
    if (options_.set_cookie) {
      std::string cookie = "ASP.NET_SessionId=";
      cookie.append(to_string_view(id)).append("; path=/");
      response.header("Set-Cookie", cookie);
    }
  }
  if (wants_bytes) {
    response.header("Content-Type", "application/octet-stream");
    response.pattern_body(pattern_bytes);
  } else {
    response.header("Content-Type", "text/plain");
    response.body(greeting_);
  }
  connection.send();
}

}  // namespace tether::pool
