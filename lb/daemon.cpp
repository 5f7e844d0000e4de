#include "lb/daemon.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <thread>

#include "config/loader.h"
#include "lb/certificate_expiry.h"
#include "lb/listener.h"
#include "lb/moved_share.h"
#include "lb/probe_bind.h"

namespace tether::lb {

namespace {

// How often the stick tables are written to `state_file` besides at stop: a crash loses at most
// this much of new pins (docs/reload.md).
constexpr auto kStateSaveInterval = std::chrono::seconds(60);
constexpr auto kStickSweepInterval = std::chrono::seconds(60);
// How often retired configurations are checked for their last connection.
constexpr auto kRetireCheckInterval = std::chrono::milliseconds(200);

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

std::string listener_key(const std::string& frontend, const config::Address& address) {
  return frontend + " " + address.text;
}

std::size_t pool_index(const std::vector<std::unique_ptr<Pool>>& pools, const std::string& name) {
  std::size_t index = 0;
  while (pools[index]->name() != name)
    ++index;  // validated: the pool exists
  return index;
}

// The share of `before`'s hash space that `after` gives to another server.
double moved(const Pool& before, const Pool& after) {
  const auto names = [](const Pool& pool, const PoolSnapshot& snapshot) {
    std::vector<std::string> result;
    for (const std::uint32_t id : snapshot.candidates)
      result.push_back(pool.server(id)->name());
    return result;
  };
  const auto a = before.snapshot();
  const auto b = after.snapshot();
  return moved_share(a->table, names(before, *a), b->table, names(after, *b));
}

// A table replaced because its size or timeout changed keeps its entries (LRU order too).
void copy_entries(const StickTable& from, StickTable& to) {
  struct Entry {
    AffinityKey key;
    std::uint32_t server;
    Clock::time_point used;
  };
  std::vector<Entry> entries;
  from.for_each([&](const AffinityKey& key, std::uint32_t server, Clock::time_point used) {
    entries.push_back({key, server, used});
  });
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const auto& e : entries)
    to.pin(e.key, e.server, e.used);
}

void warn_expiring_certificates(const config::Config& config) {
  for (const auto& line : certificate_expiry_warnings(config, std::chrono::system_clock::now()))
    spdlog::warn("{}", line);
}

// `verify: false` is allowed only when written, and said at every start and reload.
void warn_unverified(const std::vector<std::unique_ptr<Pool>>& pools) {
  for (const auto& pool : pools)
    if (pool->tls() && !pool->config().tls.verify)
      spdlog::warn(
          "pool {}: tls.verify is false: the servers' certificates are not verified, so "
          "anyone on the path to them can impersonate them",
          pool->name());
}

std::string percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", share * 100.0);
  return text;
}

}  // namespace

Daemon::Daemon(config::Config config)
    : control_work_(control_.get_executor()),
      config_(std::move(config)),
      access_log_(config_.log.access),
      shutdown_timer_(control_),
      retire_timer_(control_),
      state_timer_(control_),
      sweep_timer_(control_) {
  for (const auto& p : config_.pools) {
    const auto [timeout, capacity] = stick_settings(config_, p.name);
    pools_.push_back(std::make_unique<Pool>(p, timeout, capacity));
    install_observers(*pools_.back());
  }
  for (const auto& f : config_.frontends) {
    const std::size_t index = pool_index(pools_, f.pool);
    frontends_.push_back(std::make_unique<Frontend>(f, *pools_[index], index));
  }
  warn_expiring_certificates(config_);
  warn_unverified(pools_);
  health_ = std::make_unique<health::Monitor>(control_, pools_);
  pool_slots_ = pools_.size();
  const unsigned n = worker_count_for(config_.threads);
  for (unsigned i = 0; i < n; ++i)
    workers_.push_back(std::make_unique<Worker>(i, pool_slots_, access_log_));
  restore_state();
}

Daemon::~Daemon() {
  for (auto& w : workers_)
    w->stop();
  for (auto& w : workers_)
    w->join();
}

