// One simulated Front End: its HTTP listeners (one per address any pool gives it: a Lync pool maps
// 80, 443, 4443 and 8080 to the same machine), its "SIP" check ports (one per port its pools'
// health checks probe), its state and its one session store. Its listeners and connections are
// spread over every io_context of the pool.
#pragma once

#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tools/pool/http_connection.h"
#include "tools/pool/io_context_pool.h"
#include "tools/pool/session_store.h"
#include "tools/pool/tls_context.h"

namespace tether::pool {

// up: answers. failed: its ports refuse connections (the machine is gone). hung: accepts and
// never answers (a wedged process), on its HTTP ports and its check ports alike.
enum class ServerState { up, failed, hung };

std::string_view to_string(ServerState);

// Where a simulated server listens. Port 0 means "any free port"; PoolServer reports the port
// it got.
struct ServerSpec {
  std::string name;
  std::vector<asio::ip::tcp::endpoint> http;
  std::vector<asio::ip::tcp::endpoint> checks;
};

struct ServerOptions {
  // Also set (and accept) IIS's own ASP.NET_SessionId cookie next to X-Session.
  bool set_cookie = false;
  std::size_t max_sessions = SessionStore::default_capacity;
  // When set, the HTTP ports speak HTTPS (the check port stays plain TCP).
  TlsIdentity tls;
};

class PoolServer : public HttpConnection::Handler {
 public:
  PoolServer(ServerSpec spec, const ServerOptions& options, IoContextPool& io);
  ~PoolServer() override;

  PoolServer(const PoolServer&) = delete;
  PoolServer& operator=(const PoolServer&) = delete;

  // Binds every listener on every io_context before the workers run. On failure returns false
  // and says which address and why in `error`.
  bool listen(std::string& error);

  const std::string& name() const { return spec_.name; }
  // The bound endpoints (no port 0 once listen() succeeded).
  const std::vector<asio::ip::tcp::endpoint>& http_endpoints() const { return spec_.http; }
  const std::vector<asio::ip::tcp::endpoint>& check_endpoints() const { return spec_.checks; }

  ServerState state() const { return state_.load(std::memory_order_acquire); }

  // Moves to `state` on every io_context; `applied` runs once all have, with the first error,
  // on a worker or, when the change is refused at once, on the calling thread. Changes apply
  // one after another in the order asked. Leaving `failed` binds the ports again, all or none:
  // when one cannot be bound (another process took it meanwhile) the server stays failed and
  // `applied` gets why. Callable from any thread.
  using Applied = std::function<void(std::error_code)>;
  void set_state(ServerState state, Applied applied);
  // The same, blocking; never from one of the pool's own worker threads.
  std::error_code set_state_and_wait(ServerState state);

  std::uint64_t requests_served() const { return requests_.load(std::memory_order_relaxed); }
  std::size_t sessions_held() const { return sessions_.size(); }
  bool tls() const { return tls_ != nullptr; }
  // TLS handshakes completed on the HTTP ports, and how many of them resumed a session.
  std::uint64_t tls_handshakes() const { return handshakes_.load(std::memory_order_relaxed); }
  std::uint64_t tls_resumed() const { return resumed_.load(std::memory_order_relaxed); }
  void clear_sessions() { sessions_.clear(); }

  // HttpConnection::Handler for the HTTP ports.
  bool silent() const override { return state() == ServerState::hung; }
  std::string_view server_name() const override { return spec_.name; }
  void on_request(HttpConnection& connection, const HttpConnection::Request& request) override;
  void on_tls_handshake(bool resumed) override;

 private:
  struct Shard;
  class CheckResponder;
  struct Change {
    ServerState state;
    Applied applied;
  };

  // One acceptor per io_context on each port, sharing it through SO_REUSEPORT.
  bool reuse_port() const { return shards_.size() > 1; }
  void accept(Shard& shard, asio::ip::tcp::socket socket, HttpConnection::Handler& handler,
              const HttpConnection::Options& options, asio::ssl::context* tls);
  // Binds each port once without SO_REUSEPORT (lb/probe_bind.h), so that a port another process
  // holds is an error instead of a port shared with it. With `resolve_ports`, port 0 becomes
  // the port the OS chose.
  std::error_code probe_ports(bool resolve_ports, asio::ip::tcp::endpoint& failed);
  std::error_code open_listeners(Shard& shard, bool resolve_ports, asio::ip::tcp::endpoint& failed);
  std::error_code apply(Shard& shard, ServerState state);
  void apply_everywhere(ServerState state, Applied done);
  void run_change(ServerState state);
  void finish_change(std::error_code ec);

  ServerSpec spec_;
  ServerOptions options_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::string tls_error_;  // why tls_ could not be made; listen() reports it
  std::unique_ptr<CheckResponder> check_responder_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<ServerState> state_{ServerState::up};
  std::mutex changes_mutex_;
  std::deque<Change> changes_;  // the first is under way; the others wait for it to finish
  // A fail closed every listener on every io_context. Touched only by the change under way.
  bool ports_released_ = false;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> handshakes_{0};
  std::atomic<std::uint64_t> resumed_{0};
  SessionStore sessions_;
  const std::string greeting_;
  const std::string session_not_held_;
};

}  // namespace tether::pool
