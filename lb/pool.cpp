#include "lb/pool.h"

#include <algorithm>
#include <limits>
#include <optional>

namespace tether::lb {

const char* to_string(AdminState s) {
  switch (s) {
    case AdminState::ready:
      return "ready";
    case AdminState::drain:
      return "drain";
    case AdminState::maint:
      return "maint";
  }
  return "?";
}

const char* to_string(Decision d) {
  static constexpr const char* names[] = {"stick", "hash", "cookie", "fallback", "none"};
  return names[static_cast<int>(d)];
}

const char* to_string(BreakCause c) {
  static constexpr const char* names[] = {"server_down", "server_maint", "drain_deadline",
                                          "expired",     "evicted",      "cookie_invalid",
                                          "removed",     "server_full"};
  return names[static_cast<int>(c)];
}

namespace {

// Snapshot generations are unique across pools, so that a worker's cache slot, which a pool of a
// new configuration may inherit from a replaced one, never mistakes one pool's snapshot for the
// other's.
std::atomic<std::uint64_t> last_generation{0};

std::shared_ptr<StickTable> make_stick_table(std::chrono::milliseconds timeout,
                                             std::uint64_t capacity) {
  if (timeout.count() <= 0 || capacity == 0) return nullptr;
  return std::make_shared<StickTable>(capacity, timeout);
}

// What a server of a new configuration inherits from the object it replaces (its address or
// send_proxy changed): everything but the connections, which stay counted on the old object.
void copy_state(const Server& from, Server& to) {
  constexpr auto relaxed = std::memory_order_relaxed;
  to.admin_state.store(from.admin_state.load(relaxed), relaxed);
  to.healthy.store(from.healthy.load(relaxed), relaxed);
  to.maint_from_deadline.store(from.maint_from_deadline.load(relaxed), relaxed);
  to.drain_deadline = from.drain_deadline;
  to.total.store(from.total.load(relaxed), relaxed);
  to.bytes_in.store(from.bytes_in.load(relaxed), relaxed);
  to.bytes_out.store(from.bytes_out.load(relaxed), relaxed);
  to.connect_failures.store(from.connect_failures.load(relaxed), relaxed);
  to.tls_failures.store(from.tls_failures.load(relaxed), relaxed);
  to.checks_passed.store(from.checks_passed.load(relaxed), relaxed);
  to.checks_failed.store(from.checks_failed.load(relaxed), relaxed);
  // connect_time starts afresh: its samples were of the old address.
}

bool same_endpoint(const config::ServerConfig& a, const config::ServerConfig& b) {
  return a.address.endpoint == b.address.endpoint && a.send_proxy == b.send_proxy;
}

}  // namespace

Pool::Pool(const config::PoolConfig& config, std::chrono::milliseconds stick_timeout,
           std::uint64_t stick_capacity)
    : Pool(config, make_stick_table(stick_timeout, stick_capacity), nullptr) {}

Pool::Pool(const config::PoolConfig& config, std::shared_ptr<StickTable> stick,
           const Pool* previous)
    : config_(config),
      stick_(std::move(stick)),
      counters_(previous ? previous->counters_ : std::make_shared<Counters>()) {
  if (previous) by_id_ = previous->by_id_;
  if (config_.tls.enabled || config_.health.type == config::HealthConfig::Type::https) {
    if (previous && previous->tls_ && previous->tls_->same_settings(config_.tls))
      tls_ = previous->tls_;
    else
      tls_ = std::make_shared<TlsClientContext>(config_.tls);
  }
  for (const auto& s : config_.servers) {
    Server* before = previous ? previous->find_server(s.name) : nullptr;
    if (before && same_endpoint(before->config, s)) {
      servers_.push_back(previous->by_id_[before->id]);
      continue;
    }
    // A known name keeps its id (stick entries name servers by id); a new name gets the next one.
    auto id = static_cast<std::uint32_t>(by_id_.size());
    for (const auto& known : by_id_)
      if (known->name() == s.name) id = known->id;
    auto server = std::make_shared<Server>(id, s);
    if (before) copy_state(*before, *server);
    if (id == by_id_.size())
      by_id_.push_back(server);
    else
      by_id_[id] = server;
    servers_.push_back(std::move(server));
  }
  republish();
}

Server* Pool::find_server(const std::string& name) const {
  for (const auto& s : servers_)
    if (s->name() == name) return s.get();
  return nullptr;
}

void Pool::republish() {
  auto next = std::make_shared<PoolSnapshot>();
  std::vector<MaglevBackend> backends;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    const Server& s = *servers_[i];
    if (!s.takes_new_clients()) continue;
    next->candidates.push_back(s.id);
    backends.push_back({s.name(), config_.servers[i].weight});
  }
  next->table = MaglevTable::build(backends, config_.hash_seed);
  {
    std::lock_guard lock(publish_mutex_);
    current_ = std::move(next);
    generation_.store(last_generation.fetch_add(1, std::memory_order_relaxed) + 1,
                      std::memory_order_release);
  }
  if (previous_) previous_->republish();
}

std::vector<std::shared_ptr<Server>> Pool::take_over(Pool& previous) {
  for (std::size_t i = 0; i < servers_.size(); ++i)
    servers_[i]->weight.store(config_.servers[i].weight, std::memory_order_relaxed);
  std::vector<std::shared_ptr<Server>> gone;
  for (const auto& s : previous.servers_) {
    if (std::find(servers_.begin(), servers_.end(), s) != servers_.end()) continue;
    s->removed.store(true, std::memory_order_relaxed);
    gone.push_back(s);
  }
  previous_ = &previous;
  republish();
  return gone;
}

