#include "admin/metrics.h"

#include <array>

#include "admin/metrics_text.h"
#include "admin/status_json.h"
#include "lb/certificate_expiry.h"

namespace tether::admin {

namespace {

constexpr auto relaxed = std::memory_order_relaxed;

template <typename Atomic>
std::uint64_t get(const Atomic& value) {
  return static_cast<std::uint64_t>(value.load(relaxed));
}

// TLS frontends: handshakes, and the certificates' expiry (docs/tls.md "Frontends" has the
// alert rules).
void tls_metrics(MetricsText& m, std::span<const std::unique_ptr<lb::Frontend>> frontends) {
  m.family("tether_frontend_tls_handshakes_total", "counter",
           "Client TLS handshakes by result: ok, failed (not TLS, a refused version or cipher, a "
           "bad message), timeout (not finished in time), closed (the client left first).");
  for (const auto& f : frontends) {
    if (!f->tls) continue;
    for (std::size_t r = 0; r < lb::kTlsHandshakeResults.size(); ++r)
      m.sample({{"frontend", f->name()}, {"result", lb::kTlsHandshakeResults[r]}},
               get(f->counters->tls_handshakes[r]));
  }
  const auto now = std::chrono::system_clock::now();
  const auto each_certificate = [&](auto&& emit) {
    for (const auto& f : frontends)
      if (f->config.tls)
        for (const auto& c : f->config.tls->certificates)
          emit(*f, c);
  };
  m.family("tether_tls_certificate_expiry_timestamp_seconds", "gauge",
           "A frontend certificate's notAfter, as a Unix time.");
  each_certificate([&](const lb::Frontend& f, const config::TlsCertificate& c) {
    m.sample({{"frontend", f.name()}, {"certificate", c.cert_file}},
             static_cast<double>(
                 std::chrono::duration_cast<std::chrono::seconds>(c.not_after.time_since_epoch())
                     .count()));
  });
  m.family("tether_tls_certificate_expiring", "gauge",
           "1 when a frontend certificate has expired or expires within 30 days, else 0.");
  each_certificate([&](const lb::Frontend& f, const config::TlsCertificate& c) {
    m.sample({{"frontend", f.name()}, {"certificate", c.cert_file}},
             std::uint64_t{lb::expiring(c, now) ? 1u : 0u});
  });
}

void frontend_metrics(MetricsText& m, const lb::Daemon& daemon) {
  const auto frontends = daemon.frontends();
  m.family("tether_frontend_connections_total", "counter", "Client connections accepted.");
  for (const auto& f : frontends)
    m.sample({{"frontend", f->name()}}, get(f->accepted));
  m.family("tether_frontend_active_connections", "gauge", "Client connections open now.");
  for (const auto& f : frontends)
    m.sample({{"frontend", f->name()}}, get(f->active));
  m.family("tether_frontend_bytes_total", "counter",
           "Bytes relayed: in = client to server, out = server to client. Added when a "
           "connection (tcp) or a request (http) ends.");
  for (const auto& f : frontends) {
    m.sample({{"frontend", f->name()}, {"direction", "in"}}, get(f->bytes_in));
    m.sample({{"frontend", f->name()}, {"direction", "out"}}, get(f->bytes_out));
  }
  m.family("tether_frontend_errors_total", "counter",
           "Client connections or requests that could not be served, by kind: no_server (no "
           "usable server), connect_failed (every attempt and retry failed), refused (PROXY "
           "header missing, invalid or from an untrusted address).");
  for (const auto& f : frontends) {
    m.sample({{"frontend", f->name()}, {"kind", "no_server"}}, get(f->no_server));
    m.sample({{"frontend", f->name()}, {"kind", "connect_failed"}}, get(f->connect_failed));
    m.sample({{"frontend", f->name()}, {"kind", "refused"}}, get(f->refused));
  }

  // http mode only: tcp frontends have no responses.
  m.family("tether_http_responses_total", "counter",
           "HTTP responses sent to clients by status code, the servers' and Tether's own.");
  for (const auto& f : frontends) {
    if (f->config.mode != config::Mode::http) continue;
    for (unsigned code = 100; code < f->http_responses.size(); ++code)
      if (const auto n = get(f->http_responses[code]))
        m.sample({{"frontend", f->name()}, {"code", std::to_string(code)}}, n);
  }
  m.family("tether_http_responses_by_class_total", "counter",
           "HTTP responses sent to clients by status class (1xx..5xx).");
  for (const auto& f : frontends) {
    if (f->config.mode != config::Mode::http) continue;
    for (unsigned c = 1; c <= 5; ++c) {
      std::uint64_t n = 0;
      for (unsigned code = c * 100; code < c * 100 + 100; ++code)
        n += get(f->http_responses[code]);
      m.sample({{"frontend", f->name()}, {"class", std::to_string(c) + "xx"}}, n);
    }
  }
  m.family("tether_http_request_duration_seconds", "histogram",
           "HTTP requests, from the request head received to the response sent.");
  for (const auto& f : frontends)
    if (f->config.mode == config::Mode::http)
      m.histogram({{"frontend", f->name()}}, f->request_time.snapshot());
  tls_metrics(m, frontends);
}

void server_metrics(MetricsText& m, const lb::Daemon& daemon,
                    const std::vector<StickCounts>& stick) {
  const auto pools = daemon.pools();
  // Every family visits every server of every pool; `each` keeps that loop in one place.
  const auto each = [&](auto&& emit) {
    for (std::size_t p = 0; p < pools.size(); ++p)
      for (const auto& s : pools[p]->servers())
        emit(*pools[p], *s, p);
  };
  using lb::Pool;
  using lb::Server;
  m.family("tether_server_up", "gauge", "1 when the server passes its health checks.");
  each([&](const Pool& p, const Server& s, std::size_t) {
    m.sample({{"pool", p.name()}, {"server", s.name()}}, std::uint64_t{s.healthy.load(relaxed)});
  });
  m.family("tether_server_admin_state", "gauge",
           "1 for the server's admin state (ready, drain, maint), 0 for the others.");
  each([&](const Pool& p, const Server& s, std::size_t) {
    const auto current = s.admin_state.load(relaxed);
    for (const auto state : {lb::AdminState::ready, lb::AdminState::drain, lb::AdminState::maint})
      m.sample({{"pool", p.name()}, {"server", s.name()}, {"state", lb::to_string(state)}},
               std::uint64_t{current == state});
  });
  m.family("tether_server_weight", "gauge", "The server's configured weight.");
  each([&](const Pool& p, const Server& s, std::size_t) {
    m.sample({{"pool", p.name()}, {"server", s.name()}},
             std::uint64_t{s.weight.load(std::memory_order_relaxed)});
  });
  m.family("tether_server_connections_total", "counter",
           "Connections established to the server (http: new and reused per request).");
  each([&](const Pool& p, const Server& s, std::size_t) {
    m.sample({{"pool", p.name()}, {"server", s.name()}}, get(s.total));
  });
  m.family("tether_server_active_connections", "gauge",
           "Connections to the server in use now (http: requests under way).");
  each([&](const Pool& p, const Server& s, std::size_t) {
    m.sample({{"pool", p.name()}, {"server", s.name()}}, get(s.active));
  });
  m.family("tether_server_bytes_total", "counter",
           "Bytes relayed: in = client to server, out = server to client.");
  each([&](const Pool& p, const Server& s, std::size_t) {
    m.sample({{"pool", p.name()}, {"server", s.name()}, {"direction", "in"}}, get(s.bytes_in));
    m.sample({{"pool", p.name()}, {"server", s.name()}, {"direction", "out"}}, get(s.bytes_out));
  });
  m.family("tether_server_connect_failures_total", "counter",
           "Connection attempts to the server that failed or timed out.");
  each([&](const Pool& p, const Server& s, std::size_t) {
    m.sample({{"pool", p.name()}, {"server", s.name()}}, get(s.connect_failures));
  });
  m.family("tether_server_tls_failures_total", "counter",
           "Of the failed connection attempts, those whose TLS handshake or certificate "
           "verification failed (pool tls.enabled).");
  each([&](const Pool& p, const Server& s, std::size_t) {
    m.sample({{"pool", p.name()}, {"server", s.name()}}, get(s.tls_failures));
  });
  m.family("tether_server_pinned_clients", "gauge",
           "Live stick entries pinning clients to the server.");
  each([&](const Pool& p, const Server& s, std::size_t index) {
    if (!p.stick_table()) return;
    m.sample({{"pool", p.name()}, {"server", s.name()}}, stick[index].per_server[s.id]);
  });
  m.family("tether_server_checks_total", "counter",
           "Health check results (passed, failed; observed connect failures count as failed).");
  each([&](const Pool& p, const Server& s, std::size_t) {
    if (!daemon.health().checker(p, s)) return;
    m.sample({{"pool", p.name()}, {"server", s.name()}, {"result", "passed"}},
             get(s.checks_passed));
    m.sample({{"pool", p.name()}, {"server", s.name()}, {"result", "failed"}},
             get(s.checks_failed));
  });
  m.family("tether_server_check_duration_seconds", "gauge",
           "How long the server's last completed health check took.");
  each([&](const Pool& p, const Server& s, std::size_t) {
    const health::Checker* checker = daemon.health().checker(p, s);
    if (!checker || checker->last().detail.empty()) return;
    m.sample({{"pool", p.name()}, {"server", s.name()}},
             static_cast<double>(checker->last().latency.count()) / 1e6);
  });
  m.family("tether_server_connect_duration_seconds", "histogram",
           "Time to establish a connection to the server (successful connects).");
  each([&](const Pool& p, const Server& s, std::size_t) {
    m.histogram({{"pool", p.name()}, {"server", s.name()}}, s.connect_time.snapshot());
  });
}

void pool_metrics(MetricsText& m, const lb::Daemon& daemon, const std::vector<StickCounts>& stick) {
  const auto pools = daemon.pools();
  m.family("tether_affinity_decisions_total", "counter",
           "How clients were placed: stick (stick entry), hash (consistent hash), cookie, "
           "fallback (cookie affinity without a valid cookie), none (no usable server).");
  for (const auto& p : pools)
    for (int d = 0; d < static_cast<int>(lb::Decision::count_); ++d) {
      const auto decision = static_cast<lb::Decision>(d);
      m.sample({{"pool", p->name()}, {"reason", lb::to_string(decision)}}, p->decisions(decision));
    }
  m.family("tether_affinity_breaks_total", "counter",
           "Pinned clients placed somewhere other than their pin, by cause (SPEC 6a).");
  for (const auto& p : pools)
    for (int c = 0; c < static_cast<int>(lb::BreakCause::count_); ++c) {
      const auto cause = static_cast<lb::BreakCause>(c);
      m.sample({{"pool", p->name()}, {"cause", lb::to_string(cause)}}, p->breaks(cause));
    }
  m.family("tether_stick_entries", "gauge", "Live stick entries (not past their timeout).");
  for (std::size_t i = 0; i < pools.size(); ++i)
    if (pools[i]->stick_table()) m.sample({{"pool", pools[i]->name()}}, stick[i].live);
  m.family("tether_stick_capacity", "gauge", "The stick table's size limit (table_size).");
  for (const auto& p : pools)
    if (p->stick_table()) m.sample({{"pool", p->name()}}, p->stick_table()->capacity());
  m.family("tether_stick_evictions_total", "counter",
           "Stick entries evicted, least recently used first, because the table was full.");
  for (const auto& p : pools)
    if (p->stick_table()) m.sample({{"pool", p->name()}}, p->stick_table()->evictions());
  m.family("tether_pool_usable_servers", "gauge", "Servers taking new clients now (up and ready).");
  for (const auto& p : pools) {
    std::uint64_t n = 0;
    for (const auto& s : p->servers())
      n += s->takes_new_clients() ? 1 : 0;
    m.sample({{"pool", p->name()}}, n);
  }
}

void process_metrics(MetricsText& m, const lb::Daemon& daemon) {
  m.family("tether_build_info", "gauge", "Always 1; the version as a label.");
  m.sample({{"version", TETHER_VERSION}}, std::uint64_t{1});
  m.family("tether_start_time_seconds", "gauge", "When Tether started, in Unix time.");
  m.sample({}, std::chrono::duration<double>(daemon.started_wall().time_since_epoch()).count());
  m.family("tether_uptime_seconds", "gauge", "Seconds since Tether started.");
  m.sample(
      {},
      std::chrono::duration<double>(std::chrono::steady_clock::now() - daemon.started()).count());
  m.family("tether_workers", "gauge", "Worker threads.");
  m.sample({}, std::uint64_t{daemon.worker_count()});
  m.family("tether_config_generation", "gauge",
           "The configuration in use: 1 for the file loaded at start, +1 per applied reload.");
  m.sample({}, get(daemon.reloads.generation));
  m.family("tether_config_reloads_total", "counter",
           "Configuration reloads (SIGHUP or the API), applied (ok) or refused (failed).");
  m.sample({{"result", "ok"}}, get(daemon.reloads.ok));
  m.sample({{"result", "failed"}}, get(daemon.reloads.failed));
  m.family("tether_access_log_lines_total", "counter",
           "Access log lines written, or dropped because the disk could not keep up.");
  m.sample({{"result", "written"}}, daemon.access_log().written());
  m.sample({{"result", "dropped"}}, daemon.access_log().dropped());
}

}  // namespace

std::string metrics_text(const lb::Daemon& daemon) {
  const auto now = lb::Clock::now();
  std::vector<StickCounts> stick;
  for (const auto& p : daemon.pools())
    stick.push_back(count_stick_entries(*p, now));
  MetricsText m;
  process_metrics(m, daemon);
  frontend_metrics(m, daemon);
  pool_metrics(m, daemon, stick);
  server_metrics(m, daemon, stick);
  return m.text();
}

}  // namespace tether::admin