void Daemon::install_observers(Pool& pool) {
  const auto& health = pool.config().health;
  if (health.type == config::HealthConfig::Type::none || !health.observe) return;
  // Workers call this; checkers live on the control thread, and a reload may replace them, so
  // the report names the pool and finds the current checker there. Server objects live as long
  // as the daemon.
  pool.set_connect_failure_observer([this, name = pool.name()](Server& server) {
    asio::post(control_, [this, name, &server] { health_->observe_connect_failure(name, server); });
  });
}

std::optional<std::string> Daemon::open_listeners(
    const Frontend& frontend, const config::Address& address,
    std::vector<std::unique_ptr<Listener>>& per_worker, asio::ip::tcp::endpoint& endpoint,
    bool probe_only) {
  endpoint = address.endpoint;
  const auto fail = [&](std::error_code ec) {
    return "cannot listen on " + address.text + " (frontend " + frontend.name() +
           "): " + ec.message();
  };
  // Every worker binds with SO_REUSEPORT, which would silently share the port with another
  // process doing the same; the probe makes "address in use" an error and resolves port 0.
  if (auto ec = probe_bind(endpoint)) return fail(ec);
  if (probe_only) return std::nullopt;
  for (auto& worker : workers_) {
    // The session factory needs a mutable frontend (counters); the listener only hands it on.
    auto listener = std::make_unique<Listener>(*worker, const_cast<Frontend&>(frontend));
    if (auto ec = listener->open(endpoint)) return fail(ec);
    per_worker.push_back(std::move(listener));
  }
  return std::nullopt;
}

std::optional<std::string> Daemon::bind() {
  for (auto& frontend : frontends_) {
    for (const auto& address : frontend->config.listen) {
      std::vector<std::unique_ptr<Listener>> per_worker;
      asio::ip::tcp::endpoint endpoint;
      if (auto error = open_listeners(*frontend, address, per_worker, endpoint)) return error;
      const std::string key = listener_key(frontend->name(), address);
      for (std::size_t i = 0; i < workers_.size(); ++i)
        workers_[i]->add_listener(key, std::move(per_worker[i]));
      bound_.push_back({key, frontend->name(), endpoint});
      spdlog::info("frontend {} listening on {} ({} workers)", frontend->name(), describe(endpoint),
                   workers_.size());
    }
  }
  return std::nullopt;
}

std::vector<asio::ip::tcp::endpoint> Daemon::listening(const std::string& frontend) const {
  std::vector<asio::ip::tcp::endpoint> result;
  for (const auto& b : bound_)
    if (b.frontend == frontend) result.push_back(b.endpoint);
  return result;
}

Pool* Daemon::find_pool(const std::string& name) const {
  for (const auto& p : pools_)
    if (p->name() == name) return p.get();
  return nullptr;
}

std::uint64_t Daemon::active_connections() const {
  // Frontends of one name share their counters across reloads: count each set once.
  std::vector<const FrontendCounters*> counted;
  std::uint64_t n = 0;
  const auto add = [&](const Frontend& f) {
    if (std::find(counted.begin(), counted.end(), f.counters.get()) != counted.end()) return;
    counted.push_back(f.counters.get());
    n += f.active.load(std::memory_order_relaxed);
  };
  for (const auto& f : frontends_)
    add(*f);
  for (const auto& r : retired_)
    for (const auto& f : r.frontends)
      add(*f);
  return n;
}

void Daemon::run() {
  for (auto& w : workers_)
    w->start();
  health_->start();
  schedule_state_save();
  schedule_stick_sweep();
  control_.run();
}

// ---- reload ------------------------------------------------------------------------------------

void Daemon::apply(const Overrides& overrides, config::Config& config) {
  if (overrides.threads) config.threads = *overrides.threads;
  if (overrides.log_level) config.log.level = *overrides.log_level;
}

void Daemon::keep_overrides(Overrides overrides) {
  overrides_ = std::move(overrides);
  apply(overrides_, config_);
}

Daemon::ReloadOutcome Daemon::reload(bool dry_run) {
  auto loaded = config::load_file(config_.file);
  if (loaded.ok()) return reload(std::move(*loaded.config), dry_run);
  ReloadOutcome outcome;
  outcome.dry_run = dry_run;
  outcome.errors = std::move(loaded.errors);
  if (!dry_run) reloads.failed.fetch_add(1, std::memory_order_relaxed);
  std::string all;
  for (const auto& e : outcome.errors)
    all += (all.empty() ? "" : "; ") + e;
  spdlog::error("{}reload refused, still serving configuration generation {}: {}",
                dry_run ? "dry-run " : "", reloads.generation.load(), all);
  return outcome;
}