std::shared_ptr<const PoolSnapshot> Pool::snapshot() const {
  std::lock_guard lock(publish_mutex_);
  return current_;
}

Server* Pool::choose_new(const PoolSnapshot& snapshot, std::uint64_t key_hash,
                         std::span<const std::uint32_t> tried, config::Balance balance) {
  const auto is_tried = [&](std::uint32_t id) {
    return std::find(tried.begin(), tried.end(), id) != tried.end();
  };
  const auto usable = [&](std::uint32_t candidate) {
    const Server& s = *by_id_[snapshot.candidates[candidate]];
    return !is_tried(s.id) && s.has_capacity(config_.max_connections);
  };
  switch (balance) {
    case config::Balance::maglev: {
      const auto c =
          snapshot.table.pick_excluding(key_hash, [&](std::uint32_t c) { return !usable(c); });
      return c == MaglevTable::kNone ? nullptr : by_id_[snapshot.candidates[c]].get();
    }
    case config::Balance::least_conn: {
      Server* best = nullptr;
      double best_load = std::numeric_limits<double>::max();
      for (std::uint32_t c = 0; c < snapshot.candidates.size(); ++c) {
        if (!usable(c)) continue;
        Server* s = by_id_[snapshot.candidates[c]].get();
        const double load = double(s->active.load(std::memory_order_relaxed)) /
                            s->weight.load(std::memory_order_relaxed);
        if (load < best_load) best = s, best_load = load;
      }
      return best;
    }
    case config::Balance::round_robin: {
      const std::size_t n = snapshot.candidates.size();
      const std::uint64_t start = round_robin_.fetch_add(1, std::memory_order_relaxed);
      for (std::size_t i = 0; i < n; ++i)
        if (const auto c = static_cast<std::uint32_t>((start + i) % n); usable(c))
          return by_id_[snapshot.candidates[c]].get();
      return nullptr;
    }
  }
  return nullptr;
}

BreakCause Pool::unavailable_cause(const Server& server) {
  if (server.removed.load(std::memory_order_relaxed)) return BreakCause::removed;
  if (server.admin_state.load(std::memory_order_relaxed) != AdminState::maint)
    return BreakCause::server_down;
  return server.maint_from_deadline.load(std::memory_order_relaxed) ? BreakCause::drain_deadline
                                                                    : BreakCause::server_maint;
}

Pool::Verdict Pool::decide(const PoolSnapshot& snapshot, StickTable::Lookup pin,
                           std::uint64_t key_hash, std::span<const std::uint32_t> tried,
                           config::Balance balance) {
  using Status = StickTable::Lookup::Status;
  std::optional<BreakCause> broken;
  bool pin_kept = false;
  // The stick table is shared with the pool of a newer configuration, whose new servers this
  // pool does not know: such a pin is no pin here.
  if (pin.server >= by_id_.size()) pin.status = Status::miss;
  if (pin.status == Status::hit) {
    Server& pinned = *by_id_[pin.server];
    if (pinned.takes_pinned_clients()) {
      if (pinned.has_capacity(config_.max_connections)) return {{&pinned, Decision::stick}, {}};
      // Full (max_connections): this connection goes elsewhere, the pin stays.
      broken = BreakCause::server_full;
      pin_kept = true;
    } else {
      broken = unavailable_cause(pinned);
    }
  }
  Server* chosen = choose_new(snapshot, key_hash, tried, balance);
  // Sent nowhere is not placed elsewhere (SPEC §6a): the pin stays, and the client goes back to
  // its server when that server takes it again.
  if (!chosen) return {{nullptr, Decision::none}, std::nullopt};
  if (pin.server != chosen->id) {
    if (pin.status == Status::expired) broken = BreakCause::expired;
    if (pin.status == Status::evicted) broken = BreakCause::evicted;
  }
  const Decision d = balance == config::Balance::maglev ? Decision::hash : Decision::fallback;
  return {{chosen, d, pin_kept}, broken};
}

Placement Pool::place(const PoolSnapshot& snapshot, const AffinityKey* key, std::uint64_t key_hash,
                      std::span<const std::uint32_t> tried, Clock::time_point now) {
  StickTable::Lookup pin;
  if (stick_ && key && tried.empty()) pin = stick_->find(*key, now);
  const Verdict verdict = decide(snapshot, pin, key_hash, tried, config_.balance);
  count(verdict.placement.decision);
  if (verdict.broken) count(*verdict.broken);
  return verdict.placement;
}

Placement Pool::place_fallback(const PoolSnapshot& snapshot, std::uint64_t key_hash,
                               std::span<const std::uint32_t> tried, config::Balance balance) {
  Placement placement = decide(snapshot, {}, key_hash, tried, balance).placement;
  if (placement.server) placement.decision = Decision::fallback;
  count(placement.decision);
  return placement;
}

Placement Pool::explain(const AffinityKey* key, std::uint64_t key_hash, Clock::time_point now) {
  StickTable::Lookup pin;
  if (stick_ && key) pin = stick_->peek(*key, now);
  return decide(*snapshot(), pin, key_hash, {}, config_.balance).placement;
}

void Pool::pin(const AffinityKey& key, const Server& server, Clock::time_point now) {
  if (stick_) stick_->pin(key, server.id, now);
}

}  // namespace tether::lb
