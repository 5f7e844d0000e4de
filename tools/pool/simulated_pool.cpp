#include "tools/pool/simulated_pool.h"

#include <algorithm>

namespace tether::pool {

std::unique_ptr<SimulatedPool> SimulatedPool::start(PoolOptions options, std::string& error) {
  std::unique_ptr<SimulatedPool> pool(new SimulatedPool(std::max<std::size_t>(1, options.threads)));
  for (auto& spec : options.servers) {
    pool->servers_.push_back(
        std::make_unique<PoolServer>(std::move(spec), options.server, pool->io_));
    if (!pool->servers_.back()->listen(error)) return nullptr;
  }
  if (options.control) {
    pool->control_ = std::make_unique<Control>(pool->io_.at(0), pool->servers_);
    if (!pool->control_->listen(*options.control, error)) return nullptr;
  }
  pool->io_.run();
  return pool;
}

SimulatedPool::~SimulatedPool() {
  stop();
}

void SimulatedPool::stop() {
  io_.stop();
}

PoolServer* SimulatedPool::find(std::string_view name) const {
  for (const auto& server : servers_) {
    if (server->name() == name) return server.get();
  }
  return nullptr;
}

std::optional<asio::ip::tcp::endpoint> SimulatedPool::control_endpoint() const {
  if (!control_) return std::nullopt;
  return control_->endpoint();
}

}  // namespace tether::pool