Daemon::ReloadOutcome Daemon::reload(config::Config config, bool dry_run) {
  apply(overrides_, config);
  ReloadOutcome outcome;
  outcome.dry_run = dry_run;
  const auto refuse = [&](std::string error) {
    outcome.errors.push_back(std::move(error));
    if (!dry_run) reloads.failed.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("{}reload refused, still serving configuration generation {}: {}",
                  dry_run ? "dry-run " : "", reloads.generation.load(), outcome.errors.back());
    return outcome;
  };
  if (stopping_) return refuse("stopping: no reload");

  // The new pools share their servers (and, when its settings are unchanged, the stick table)
  // with the pools of the same name; nothing is changed until the commit below.
  std::vector<std::unique_ptr<Pool>> pools;
  for (const auto& p : config.pools) {
    Pool* before = find_pool(p.name);
    const auto [timeout, capacity] = stick_settings(config, p.name);
    std::shared_ptr<StickTable> stick;
    if (timeout.count() > 0 && capacity > 0) {
      const StickTable* old = before ? before->stick_table() : nullptr;
      if (old && old->capacity() == capacity && old->timeout() == timeout)
        stick = before->shared_stick_table();
      else if (!dry_run)
        stick = std::make_shared<StickTable>(capacity, timeout);
    }
    pools.push_back(std::make_unique<Pool>(p, std::move(stick), before));
  }
  for (const auto& pool : pools) {
    const Pool* before = find_pool(pool->name());
    outcome.moved.emplace_back(pool->name(), before ? moved(*before, *pool) : 1.0);
  }
  for (const auto& old : pools_)
    if (!config.find_pool(old->name())) outcome.moved.emplace_back(old->name(), 1.0);
  std::string moves;
  for (const auto& [name, share] : outcome.moved)
    moves += (moves.empty() ? "" : ", ") + name + " " + percent(share);
  std::vector<std::unique_ptr<Frontend>> frontends;
  for (const auto& f : config.frontends) {
    const std::size_t index = pool_index(pools, f.pool);
    std::shared_ptr<FrontendCounters> counters;
    for (const auto& old : frontends_)
      if (old->name() == f.name) counters = old->counters;
    try {
      frontends.push_back(std::make_unique<Frontend>(f, *pools[index], index, std::move(counters)));
    } catch (const std::exception& e) {  // a certificate OpenSSL refuses
      return refuse(config.file + ":" + std::to_string(f.mark.line) + ": frontend " + f.name +
                    ": " + e.what());
    }
  }

  // Listeners: an address a frontend of the same name listened on already is kept (handed over,
  // never closed); new ones are opened now, so that a bind failure refuses the whole reload.
  std::vector<Bound> bound;
  std::vector<std::pair<std::string, Frontend*>> kept;
  std::vector<std::vector<std::pair<std::string, std::unique_ptr<Listener>>>> added(
      workers_.size());
  for (const auto& frontend : frontends) {
    for (const auto& address : frontend->config.listen) {
      const std::string key = listener_key(frontend->name(), address);
      const auto old =
          std::find_if(bound_.begin(), bound_.end(), [&](const Bound& b) { return b.key == key; });
      if (old != bound_.end()) {
        kept.emplace_back(key, frontend.get());
        bound.push_back({key, frontend->name(), old->endpoint});
        continue;
      }
      std::vector<std::unique_ptr<Listener>> per_worker;
      asio::ip::tcp::endpoint endpoint;
      if (auto error = open_listeners(*frontend, address, per_worker, endpoint, dry_run))
        return refuse(config.file + ":" + std::to_string(frontend->config.mark.line) + ": " +
                      *error);
      if (dry_run) continue;
      for (std::size_t i = 0; i < workers_.size(); ++i)
        added[i].emplace_back(key, std::move(per_worker[i]));
      bound.push_back({key, frontend->name(), endpoint});
      spdlog::info("frontend {} listening on {} ({} workers)", frontend->name(), describe(endpoint),
                   workers_.size());
    }
  }
  // A dry run answers as the reload would: it stops here, after everything that can refuse it
  // (certificates, addresses) was tried.
  if (dry_run) {
    outcome.ok = true;
    spdlog::info("dry-run reload of {}: valid; hash space that would move: {}", config.file, moves);
    return outcome;
  }
  std::vector<std::string> removed;
  for (const auto& b : bound_)
    if (std::none_of(bound.begin(), bound.end(), [&](const Bound& n) { return n.key == b.key; })) {
      removed.push_back(b.key);
      spdlog::info("frontend {} stops listening on {}", b.frontend, describe(b.endpoint));
    }

  // Commit. Servers: states carry over (shared objects), removed ones are flagged.
  for (auto& pool : pools) {
    if (Pool* before = find_pool(pool->name())) {
      StickTable* to = pool->stick_table();
      if (to && before->stick_table() && to != before->stick_table())
        copy_entries(*before->stick_table(), *to);
      for (auto& gone : pool->take_over(*before)) {
        drain_timers_.erase(gone.get());
        former_servers_.push_back(std::move(gone));
      }
    }
    install_observers(*pool);
    // A server whose address changed is a new object: its drain deadline needs its own timer.
    for (const auto& s : pool->servers())
      if (s->drain_deadline && !drain_timers_.contains(s.get()))
        arm_drain_timer(pool->name(), *s,
                        std::max(config::Duration(0),
                                 std::chrono::duration_cast<config::Duration>(
                                     *s->drain_deadline - std::chrono::system_clock::now())));
  }
  for (auto& old : pools_) {
    if (config.find_pool(old->name())) continue;
    for (const auto& s : old->servers()) {
      s->removed.store(true, std::memory_order_relaxed);
      drain_timers_.erase(s.get());
      former_servers_.push_back(s);
    }
    old->republish();
  }

  Retired retired;
  warn_unverified(pools);
  retired.monitor = std::move(health_);
  retired.monitor->stop();
  health_ = std::make_unique<health::Monitor>(control_, pools, retired.monitor.get());
  health_->start();

  pool_slots_ = std::max(pool_slots_, pools.size());
  retired.epoch = epoch_++;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    Worker::ListenerChanges changes;
    changes.pool_slots = pool_slots_;
    changes.kept = kept;
    changes.removed = removed;
    changes.added = std::move(added[i]);
    workers_[i]->reconfigure(std::move(changes));
  }
  retired.pools = std::move(pools_);
  retired.frontends = std::move(frontends_);
  retired_.push_back(std::move(retired));
  pools_ = std::move(pools);
  frontends_ = std::move(frontends);
  bound_ = std::move(bound);

  // What a running process cannot change (docs/reload.md): said, not silently ignored.
  if (worker_count_for(config.threads) != workers_.size())
    spdlog::warn("reload: threads changed; takes effect at the next restart");
  if (config.log.access != config_.log.access)
    spdlog::warn("reload: log.access changed; takes effect at the next restart");
  const bool admin_moved =
      config.admin.has_value() != config_.admin.has_value() ||
      (config.admin && config.admin->listen.text != config_.admin->listen.text);
  if (admin_moved) {
    spdlog::warn("reload: admin.listen changed; takes effect at the next restart");
    config.admin = config_.admin;
  } else if (config.admin && config.admin->token != config_.admin->token) {
    // A rotated token file: the old token stops working now (admin/routes.cpp reads it live).
    spdlog::info("reload: admin token replaced");
  }
  config.log.access = config_.log.access;
  config.threads = config_.threads;
  if (config.log.level != config_.log.level)
    spdlog::set_level(spdlog::level::from_str(config.log.level));
  config_ = std::move(config);

  reloads.ok.fetch_add(1, std::memory_order_relaxed);
  const auto generation = reloads.generation.fetch_add(1, std::memory_order_relaxed) + 1;
  outcome.ok = true;
  spdlog::info("reload applied: configuration generation {}; hash space moved: {}", generation,
               moves);
  warn_expiring_certificates(config_);
  watch_retired();
  return outcome;
}

