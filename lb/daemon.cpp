#include "lb/daemon.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <thread>

#include "lb/listener.h"

namespace tether::lb {

namespace {

unsigned worker_count_for(unsigned configured) {
  if (configured > 0) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

// A pool's stick table is configured by the source-affinity frontends that use it (config
// validation makes them agree); cookies are their own pins, so other pools have none.
std::pair<config::Duration, std::uint64_t> stick_settings(const config::Config& config,
                                                          const std::string& pool) {
  for (const auto& f : config.frontends)
    if (f.pool == pool && f.affinity.type == config::AffinityType::source)
      return {f.affinity.timeout, f.affinity.table_size};
  return {config::Duration(0), 0};
}

std::string describe(const asio::ip::tcp::endpoint& e) {
  const auto a = e.address();
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(e.port())
                   : a.to_string() + ":" + std::to_string(e.port());
}

}  // namespace

Daemon::Daemon(config::Config config)
    : control_work_(control_.get_executor()),
      config_(std::move(config)),
      access_log_(config_.log.access),
      shutdown_timer_(control_) {
  for (const auto& p : config_.pools) {
    const auto [timeout, capacity] = stick_settings(config_, p.name);
    pools_.push_back(std::make_unique<Pool>(p, timeout, capacity));
  }
  for (const auto& f : config_.frontends) {
    std::size_t index = 0;
    while (pools_[index]->name() != f.pool)
      ++index;  // validated: the pool exists
    frontends_.push_back(std::make_unique<Frontend>(f, *pools_[index], index));
  }
  health_ = std::make_unique<health::Monitor>(control_, pools_);
  const unsigned n = worker_count_for(config_.threads);
  for (unsigned i = 0; i < n; ++i)
    workers_.push_back(std::make_unique<Worker>(i, pools_.size(), access_log_));
}

Daemon::~Daemon() {
  for (auto& w : workers_)
    w->stop();
  for (auto& w : workers_)
    w->join();
}

std::optional<std::string> Daemon::bind() {
  for (auto& frontend : frontends_) {
    for (const auto& address : frontend->config.listen) {
      auto endpoint = address.endpoint;
      const auto fail = [&](std::error_code ec) {
        return "cannot listen on " + address.text + " (frontend " + frontend->name() +
               "): " + ec.message();
      };
      // Every worker binds with SO_REUSEPORT, which would silently share the port with another
      // process doing the same; a plain probe bind first makes "address in use" an error.
      {
        asio::ip::tcp::acceptor probe(control_);
        std::error_code ec;
        probe.open(endpoint.protocol(), ec);
        if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec && endpoint.address().is_v6()) probe.set_option(asio::ip::v6_only(true), ec);
        if (!ec) probe.bind(endpoint, ec);
        if (ec) return fail(ec);
        endpoint = probe.local_endpoint();  // port 0 → the port every worker will share
      }
      for (auto& worker : workers_) {
        auto listener = std::make_unique<Listener>(*worker, *frontend);
        if (auto ec = listener->open(endpoint)) return fail(ec);
        worker->add_listener(std::move(listener));
      }
      bound_.emplace_back(frontend->name(), endpoint);
      spdlog::info("frontend {} listening on {} ({} workers)", frontend->name(), describe(endpoint),
                   workers_.size());
    }
  }
  return std::nullopt;
}

std::vector<asio::ip::tcp::endpoint> Daemon::listening(const std::string& frontend) const {
  std::vector<asio::ip::tcp::endpoint> result;
  for (const auto& [name, endpoint] : bound_)
    if (name == frontend) result.push_back(endpoint);
  return result;
}

Pool* Daemon::find_pool(const std::string& name) const {
  for (const auto& p : pools_)
    if (p->name() == name) return p.get();
  return nullptr;
}

std::uint64_t Daemon::active_connections() const {
  std::uint64_t n = 0;
  for (const auto& f : frontends_)
    n += f->active.load(std::memory_order_relaxed);
  return n;
}

void Daemon::run() {
  for (auto& w : workers_)
    w->start();
  health_->start();
  control_.run();
}

void Daemon::set_server_state(Pool& pool, Server& server, AdminState state,
                              std::optional<config::Duration> drain_deadline) {
  drain_timers_.erase(&server);
  server.drain_deadline.reset();
  server.maint_from_deadline.store(false, std::memory_order_relaxed);
  const AdminState before = server.admin_state.exchange(state, std::memory_order_relaxed);
  if (state == AdminState::drain && drain_deadline) {
    server.drain_deadline = std::chrono::system_clock::now() + *drain_deadline;
    auto& timer = drain_timers_.try_emplace(&server, control_).first->second;
    timer.expires_after(*drain_deadline);
    timer.async_wait([this, &pool, &server](std::error_code ec) {
      if (ec) return;
      spdlog::warn("pool {} server {}: drain deadline reached, now maint", pool.name(),
                   server.name());
      server.drain_deadline.reset();
      server.admin_state.store(AdminState::maint, std::memory_order_relaxed);
      server.maint_from_deadline.store(true, std::memory_order_relaxed);
      pool.republish();
      drain_timers_.erase(&server);  // destroys this handler's timer: nothing may follow
    });
  }
  pool.republish();
  spdlog::warn("pool {} server {}: admin state {} -> {}{}", pool.name(), server.name(),
               to_string(before), to_string(state),
               drain_deadline ? " (maint in " + std::to_string(drain_deadline->count()) + "ms)"
                              : std::string());
}

void Daemon::shutdown() {
  asio::post(control_, [this] {
    if (stopping_) return;
    stopping_ = true;
    health_->stop();
    spdlog::info("stopping: listeners closed, {} connections open, grace {}ms",
                 active_connections(), config_.shutdown_grace.count());
    for (auto& w : workers_)
      w->close_listeners();
    watch_shutdown(std::chrono::steady_clock::now() + config_.shutdown_grace, false);
  });
}

void Daemon::watch_shutdown(std::chrono::steady_clock::time_point deadline, bool forced) {
  if (active_connections() == 0) return finish();
  if (!forced && std::chrono::steady_clock::now() >= deadline) {
    spdlog::info("shutdown grace over: closing {} connections", active_connections());
    for (auto& w : workers_)
      w->close_sessions();
    forced = true;
  }
  // Polling keeps the workers free of shutdown bookkeeping; 20ms is below human notice.
  shutdown_timer_.expires_after(std::chrono::milliseconds(20));
  shutdown_timer_.async_wait([this, deadline, forced](std::error_code ec) {
    if (!ec) watch_shutdown(deadline, forced);
  });
}

void Daemon::finish() {
  for (auto& w : workers_)
    w->stop();
  for (auto& w : workers_)
    w->join();
  spdlog::info("stopped");
  control_work_.reset();
  control_.stop();
}

}  // namespace tether::lb
