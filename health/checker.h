// Active health checking of one server of one pool, on the control thread's io_context (never a
// thread per server). Owns the schedule (interval with a random spread so a hundred servers are
// not probed in lockstep), the timeout, the rise/fall state, and the last result; a fresh Probe
// does each attempt. A change of state is committed to the server and its pool republished.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <string>

#include "config/config.h"
#include "health/health_state.h"
#include "health/probe.h"
#include "lb/pool.h"

namespace tether::health {

struct CheckResult {
  bool ok = false;
  std::string detail;
  std::chrono::system_clock::time_point at;
  std::chrono::microseconds latency{0};
};

class Checker {
 public:
  Checker(asio::io_context& control, lb::Pool& pool, lb::Server& server);
  ~Checker();
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  void start();
  void stop();

  // A reload replaced `previous` (same pool and server name) by this checker: the up/down state
  // carries over through the server's `healthy` flag; the last result is kept for status.
  void carry_over(const Checker& previous) { last_ = previous.last_; }

  // A real connection to the server failed (health `observe`): counts as a failed check.
  void observe_connect_failure();

  const lb::Server& server() const { return server_; }
  // Empty `detail` until the first check completed.
  const CheckResult& last() const { return last_; }

 private:
  void schedule(std::chrono::steady_clock::duration delay);
  void run();
  void probe_done(bool ok, std::string detail);
  void record(bool ok, std::string detail);
  std::shared_ptr<Probe> make_probe();

  asio::io_context& control_;
  lb::Pool& pool_;
  lb::Server& server_;
  const config::HealthConfig& config_;
  asio::ip::tcp::endpoint target_;
  std::string host_;
  lb::TlsPeerName tls_peer_;  // https: health.host, else the pool's tls.sni, else the address's

  HealthState state_;
  CheckResult last_;
  std::shared_ptr<Probe> probe_;  // the attempt under way, if any
  std::chrono::steady_clock::time_point probe_started_;
  asio::steady_timer interval_timer_;
  asio::steady_timer timeout_timer_;
  std::minstd_rand random_;
  bool stopped_ = false;
};

}  // namespace tether::health
