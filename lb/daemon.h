// The running load balancer: pools, frontends, workers and the control thread that owns
// everything that is not data path (signals, health checks, the admin API, reloads, the state
// file).
//
// Thread model (README "Architecture"): N worker threads, each with its own io_context, its own
// acceptors and its own sessions; one control io_context, run by whoever calls run(). Pools and
// frontends are shared: their configuration is immutable, their counters and server states are
// atomics, and server choice reads an immutable PoolSnapshot.
//
// Reloads (docs/reload.md) replace the pools and frontends by new ones; the old ones stay alive,
// "retired", until the last connection that uses them has ended.
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
#include <utility>
#include <vector>

#include "config/config.h"
#include "health/monitor.h"
#include "lb/access_log.h"
#include "lb/frontend.h"
#include "lb/pool.h"
#include "lb/state_file.h"
#include "lb/worker.h"

namespace tether::lb {

class Daemon {
 public:
  // Throws std::runtime_error when the access log cannot be opened. Restores the stick tables
  // from `state_file` when there is one (a bad file is reported and ignored).
  explicit Daemon(config::Config config);
  ~Daemon();

  // What the command line set over the file (--threads, --log-level): applied to the
  // configuration now and to every reloaded one, so a reload neither undoes them nor reports
  // them as changes.
  struct Overrides {
    std::optional<unsigned> threads;
    std::optional<std::string> log_level;
  };
  void keep_overrides(Overrides overrides);
  static void apply(const Overrides& overrides, config::Config& config);

  // Binds every listen address on every worker. On failure: the address and the OS error.
  std::optional<std::string> bind();

  // Starts the workers, then runs the control loop on the calling thread until the daemon has
  // stopped (after shutdown()).
  void run();

  // Graceful stop (SIGTERM): listeners close at once; open connections may finish until
  // `shutdown_grace`, then the rest are closed. Thread-safe.
  void shutdown();

  struct ReloadCounters {
    std::atomic<std::uint64_t> ok{0}, failed{0};
    std::atomic<std::uint64_t> generation{1};  // config generation, 1 = the file loaded at start
  };
  ReloadCounters reloads;

  struct ReloadOutcome {
    bool ok = false;       // valid (and, unless a dry run, applied)
    bool dry_run = false;  // nothing was changed
    // When refused: every error, "file:line:column: key: reason" (or why it could not apply).
    std::vector<std::string> errors;
    // Per pool, old and new, the share of the hash space whose owner changed.
    std::vector<std::pair<std::string, double>> moved;
  };
  // Reloads the configuration file (SIGHUP, POST /api/v1/reload): a valid file is applied
  // without dropping a connection; an invalid one changes nothing. Logs the outcome and counts
  // it (dry runs are not counted). Control thread only.
  ReloadOutcome reload(bool dry_run = false);
  // As reload(), from an already loaded configuration (tests).
  ReloadOutcome reload(config::Config config, bool dry_run = false);

  // Writes the stick tables to `state_file` now (no-op without one). Control thread only.
  void save_state();

  // Sets a server's admin state (SPEC §4); `drain_deadline` only with drain: maint follows then.
  // Control thread only.
  void set_server_state(Pool& pool, Server& server, AdminState state,
                        std::optional<config::Duration> drain_deadline = std::nullopt);

  bool stopping() const { return stopping_; }  // control thread only
  std::chrono::steady_clock::time_point started() const { return started_; }
  const health::Monitor& health() const { return *health_; }

  // The current configuration and its pools and frontends. Control thread only once run() has
  // started (a reload replaces them).
  asio::io_context& control() { return control_; }
  const config::Config& config() const { return config_; }
  std::span<const std::unique_ptr<Pool>> pools() const { return pools_; }
  std::span<const std::unique_ptr<Frontend>> frontends() const { return frontends_; }
  Pool* find_pool(const std::string& name) const;
  unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }

  // The addresses a frontend actually listens on (port 0 resolved), in config order.
  std::vector<asio::ip::tcp::endpoint> listening(const std::string& frontend) const;

  // Open connections, those of retired configurations included.
  std::uint64_t active_connections() const;
  // Replaced configurations still kept for their connections. Control thread only.
  std::size_t retired_configurations() const { return retired_.size(); }

  // Reopens the access log file (SIGUSR1, after logrotate moved it). Thread-safe.
  void reopen_access_log() { access_log_.reopen(); }
  const AccessLog& access_log() const { return access_log_; }
  std::chrono::system_clock::time_point started_wall() const { return started_wall_; }

 private:
  struct Bound {
    std::string key;  // frontend name and address as configured: what a reload matches on
    std::string frontend;
    asio::ip::tcp::endpoint endpoint;
  };
  // A replaced configuration, kept until none of its connections is left.
  struct Retired {
    std::vector<std::unique_ptr<Pool>> pools;
    std::vector<std::unique_ptr<Frontend>> frontends;
    std::unique_ptr<health::Monitor> monitor;
    std::uint64_t epoch = 0;  // the workers' session epoch of this configuration
    // The check under way: workers that answered, and those with none of its sessions left.
    std::shared_ptr<std::atomic<unsigned>> answers = std::make_shared<std::atomic<unsigned>>(0);
    std::shared_ptr<std::atomic<unsigned>> idle = std::make_shared<std::atomic<unsigned>>(0);
    bool checking = false;
  };

  void install_observers(Pool& pool);
  void arm_drain_timer(const std::string& pool, Server& server, config::Duration after);
  // With `probe_only` (a dry-run reload) the address is only bound for a moment, to find out
  // whether it can be: no listener is opened.
  std::optional<std::string> open_listeners(const Frontend& frontend,
                                            const config::Address& address,
                                            std::vector<std::unique_ptr<Listener>>& per_worker,
                                            asio::ip::tcp::endpoint& endpoint,
                                            bool probe_only = false);
  void watch_retired();
  void free_retired(Retired& retired);
  void restore_state();
  StickState capture_state() const;
  void schedule_state_save();
  void schedule_stick_sweep();
  void watch_shutdown(std::chrono::steady_clock::time_point deadline, bool forced);
  void finish();

  asio::io_context control_;
  asio::executor_work_guard<asio::io_context::executor_type> control_work_;
  config::Config config_;
  Overrides overrides_;
  AccessLog access_log_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point started_wall_ = std::chrono::system_clock::now();
  std::vector<std::unique_ptr<Pool>> pools_;
  std::vector<std::unique_ptr<Frontend>> frontends_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Bound> bound_;
  std::vector<Retired> retired_;
  // Server objects a reload removed or replaced: sessions and parked connections may still point
  // at them, so they live as long as the daemon (a few hundred bytes per change).
  std::vector<std::shared_ptr<Server>> former_servers_;
  std::size_t pool_slots_ = 0;  // snapshot cache slots the workers have
  std::uint64_t epoch_ = 0;     // the current configuration's session epoch (Worker::sessions_of)

  std::unique_ptr<health::Monitor> health_;
  std::map<const Server*, asio::steady_timer> drain_timers_;
  asio::steady_timer shutdown_timer_;
  asio::steady_timer retire_timer_;
  asio::steady_timer state_timer_;
  asio::steady_timer sweep_timer_;
  bool retire_watch_armed_ = false;
  bool stopping_ = false;  // control thread only
};

}  // namespace tether::lb