void Daemon::watch_retired() {
  if (retire_watch_armed_ || retired_.empty()) return;
  retire_watch_armed_ = true;
  retire_timer_.expires_after(kRetireCheckInterval);
  retire_timer_.async_wait([this](std::error_code ec) {
    retire_watch_armed_ = false;
    if (ec) return;
    const auto workers = static_cast<unsigned>(workers_.size());
    for (auto it = retired_.begin(); it != retired_.end();) {
      Retired& r = *it;
      if (!r.checking) {
        // Each worker counts the configuration's sessions on its own thread, after its switch of
        // listeners and never in the middle of a session's destructor.
        r.checking = true;
        r.answers->store(0);
        r.idle->store(0);
        for (auto& w : workers_)
          w->post([w = w.get(), epoch = r.epoch, answers = r.answers, idle = r.idle] {
            if (w->sessions_of(epoch) == 0) idle->fetch_add(1);
            answers->fetch_add(1);
          });
      } else if (r.answers->load() == workers) {
        if (r.idle->load() == workers) {
          free_retired(r);
          it = retired_.erase(it);
          continue;
        }
        r.checking = false;  // connections left: ask again next time
      }
      ++it;
    }
    watch_retired();
  });
}

void Daemon::free_retired(Retired& retired) {
  for (const auto& old : retired.pools) {
    for (const auto& p : pools_)
      p->forget(*old);
    for (const auto& r : retired_)
      for (const auto& p : r.pools)
        p->forget(*old);
  }
  retired.monitor.reset();
  retired.frontends.clear();
  retired.pools.clear();
  spdlog::debug("a replaced configuration's last connection ended; released");
}

