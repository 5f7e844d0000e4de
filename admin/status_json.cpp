#include "admin/status_json.h"

#include <ctime>

namespace tether::admin {

namespace {

std::string endpoint_text(const asio::ip::tcp::endpoint& e) {
  const auto a = e.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

void write_frontend(JsonWriter& json, const lb::Daemon& daemon, const lb::Frontend& frontend) {
  json.begin_object().field("name", frontend.name());
  json.key("listen").begin_array();
  const auto bound = daemon.listening(frontend.name());
  if (bound.empty()) {  // not bound (yet): the addresses as configured
    for (const auto& address : frontend.config.listen)
      json.value(address.text);
  } else {
    for (const auto& endpoint : bound)
      json.value(endpoint_text(endpoint));
  }
  json.end_array();
  json.field("mode", config::to_string(frontend.config.mode))
      .field("pool", frontend.pool.name())
      .field("active", frontend.active.load(std::memory_order_relaxed))
      .field("accepted", frontend.accepted.load(std::memory_order_relaxed));
  if (frontend.config.tls) {
    json.key("tls").begin_object();
    json.field("min_version", config::to_string(frontend.config.tls->min_version));
    json.key("certificates").begin_array();
    for (const auto& c : frontend.config.tls->certificates) {
      json.begin_object().field("file", c.cert_file);
      json.key("names").begin_array();
      for (const auto& name : c.names)
        json.value(name);
      json.end_array();
      json.field("not_after", format_time(c.not_after)).end_object();
    }
    json.end_array();
    json.key("handshakes").begin_object();
    for (std::size_t r = 0; r < lb::kTlsHandshakeResults.size(); ++r)
      json.field(lb::kTlsHandshakeResults[r],
                 frontend.counters->tls_handshakes[r].load(std::memory_order_relaxed));
    json.end_object().end_object();
  }
  json.end_object();
}

void write_pool(JsonWriter& json, const lb::Daemon& daemon, const lb::Pool& pool,
                lb::Clock::time_point now) {
  const StickCounts stick = count_stick_entries(pool, now);
  json.begin_object().field("name", pool.name()).field("stick_entries", stick.live);
  json.key("breaks").begin_object();
  for (int c = 0; c < static_cast<int>(lb::BreakCause::count_); ++c) {
    const auto cause = static_cast<lb::BreakCause>(c);
    json.field(lb::to_string(cause), pool.breaks(cause));
  }
  json.end_object();
  json.key("decisions").begin_object();
  for (int d = 0; d < static_cast<int>(lb::Decision::count_); ++d) {
    const auto decision = static_cast<lb::Decision>(d);
    json.field(lb::to_string(decision), pool.decisions(decision));
  }
  json.end_object();
  json.key("servers").begin_array();
  for (const auto& server : pool.servers())
    write_server(json, daemon, pool, *server, stick.per_server[server->id]);
  json.end_array().end_object();
}

}  // namespace

std::string format_time(std::chrono::system_clock::time_point time) {
  const std::time_t seconds =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(time));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

StickCounts count_stick_entries(const lb::Pool& pool, lb::Clock::time_point now) {
  StickCounts counts;
  counts.per_server.assign(pool.id_limit(), 0);
  const lb::StickTable* table = pool.stick_table();
  if (!table) return counts;
  const auto timeout = table->timeout();
  table->for_each([&](const lb::AffinityKey&, std::uint32_t server, lb::Clock::time_point used) {
    if (used + timeout <= now) return;  // expired: StickTable::peek says the same
    ++counts.live;
    if (server < counts.per_server.size()) ++counts.per_server[server];
  });
  return counts;
}

void write_server(JsonWriter& json, const lb::Daemon& daemon, const lb::Pool& pool,
                  const lb::Server& server, std::uint64_t pinned) {
  constexpr auto relaxed = std::memory_order_relaxed;
  json.begin_object()
      .field("name", server.name())
      .field("address", server.config.address.text)
      .field("weight", server.weight.load(relaxed))
      .field("admin_state", lb::to_string(server.admin_state.load(relaxed)))
      .field("health", server.healthy.load(relaxed) ? "up" : "down")
      .field("active", server.active.load(relaxed))
      .field("total", server.total.load(relaxed))
      .field("bytes_in", server.bytes_in.load(relaxed))
      .field("bytes_out", server.bytes_out.load(relaxed))
      .field("pinned", pinned);
  json.key("drain_deadline");
  if (server.drain_deadline)
    json.value(format_time(*server.drain_deadline));
  else
    json.null();
  json.key("last_check");
  const health::Checker* checker = daemon.health().checker(pool, server);
  // Null without checks, and until the first check has completed.
  if (checker && !checker->last().detail.empty()) {
    const health::CheckResult& last = checker->last();
    json.begin_object()
        .field("ok", last.ok)
        .field("detail", last.detail)
        .field("at", format_time(last.at))
        .field("latency_ms", static_cast<double>(last.latency.count()) / 1000.0)
        .end_object();
  } else {
    json.null();
  }
  json.end_object();
}

std::string server_json(const lb::Daemon& daemon, const lb::Pool& pool, const lb::Server& server) {
  const StickCounts stick = count_stick_entries(pool, lb::Clock::now());
  JsonWriter json;
  write_server(json, daemon, pool, server, stick.per_server[server.id]);
  return json.text();
}

std::string status_json(const lb::Daemon& daemon) {
  const auto uptime = std::chrono::steady_clock::now() - daemon.started();
  const auto now = lb::Clock::now();
  JsonWriter json;
  json.begin_object()
      .field("version", TETHER_VERSION)
      .field("uptime_s", std::chrono::duration_cast<std::chrono::seconds>(uptime).count())
      .field("token_required", daemon.config().admin && !daemon.config().admin->token.empty());
  json.key("frontends").begin_array();
  for (const auto& frontend : daemon.frontends())
    write_frontend(json, daemon, *frontend);
  json.end_array();
  json.key("pools").begin_array();
  for (const auto& pool : daemon.pools())
    write_pool(json, daemon, *pool, now);
  json.end_array().end_object();
  return json.text();
}

}  // namespace tether::admin
