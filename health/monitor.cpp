#include "health/monitor.h"

namespace tether::health {

Monitor::Monitor(asio::io_context& control, std::span<const std::unique_ptr<lb::Pool>> pools,
                 const Monitor* previous) {
  for (const auto& pool : pools) {
    if (pool->config().health.type == config::HealthConfig::Type::none) continue;
    PoolChecks checks{pool.get(), {}};
    for (const auto& server : pool->servers()) {
      auto checker = std::make_unique<Checker>(control, *pool, *server);
      if (previous)
        if (const Checker* before = previous->find(pool->name(), *server))
          checker->carry_over(*before);
      checks.checkers.push_back(std::move(checker));
    }
    pools_.push_back(std::move(checks));
  }
}

Monitor::~Monitor() {
  stop();
}

void Monitor::start() {
  for (auto& p : pools_)
    for (auto& c : p.checkers)
      c->start();
}

void Monitor::stop() {
  for (auto& p : pools_)
    for (auto& c : p.checkers)
      c->stop();
}

Checker* Monitor::find(const std::string& pool, const lb::Server& server) const {
  for (const auto& p : pools_) {
    if (p.pool->name() != pool) continue;
    for (const auto& c : p.checkers)
      if (c->server().name() == server.name()) return c.get();
  }
  return nullptr;
}

void Monitor::observe_connect_failure(const std::string& pool, const lb::Server& server) {
  // A failure reported for an object a reload replaced (new address) says nothing of the new one.
  if (Checker* checker = find(pool, server); checker && &checker->server() == &server)
    checker->observe_connect_failure();
}

const Checker* Monitor::checker(const lb::Pool& pool, const lb::Server& server) const {
  for (const auto& p : pools_)
    if (p.pool == &pool)
      for (const auto& c : p.checkers)
        if (&c->server() == &server) return c.get();
  return nullptr;
}

std::size_t Monitor::size() const {
  std::size_t n = 0;
  for (const auto& p : pools_)
    n += p.checkers.size();
  return n;
}

}  // namespace tether::health
