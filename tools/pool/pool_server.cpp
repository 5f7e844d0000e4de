#include "tools/pool/pool_server.h"

#include <algorithm>
#include <asio/post.hpp>
#include <charconv>
#include <future>

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
  std::unique_ptr<Listener> check;
  // Weak: a connection lives as long as its I/O; this is only how fail() finds it.
  std::vector<std::weak_ptr<HttpConnection>> connections;
  std::size_t prune_at = 64;
};

// The check port answers an HTTP request with 200 (for http health checks pointed at it) and
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
    s.check = std::make_unique<Listener>(s.io, [this, &s](tcp::socket socket) {
      accept(s, std::move(socket), *check_responder_, check_options, nullptr);
    });
    shards_.push_back(std::move(shard));
  }
}

PoolServer::~PoolServer() = default;

std::error_code PoolServer::open_listeners(Shard& shard, bool resolve_ports,
                                           tcp::endpoint& failed) {
  // With one io_context per thread, every thread has its own acceptor on the same port and the
  // kernel spreads connections over them.
  const bool reuse_port = shards_.size() > 1;
  auto open = [&](Listener& listener, tcp::endpoint& endpoint) -> std::error_code {
    if (listener.is_open()) return {};
    if (auto ec = listener.open(endpoint, reuse_port)) {
      failed = endpoint;
      return ec;
    }
    if (resolve_ports) endpoint = listener.local_endpoint();
    return {};
  };
  for (std::size_t i = 0; i < shard.http.size(); ++i) {
    if (auto ec = open(*shard.http[i], spec_.http[i])) return ec;
  }
  return open(*shard.check, spec_.check);
}

bool PoolServer::listen(std::string& error) {
  if (!tls_error_.empty()) {
    error = spec_.name + ": " + tls_error_;
    return false;
  }
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    tcp::endpoint failed;
    // The first shard turns port 0 into a concrete port that the others then share.
    if (auto ec = open_listeners(*shards_[i], i == 0, failed)) {
      error = spec_.name + ": cannot listen on " + to_string(failed) + ": " + ec.message();
      return false;
    }
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
    for (auto& listener : shard.http)
      listener->close();
    shard.check->close();
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

void PoolServer::set_state(ServerState state, Applied applied) {
  struct Pending {
    std::mutex mutex;
    std::size_t remaining = 0;
    std::error_code first_error;
    Applied applied;
  };
  auto pending = std::make_shared<Pending>();
  pending->remaining = shards_.size();
  pending->applied = std::move(applied);
  // Two concurrent changes reach every shard in the same order.
  std::lock_guard lock(state_change_mutex_);
  state_.store(state, std::memory_order_release);
  for (auto& shard : shards_) {
    asio::post(shard->io, [this, &s = *shard, state, pending] {
      const auto ec = apply(s, state);
      Applied done;
      std::error_code first_error;
      {
        std::lock_guard pending_lock(pending->mutex);
        if (ec && !pending->first_error) pending->first_error = ec;
        if (--pending->remaining == 0) {
          done = std::move(pending->applied);
          first_error = pending->first_error;
        }
      }
      if (done) done(first_error);
    });
  }
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
