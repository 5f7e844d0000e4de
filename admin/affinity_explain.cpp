#include "admin/affinity_explain.h"

#include <limits>

#include "admin/json_writer.h"

namespace tether::admin {

namespace {

// The first frontend that feeds `pool` with affinity of type `preferred`, else the first with any
// affinity, if any.
const lb::Frontend* sticky_frontend(const lb::Pool& pool,
                                    std::span<const std::unique_ptr<lb::Frontend>> frontends,
                                    config::AffinityType preferred) {
  for (const auto& frontend : frontends)
    if (&frontend->pool == &pool && frontend->config.affinity.type == preferred)
      return frontend.get();
  for (const auto& frontend : frontends)
    if (&frontend->pool == &pool && frontend->config.affinity.type != config::AffinityType::none)
      return frontend.get();
  return nullptr;
}

// Where cookie affinity's `fallback` places a request without a usable cookie, as Pool::place
// does with the balance override (no stick lookup: the cookie is the pin).
const lb::Server* fallback_choice(const lb::Pool& pool, config::Fallback fallback,
                                  std::uint64_t key_hash) {
  const auto snapshot = pool.snapshot();
  const auto max_connections = pool.config().max_connections;
  const auto server_of = [&](std::uint32_t candidate) {
    return pool.server(snapshot->candidates[candidate]);
  };
  switch (fallback) {
    case config::Fallback::source: {
      const auto c = snapshot->table.pick_excluding(
          key_hash, [&](std::uint32_t c) { return !server_of(c)->has_capacity(max_connections); });
      return c == lb::MaglevTable::kNone ? nullptr : server_of(c);
    }
    case config::Fallback::least_conn: {
      const lb::Server* best = nullptr;
      double best_load = std::numeric_limits<double>::max();
      for (std::uint32_t c = 0; c < snapshot->candidates.size(); ++c) {
        const lb::Server* s = server_of(c);
        if (!s->has_capacity(max_connections)) continue;
        const double load = double(s->active.load(std::memory_order_relaxed)) /
                            s->weight.load(std::memory_order_relaxed);
        if (load < best_load) best = s, best_load = load;
      }
      return best;
    }
    case config::Fallback::round_robin:
      return nullptr;
  }
  return nullptr;
}

bool has_usable_server(const lb::Pool& pool) {
  const auto max_connections = pool.config().max_connections;
  for (const std::uint32_t id : pool.snapshot()->candidates)
    if (pool.server(id)->has_capacity(max_connections)) return true;
  return false;
}

}  // namespace

Explanation explain_client(lb::Pool& pool, std::span<const std::unique_ptr<lb::Frontend>> frontends,
                           const asio::ip::address& client, const std::string* cookie,
                           lb::Clock::time_point now) {
  const asio::ip::address address = lb::canonical(client);
  // A pool may be fed by cookie and source frontends with masks of their own: a cookie asks
  // about the cookie frontends, an address alone about the stick table's.
  const lb::Frontend* sticky = sticky_frontend(
      pool, frontends, cookie ? config::AffinityType::cookie : config::AffinityType::source);
  const config::AffinityConfig* affinity = sticky ? &sticky->config.affinity : nullptr;
  const unsigned ipv4_mask = affinity ? affinity->ipv4_mask : 32;
  const unsigned ipv6_mask = affinity ? affinity->ipv6_mask : 128;
  const lb::AffinityKey key = lb::source_key(address, ipv4_mask, ipv6_mask);
  const std::uint64_t hash = lb::key_hash(key, pool.config().hash_seed);

  Explanation result;
  result.client = address.to_string();
  result.key = key.to_string(key.family == 4 ? ipv4_mask : ipv6_mask);
  if (affinity && affinity->type == config::AffinityType::cookie) {
    if (cookie && sticky->cookies) {
      if (const auto id = sticky->cookies->server(*cookie)) {
        const lb::Server& named = *pool.server(*id);
        if (named.takes_pinned_clients() && named.has_capacity(pool.config().max_connections)) {
          result.server = &named;
          result.reason = lb::Decision::cookie;
          return result;
        }
      }
    }
    result.server = fallback_choice(pool, affinity->fallback, hash);
    const bool placed = result.server || (affinity->fallback == config::Fallback::round_robin &&
                                          has_usable_server(pool));
    result.reason = placed ? lb::Decision::fallback : lb::Decision::none;
    return result;
  }
  const lb::Placement placement = pool.explain(affinity ? &key : nullptr, hash, now);
  result.server = placement.server;
  result.reason = placement.decision;
  return result;
}

std::string explanation_json(const lb::Pool& pool, const Explanation& explanation) {
  JsonWriter json;
  json.begin_object()
      .field("pool", pool.name())
      .field("client", explanation.client)
      .field("key", explanation.key);
  json.key("server");
  if (explanation.server)
    json.value(explanation.server->name());
  else
    json.null();
  json.field("reason", lb::to_string(explanation.reason)).end_object();
  return json.text();
}

}  // namespace tether::admin
