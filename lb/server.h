// A server of a pool at run time: its configuration, its states (SPEC §4) and its counters.
// States are written by the control thread (health checks, admin API, reloads) and read by
// workers; counters are written by workers. All fields are atomics, relaxed: a worker acting on a
// state one event late is fine, because every state change also republishes the pool's snapshot.
//
// A server outlives configuration reloads (docs/reload.md): while a pool of the new configuration
// names a server with the same name, address and send_proxy, it is the same object, so its
// states, counters and open connections carry over.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "config/config.h"
#include "lb/latency_histogram.h"

namespace tether::lb {

enum class AdminState : std::uint8_t { ready, drain, maint };
const char* to_string(AdminState);

struct Server {
  Server(std::uint32_t id, config::ServerConfig config)
      : id(id), config(std::move(config)), weight(this->config.weight) {}

  // Stable for the pool's name across reloads (stick entries and cookies refer to it); the
  // index in Pool::server(id), not in Pool::servers().
  const std::uint32_t id;
  const config::ServerConfig config;  // `weight` aside, which a reload may change

  std::atomic<std::uint32_t> weight;
  // No longer in the configuration (reload): takes no client, and its pinned clients move.
  std::atomic<bool> removed{false};

  std::atomic<AdminState> admin_state{AdminState::ready};
  std::atomic<bool> healthy{true};
  // In maint because a drain deadline passed: pinned clients moved off it count as
  // "drain_deadline" breaks rather than "server_maint".
  std::atomic<bool> maint_from_deadline{false};

  // When a drain with a deadline turns into maint. Control thread only.
  std::optional<std::chrono::system_clock::time_point> drain_deadline;

  std::atomic<std::uint32_t> active{0};
  std::atomic<std::uint64_t> total{0};
  std::atomic<std::uint64_t> bytes_in{0};   // from clients to the server
  std::atomic<std::uint64_t> bytes_out{0};  // from the server to clients
  std::atomic<std::uint64_t> connect_failures{0};
  // Of those, the ones whose TCP connect succeeded and TLS handshake (or verification) failed.
  std::atomic<std::uint64_t> tls_failures{0};
  LatencyHistogram connect_time;  // successful connects (tcp mode, and new http connections)
  // Health check results, passed and failed (control thread writes; /metrics reads).
  std::atomic<std::uint64_t> checks_passed{0};
  std::atomic<std::uint64_t> checks_failed{0};

  const std::string& name() const { return config.name; }

  bool has_capacity(std::uint32_t max_connections) const {
    return max_connections == 0 || active.load(std::memory_order_relaxed) < max_connections;
  }
  // Ready and up: may be chosen for a client with no affinity yet.
  bool takes_new_clients() const {
    return healthy.load(std::memory_order_relaxed) && !removed.load(std::memory_order_relaxed) &&
           admin_state.load(std::memory_order_relaxed) == AdminState::ready;
  }
  // Drain keeps the clients pinned to it; maint and down do not.
  bool takes_pinned_clients() const {
    return healthy.load(std::memory_order_relaxed) && !removed.load(std::memory_order_relaxed) &&
           admin_state.load(std::memory_order_relaxed) != AdminState::maint;
  }
};

}  // namespace tether::lb
