// A pool at run time: its servers, its stick table, and the immutable snapshot of the servers
// that take new clients (with their Maglev table) that workers place clients with.
//
// Threading: the control thread calls republish() after any server state change; it builds a
// new PoolSnapshot off the data path and publishes it.
//
// Reloads (docs/reload.md) build a new Pool for each pool of the new configuration; connections
// accepted before stay with the old one until they end. Both share their Server objects and stick
// table, server ids are stable per pool name, and republishing the new pool republishes the old
// one too, so either places clients by the same live states. Workers read snapshots through their
// own SnapshotCache: one relaxed atomic load per placement, a lock only in the rare event that a
// new snapshot was published since the worker last looked.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "config/config.h"
#include "lb/affinity_key.h"
#include "lb/maglev.h"
#include "lb/server.h"
#include "lb/stick_table.h"
#include "lb/tls_client_context.h"

namespace tether::lb {

// Why a client went where it went (SPEC §6 affinity explain; metrics).
enum class Decision : std::uint8_t { stick, hash, cookie, fallback, none, count_ };
const char* to_string(Decision);

// Why a pinned client was placed somewhere other than its pin (SPEC §6a).
enum class BreakCause : std::uint8_t {
  server_down,
  server_maint,
  drain_deadline,
  expired,
  evicted,
  cookie_invalid,
  removed,
  server_full,  // at max_connections: this connection goes elsewhere, the pin stays
  count_
};
const char* to_string(BreakCause);

struct PoolSnapshot {
  std::vector<std::uint32_t> candidates;  // ids of the servers that take new clients
  MaglevTable table;                      // entries index `candidates`
};

struct Placement {
  Server* server = nullptr;
  Decision decision = Decision::none;
  // The client's pinned server is full (max_connections): it is placed elsewhere for this
  // connection only, and must not be pinned there.
  bool pin_kept = false;
};

class Pool {
 public:
  // `stick_timeout` 0 (or affinity none) means no stick table: pure consistent hashing.
  Pool(const config::PoolConfig& config, std::chrono::milliseconds stick_timeout,
       std::uint64_t stick_capacity);
  // For a reload: `previous` is the pool of the same name being replaced, or null. A server with
  // the same name, address and send_proxy is shared with it; one whose address or send_proxy
  // changed keeps its id and states in a new object. Nothing of `previous` changes until
  // take_over() (so a dry run may build and drop a Pool). `stick` may be null.
  Pool(const config::PoolConfig& config, std::shared_ptr<StickTable> stick, const Pool* previous);

  const std::string& name() const { return config_.name; }
  const config::PoolConfig& config() const { return config_; }
  // The configured servers, in configuration order.
  std::span<const std::shared_ptr<Server>> servers() const { return servers_; }
  Server* find_server(const std::string& name) const;
  // By id, including servers removed by a reload (flagged `removed`); null beyond the known ids.
  Server* server(std::uint32_t id) const { return id < by_id_.size() ? by_id_[id].get() : nullptr; }
  std::uint32_t id_limit() const { return static_cast<std::uint32_t>(by_id_.size()); }
  StickTable* stick_table() const { return stick_.get(); }
  // The client TLS context of `tls` (docs/tls.md "Servers"): present when traffic is
  // re-encrypted (tls.enabled) or checks are https; null otherwise. A reload with the same
  // settings keeps it, and the sessions it holds.
  const std::shared_ptr<TlsClientContext>& tls() const { return tls_; }
  const std::shared_ptr<StickTable>& shared_stick_table() const { return stick_; }

  // Rebuilds the snapshot from the servers' current states and publishes it, then the replaced
  // pool's (if any). Control thread only.
  void republish();

  // Commits a reload (control thread): applies the new weights, flags the servers of `previous`
  // this pool does not share as removed, and links `previous` so that republish() keeps it
  // current while its connections last. Returns the server objects no longer configured.
  std::vector<std::shared_ptr<Server>> take_over(Pool& previous);
  // `previous` is being destroyed: stop republishing it. Control thread only.
  void forget(const Pool& previous) {
    if (previous_ == &previous) previous_ = nullptr;
  }
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const PoolSnapshot> snapshot() const;  // takes the publish lock

