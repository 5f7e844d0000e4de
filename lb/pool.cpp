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
                                          "removed"};
  return names[static_cast<int>(c)];
}

Pool::Pool(const config::PoolConfig& config, std::chrono::milliseconds stick_timeout,
           std::uint64_t stick_capacity)
    : config_(config) {
  for (const auto& s : config_.servers)
    servers_.push_back(std::make_unique<Server>(static_cast<std::uint32_t>(servers_.size()), s));
  if (stick_timeout.count() > 0 && stick_capacity > 0)
    stick_ = std::make_unique<StickTable>(stick_capacity, stick_timeout);
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
  for (const auto& s : servers_) {
    if (!s->takes_new_clients()) continue;
    next->candidates.push_back(s->id);
    backends.push_back({s->name(), s->config.weight});
  }
  next->table = MaglevTable::build(backends, config_.hash_seed);
  std::lock_guard lock(publish_mutex_);
  current_ = std::move(next);
  generation_.fetch_add(1, std::memory_order_acq_rel);
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
    const Server& s = *servers_[snapshot.candidates[candidate]];
    return !is_tried(s.id) && s.has_capacity(config_.max_connections);
  };
  switch (balance) {
    case config::Balance::maglev: {
      const auto c =
          snapshot.table.pick_excluding(key_hash, [&](std::uint32_t c) { return !usable(c); });
      return c == MaglevTable::kNone ? nullptr : servers_[snapshot.candidates[c]].get();
    }
    case config::Balance::least_conn: {
      Server* best = nullptr;
      double best_load = std::numeric_limits<double>::max();
      for (std::uint32_t c = 0; c < snapshot.candidates.size(); ++c) {
        if (!usable(c)) continue;
        Server* s = servers_[snapshot.candidates[c]].get();
        const double load = double(s->active.load(std::memory_order_relaxed)) / s->config.weight;
        if (load < best_load) best = s, best_load = load;
      }
      return best;
    }
    case config::Balance::round_robin: {
      const std::size_t n = snapshot.candidates.size();
      const std::uint64_t start = round_robin_.fetch_add(1, std::memory_order_relaxed);
      for (std::size_t i = 0; i < n; ++i)
        if (const auto c = static_cast<std::uint32_t>((start + i) % n); usable(c))
          return servers_[snapshot.candidates[c]].get();
      return nullptr;
    }
  }
  return nullptr;
}

BreakCause Pool::unavailable_cause(const Server& server) {
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
  if (pin.status == Status::hit) {
    Server& pinned = *servers_[pin.server];
    if (pinned.takes_pinned_clients()) {
      if (pinned.has_capacity(config_.max_connections)) return {{&pinned, Decision::stick}, {}};
      // Full (max_connections): this connection goes elsewhere, the pin stays.
    } else {
      broken = unavailable_cause(pinned);
    }
  }
  Server* chosen = choose_new(snapshot, key_hash, tried, balance);
  if (!chosen) return {{nullptr, Decision::none}, broken};
  if (pin.status == Status::expired && pin.server != chosen->id) broken = BreakCause::expired;
  const Decision d = balance == config::Balance::maglev ? Decision::hash : Decision::fallback;
  return {{chosen, d}, broken};
}

Placement Pool::place(const PoolSnapshot& snapshot, const AffinityKey* key, std::uint64_t key_hash,
                      std::span<const std::uint32_t> tried, Clock::time_point now,
                      std::optional<config::Balance> balance) {
  StickTable::Lookup pin;
  if (stick_ && key && tried.empty()) pin = stick_->find(*key, now);
  const Verdict verdict = decide(snapshot, pin, key_hash, tried, balance.value_or(config_.balance));
  count(verdict.placement.decision);
  if (verdict.broken) count(*verdict.broken);
  return verdict.placement;
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
