// The running load balancer: pools, frontends, workers and the control thread that owns
// everything that is not data path (signals; later health checks, the admin API and reloads).
//
// Thread model (README "Architecture"): N worker threads, each with its own io_context, its own
// acceptors and its own sessions; one control io_context, run by whoever calls run(). Pools and
// frontends are shared: their configuration is immutable, their counters and server states are
// atomics, and server choice reads an immutable PoolSnapshot.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "health/monitor.h"
#include "lb/access_log.h"
#include "lb/frontend.h"
#include "lb/pool.h"
#include "lb/worker.h"

namespace tether::lb {

class Daemon {
 public:
  struct ReloadCounters {
    std::atomic<std::uint64_t> ok{0}, failed{0};
    std::atomic<std::uint64_t> generation{1};  // config generation, 1 = the file loaded at start
  };
  ReloadCounters reloads;

  // Throws std::runtime_error when the access log cannot be opened.
  explicit Daemon(config::Config config);
  ~Daemon();

  // Binds every listen address on every worker. On failure: the address and the OS error.
  std::optional<std::string> bind();

  // Starts the workers, then runs the control loop on the calling thread until the daemon has
  // stopped (after shutdown()).
  void run();

  // Graceful stop (SIGTERM): listeners close at once; open connections may finish until
  // `shutdown_grace`, then the rest are closed. Thread-safe.
  void shutdown();

  // Sets a server's admin state (SPEC §4); `drain_deadline` only with drain: maint follows then.
  // Control thread only.
  void set_server_state(Pool& pool, Server& server, AdminState state,
                        std::optional<config::Duration> drain_deadline = std::nullopt);

  bool stopping() const { return stopping_; }  // control thread only
  std::chrono::steady_clock::time_point started() const { return started_; }
  const health::Monitor& health() const { return *health_; }

  asio::io_context& control() { return control_; }
  const config::Config& config() const { return config_; }
  std::span<const std::unique_ptr<Pool>> pools() const { return pools_; }
  std::span<const std::unique_ptr<Frontend>> frontends() const { return frontends_; }
  Pool* find_pool(const std::string& name) const;
  unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }

  // The addresses a frontend actually listens on (port 0 resolved), in config order.
  std::vector<asio::ip::tcp::endpoint> listening(const std::string& frontend) const;

  std::uint64_t active_connections() const;

  // Reopens the access log file (SIGUSR1, after logrotate moved it). Thread-safe.
  void reopen_access_log() { access_log_.reopen(); }
  const AccessLog& access_log() const { return access_log_; }
  std::chrono::system_clock::time_point started_wall() const { return started_wall_; }

 private:
  void watch_shutdown(std::chrono::steady_clock::time_point deadline, bool forced);
  void finish();

  asio::io_context control_;
  asio::executor_work_guard<asio::io_context::executor_type> control_work_;
  config::Config config_;
  AccessLog access_log_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point started_wall_ = std::chrono::system_clock::now();
  std::vector<std::unique_ptr<Pool>> pools_;
  std::vector<std::unique_ptr<Frontend>> frontends_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::pair<std::string, asio::ip::tcp::endpoint>> bound_;  // frontend, address

  std::unique_ptr<health::Monitor> health_;
  std::map<const Server*, asio::steady_timer> drain_timers_;
  asio::steady_timer shutdown_timer_;
  bool stopping_ = false;  // control thread only
};

}  // namespace tether::lb
