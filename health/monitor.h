// All active health checks of a daemon: one Checker per checked (pool, server), all on the
// control thread's io_context. A reload builds a new Monitor over the new pools, carrying each
// remaining server's state over from the old one.
#pragma once

#include <asio/io_context.hpp>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "health/checker.h"
#include "lb/pool.h"

namespace tether::health {

class Monitor {
 public:
  // `previous`: the monitor of the configuration being replaced, whose last results carry over to
  // the checkers of the servers that remain (by pool and server name).
  Monitor(asio::io_context& control, std::span<const std::unique_ptr<lb::Pool>> pools,
          const Monitor* previous = nullptr);
  ~Monitor();

  void start();
  void stop();

  // A real connection to `server` failed (health `observe`). Control thread only.
  void observe_connect_failure(const std::string& pool, const lb::Server& server);

  // The checker of a server, or null when its pool is not checked. Control thread only.
  const Checker* checker(const lb::Pool& pool, const lb::Server& server) const;
  std::size_t size() const;

 private:
  struct PoolChecks {
    const lb::Pool* pool;
    std::vector<std::unique_ptr<Checker>> checkers;  // in the pool's server order
  };
  Checker* find(const std::string& pool, const lb::Server& server) const;

  std::vector<PoolChecks> pools_;
};

}  // namespace tether::health
