// All active health checks of a daemon: one Checker per checked (pool, server), all on the
// control thread's io_context. Also routes `observe` reports from workers to their checker.
#pragma once

#include <asio/io_context.hpp>
#include <memory>
#include <span>
#include <vector>

#include "health/checker.h"
#include "lb/pool.h"

namespace tether::health {

class Monitor {
 public:
  // Installs the connect-failure observers on pools whose health has `observe`: call before the
  // workers start.
  Monitor(asio::io_context& control, std::span<const std::unique_ptr<lb::Pool>> pools);
  ~Monitor();

  void start();
  void stop();

  // The checker of a server, or null when its pool is not checked. Control thread only.
  const Checker* checker(const lb::Pool& pool, const lb::Server& server) const;
  std::size_t size() const;

 private:
  struct PoolChecks {
    const lb::Pool* pool;
    std::vector<std::unique_ptr<Checker>> by_server;  // index = server id
  };
  std::vector<PoolChecks> pools_;
};

}  // namespace tether::health