// ---- admin states --------------------------------------------------------------------------

void Daemon::arm_drain_timer(const std::string& pool_name, Server& server, config::Duration after) {
  auto& timer = drain_timers_.try_emplace(&server, control_).first->second;
  timer.expires_after(after);
  // The pool is found by name when the deadline comes: a reload may have replaced it.
  timer.async_wait([this, pool_name, &server](std::error_code ec) {
    if (ec) return;
    spdlog::warn("pool {} server {}: drain deadline reached, now maint", pool_name, server.name());
    server.drain_deadline.reset();
    server.admin_state.store(AdminState::maint, std::memory_order_relaxed);
    server.maint_from_deadline.store(true, std::memory_order_relaxed);
    if (Pool* pool = find_pool(pool_name)) pool->republish();
    drain_timers_.erase(&server);  // destroys this handler's timer: nothing may follow
  });
}

void Daemon::set_server_state(Pool& pool, Server& server, AdminState state,
                              std::optional<config::Duration> drain_deadline) {
  drain_timers_.erase(&server);
  server.drain_deadline.reset();
  server.maint_from_deadline.store(false, std::memory_order_relaxed);
  const AdminState before = server.admin_state.exchange(state, std::memory_order_relaxed);
  if (state == AdminState::drain && drain_deadline) {
    server.drain_deadline = std::chrono::system_clock::now() + *drain_deadline;
    arm_drain_timer(pool.name(), server, *drain_deadline);
  }
  pool.republish();
  spdlog::warn("pool {} server {}: admin state {} -> {}{}", pool.name(), server.name(),
               to_string(before), to_string(state),
               drain_deadline ? " (maint in " + std::to_string(drain_deadline->count()) + "ms)"
                              : std::string());
}

// ---- state file ----------------------------------------------------------------------------

StickState Daemon::capture_state() const {
  StickState state;
  state.written_at_ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  const auto now = Clock::now();
  for (const auto& pool : pools_) {
    const StickTable* table = pool->stick_table();
    if (!table) continue;
    StickState::PoolEntries entries;
    entries.name = pool->name();
    for (std::uint32_t id = 0; id < pool->id_limit(); ++id)
      entries.servers.push_back(pool->server(id)->name());
    table->for_each([&](const AffinityKey& key, std::uint32_t server, Clock::time_point used) {
      const Server* s = pool->server(server);
      if (!s || s->removed.load(std::memory_order_relaxed) || used + table->timeout() <= now)
        return;
      entries.entries.push_back(
          {key, server, std::chrono::duration_cast<std::chrono::milliseconds>(now - used)});
    });
    state.pools.push_back(std::move(entries));
  }
  return state;
}