  // Chooses a server for a client (SPEC §4). `key` is null for a client without affinity.
  // `tried` holds servers whose connect already failed for this client: they are skipped and the
  // stick table is not consulted again. Counts the decision, and a broken affinity by cause.
  // Thread-safe (locks one stick-table shard).
  Placement place(const PoolSnapshot& snapshot, const AffinityKey* key, std::uint64_t key_hash,
                  std::span<const std::uint32_t> tried, Clock::time_point now);
  // Cookie affinity's `fallback` for a request without a usable cookie: chosen by `balance`
  // with no stick entry (the cookie is the pin), and counted as a fallback whatever balanced it.
  Placement place_fallback(const PoolSnapshot& snapshot, std::uint64_t key_hash,
                           std::span<const std::uint32_t> tried, config::Balance balance);

  // Where place() would send the client now, and why, changing nothing (admin API explain).
  Placement explain(const AffinityKey* key, std::uint64_t key_hash, Clock::time_point now);

  // Records where a client was actually served (HAProxy's "store-request": after a retry the pin
  // follows the server that answered).
  void pin(const AffinityKey& key, const Server& server, Clock::time_point now);

  // Called by workers when a connect to `server` fails (health `observe`). Set once before the
  // workers start; the callback must be thread-safe (it posts to the control thread).
  void set_connect_failure_observer(std::function<void(Server&)> observer) {
    connect_failure_observer_ = std::move(observer);
  }
  void observe_connect_failure(Server& server) const {
    if (connect_failure_observer_) connect_failure_observer_(server);
  }

  // Why a client pinned to `server` (by a stick entry or a cookie) cannot stay there now.
  static BreakCause unavailable_cause(const Server& server);

  // Thread-safe counters, for decisions made outside place() (cookies).
  void count(Decision d) {
    decisions_[static_cast<int>(d)].fetch_add(1, std::memory_order_relaxed);
  }
  void count(BreakCause c) { breaks_[static_cast<int>(c)].fetch_add(1, std::memory_order_relaxed); }

  std::uint64_t decisions(Decision d) const { return decisions_[static_cast<int>(d)].load(); }
  std::uint64_t breaks(BreakCause c) const { return breaks_[static_cast<int>(c)].load(); }

 private:
  struct Verdict {
    Placement placement;
    std::optional<BreakCause> broken;
  };
  Verdict decide(const PoolSnapshot& snapshot, StickTable::Lookup pin, std::uint64_t key_hash,
                 std::span<const std::uint32_t> tried, config::Balance balance);
  Server* choose_new(const PoolSnapshot& snapshot, std::uint64_t key_hash,
                     std::span<const std::uint32_t> tried, config::Balance balance);

  config::PoolConfig config_;
  std::vector<std::shared_ptr<Server>> servers_;  // configured, parallel to config_.servers
  std::vector<std::shared_ptr<Server>> by_id_;    // every id this pool's name ever had
  std::shared_ptr<StickTable> stick_;
  std::shared_ptr<TlsClientContext> tls_;
  Pool* previous_ = nullptr;  // the pool this one replaced, while it lives; control thread only

  mutable std::mutex publish_mutex_;
  std::shared_ptr<const PoolSnapshot> current_;  // guarded by publish_mutex_
  std::atomic<std::uint64_t> generation_{0};

  std::function<void(Server&)> connect_failure_observer_;
  std::atomic<std::uint64_t> round_robin_{0};
  // Shared with the pools of the same name in other configuration generations, so that counts
  // go on across reloads.
  struct Counters {
    std::array<std::atomic<std::uint64_t>, static_cast<int>(Decision::count_)> decisions{};
    std::array<std::atomic<std::uint64_t>, static_cast<int>(BreakCause::count_)> breaks{};
  };
  std::shared_ptr<Counters> counters_;
  std::array<std::atomic<std::uint64_t>, static_cast<int>(Decision::count_)>& decisions_ =
      counters_->decisions;
  std::array<std::atomic<std::uint64_t>, static_cast<int>(BreakCause::count_)>& breaks_ =
      counters_->breaks;
};

// A worker's view of one pool's current snapshot. Owned by one thread; not shared.
class SnapshotCache {
 public:
  const PoolSnapshot& get(const Pool& pool) {
    const std::uint64_t generation = pool.generation();
    if (generation != generation_ || !snapshot_) {
      snapshot_ = pool.snapshot();
      generation_ = generation;
    }
    return *snapshot_;
  }

 private:
  std::uint64_t generation_ = 0;
  std::shared_ptr<const PoolSnapshot> snapshot_;
};

}  // namespace tether::lb
