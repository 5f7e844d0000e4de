#include "health/monitor.h"

#include <asio/post.hpp>

namespace tether::health {

Monitor::Monitor(asio::io_context& control, std::span<const std::unique_ptr<lb::Pool>> pools) {
  for (const auto& pool : pools) {
    const auto& health = pool->config().health;
    if (health.type == config::HealthConfig::Type::none) continue;
    PoolChecks checks{pool.get(), {}};
    for (const auto& server : pool->servers())
      checks.by_server.push_back(std::make_unique<Checker>(control, *pool, *server));
    if (health.observe) {
      // Workers call this; the checker lives on the control thread, so the report is posted.
      std::vector<Checker*> targets;
      for (auto& c : checks.by_server)
        targets.push_back(c.get());
      pool->set_connect_failure_observer([&control, targets](lb::Server& server) {
        asio::post(control, [checker = targets[server.id]] { checker->observe_connect_failure(); });
      });
    }
    pools_.push_back(std::move(checks));
  }
}

Monitor::~Monitor() {
  stop();
}

void Monitor::start() {
  for (auto& p : pools_)
    for (auto& c : p.by_server)
      c->start();
}

void Monitor::stop() {
  for (auto& p : pools_)
    for (auto& c : p.by_server)
      c->stop();
}

const Checker* Monitor::checker(const lb::Pool& pool, const lb::Server& server) const {
  for (const auto& p : pools_)
    if (p.pool == &pool) return p.by_server.at(server.id).get();
  return nullptr;
}

std::size_t Monitor::size() const {
  std::size_t n = 0;
  for (const auto& p : pools_)
    n += p.by_server.size();
  return n;
}

}  // namespace tether::health