void Daemon::save_state() {
  if (config_.state_file.empty()) return;
  const StickState state = capture_state();
  std::size_t entries = 0;
  for (const auto& p : state.pools)
    entries += p.entries.size();
  if (auto error = write_file_atomically(config_.state_file, encode_state(state)))
    spdlog::warn("state file not written: {}", *error);
  else
    spdlog::debug("state file {}: {} stick entries of {} pools written", config_.state_file,
                  entries, state.pools.size());
}

void Daemon::restore_state() {
  const std::string& path = config_.state_file;
  if (path.empty()) return;
  std::string error;
  const auto bytes = read_whole_file(path, error);
  if (!bytes) {
    if (error.empty())
      spdlog::info("state file {} does not exist yet: stick tables start empty", path);
    else
      spdlog::warn("state file ignored, stick tables start empty: {}", error);
    return;
  }
  auto decoded = decode_state(*bytes);
  if (!decoded.ok()) {
    spdlog::warn("state file {} ignored, stick tables start empty: {}", path, decoded.error);
    return;
  }
  // Entries age while Tether is down: one that would have expired meanwhile is not restored.
  const auto wall_now =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  const std::chrono::milliseconds downtime(
      wall_now > decoded.value->written_at_ms ? wall_now - decoded.value->written_at_ms : 0);
  const auto now = Clock::now();
  std::size_t restored = 0, dropped = 0, expired = 0;
  for (auto& entries : decoded.value->pools) {
    const Pool* pool = find_pool(entries.name);
    StickTable* table = pool ? pool->stick_table() : nullptr;
    if (!table) {
      dropped += entries.entries.size();
      continue;
    }
    std::vector<std::optional<std::uint32_t>> ids;
    for (const auto& name : entries.servers) {
      const Server* s = pool->find_server(name);
      ids.push_back(s ? std::optional(s->id) : std::nullopt);
    }
    // Least recently used first, so the table's LRU order is the one that was saved.
    std::sort(entries.entries.begin(), entries.entries.end(),
              [](const auto& a, const auto& b) { return a.idle > b.idle; });
    for (const auto& e : entries.entries) {
      const auto idle = e.idle + downtime;
      if (idle >= table->timeout()) {
        ++expired;
        continue;
      }
      if (!ids[e.server]) {
        ++dropped;
        continue;
      }
      table->pin(e.key, *ids[e.server], now - idle);
      ++restored;
    }
  }
  spdlog::info(
      "state file {}: {} stick entries restored ({} of unknown pools or servers dropped, {} "
      "expired)",
      path, restored, dropped, expired);
}

void Daemon::schedule_state_save() {
  state_timer_.expires_after(kStateSaveInterval);
  state_timer_.async_wait([this](std::error_code ec) {
    if (ec || stopping_) return;
    save_state();
    schedule_state_save();
  });
}

// Expired stick entries are removed lazily, by the lookup of a returning client, which then
// counts the broken affinity. Entries idle for twice their timeout are swept, so clients that
// never return give their memory back; one returning even later counts as a new client.
void Daemon::schedule_stick_sweep() {
  sweep_timer_.expires_after(kStickSweepInterval);
  sweep_timer_.async_wait([this](std::error_code ec) {
    if (ec || stopping_) return;
    for (const auto& pool : pools_)
      if (StickTable* table = pool->stick_table())
        table->expire(std::chrono::steady_clock::now() - table->timeout());
    schedule_stick_sweep();
  });
}

// ---- stop ----------------------------------------------------------------------------------

void Daemon::shutdown() {
  asio::post(control_, [this] {
    if (stopping_) return;
    stopping_ = true;
    health_->stop();
    state_timer_.cancel();
    sweep_timer_.cancel();
    spdlog::info("stopping: listeners closed, {} connections open, grace {}ms",
                 active_connections(), config_.shutdown_grace.count());
    for (auto& w : workers_)
      w->wind_down();
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
  save_state();  // after the workers: the last pins are in
  retire_timer_.cancel();
  spdlog::info("stopped");
  control_work_.reset();
  control_.stop();
}

}  // namespace tether::lb
