// A whole simulated Front End pool in one process: the servers, the control endpoint and the
// worker threads they run on. This is what tether-pool runs and what tests start in-process:
//
//   FlagPlan flags;
//   flags.servers = 3;  // fe01..fe03 on loopback, ports chosen by the OS
//   PoolOptions options;
//   options.servers = plan_from_flags(flags).servers;
//   std::string error;
//   auto pool = SimulatedPool::start(options, error);
//   pool->servers()[0]->http_endpoints()[0];  // where fe01 listens
#pragma once

#include <asio/ip/tcp.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/pool/control.h"
#include "tools/pool/io_context_pool.h"
#include "tools/pool/pool_server.h"

namespace tether::pool {

struct PoolOptions {
  std::vector<ServerSpec> servers;
  std::optional<asio::ip::tcp::endpoint> control;
  std::size_t threads = 1;
  ServerOptions server;
};

class SimulatedPool {
 public:
  // Binds every port (all or nothing) and starts the workers. On failure returns nullptr and
  // `error` names the server, the address and the OS error.
  static std::unique_ptr<SimulatedPool> start(PoolOptions options, std::string& error);

  ~SimulatedPool();

  // Stops the workers; open connections are dropped. Idempotent; not from a worker thread.
  void stop();

  const std::vector<std::unique_ptr<PoolServer>>& servers() const { return servers_; }
  PoolServer* find(std::string_view name) const;
  // Where the control endpoint listens, when one was asked for.
  std::optional<asio::ip::tcp::endpoint> control_endpoint() const;

 private:
  explicit SimulatedPool(std::size_t threads) : io_(threads) {}

  // Declared first so it is destroyed last: servers and control hold its io_contexts' objects.
  IoContextPool io_;
  std::vector<std::unique_ptr<PoolServer>> servers_;
  std::unique_ptr<Control> control_;
};

}  // namespace tether::pool
