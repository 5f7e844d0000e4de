#include <algorithm>
#include <map>
#include <string_view>

#include "tools/probe/render.h"
#include "tools/probe/text_format.h"

namespace tether::probe {
namespace {

double percent(std::size_t part, std::size_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

void line(std::string& out, const char* label, const std::string& value) {
  out += format("%-22s %s\n", label, value.c_str());
}

// "200 x 14, 440 x 1"
std::string statuses_text(const std::map<int, std::size_t>& statuses) {
  std::string text;
  for (const auto& [status, count] : statuses)
    text += format("%s%d x %zu", text.empty() ? "" : ", ", status, count);
  return text;
}

}  // namespace

std::string render_table(const Report& r) {
  std::string out;
  std::string how = r.run.new_connections ? "new connection per request" : "keep-alive";
  if (r.run.tls) how = "HTTPS, " + how;
  if (!r.run.cookie.empty()) how += ", cookie " + r.run.cookie;
  out += format("tether-probe %s GET %s (%s)\n", r.run.target.c_str(), r.run.path.c_str(),
                how.c_str());
  out +=
      format("%zu of %zu clients x %zu requests, concurrency %zu, %.2f s%s\n\n", r.clients,
             r.run.clients_planned, r.run.requests_per_client, r.run.concurrency, r.run.duration_s,
             r.run.stopped_early ? (" (stopped by " + r.run.stopped_by + ")").c_str() : "");

  line(out, "stayed on one server",
       format("%zu of %zu (%.1f%%)", r.clients_single_server, r.clients,
              percent(r.clients_single_server, r.clients)));
  if (r.clients_unanswered > 0) line(out, "never answered", format("%zu", r.clients_unanswered));
  line(out, "sessions lost", format("%zu", r.sessions_lost));
  line(out, "requests",
       format("%zu, %zu answered, %zu off the client's home server", r.requests, r.answered,
              r.requests_off_home));
  const std::string tls_errors =
      r.run.tls ? format(", tls handshake %zu", r.errors.tls_handshake) : std::string();
  line(out, "errors",
       format("%zu (connect %zu, timeout %zu, closed %zu, malformed %zu, 5xx %zu%s)",
              r.errors.total(), r.errors.connect, r.errors.timeout, r.errors.closed,
              r.errors.malformed, r.errors.http_5xx, tls_errors.c_str()));
  if (!r.tls_error.empty()) line(out, "tls error", r.tls_error);
  if (r.bodies_checked > 0)
    line(out, "bodies checked", format("%zu, %zu corrupt", r.bodies_checked, r.bodies_corrupt));
  if (!r.statuses.empty()) line(out, "statuses", statuses_text(r.statuses));
  if (r.unattributed > 0) {
    line(out, "no server header", format("%zu answers", r.unattributed));
  }
  line(out, "latency ms",
       format("p50 %.3f  p90 %.3f  p99 %.3f  max %.3f", r.latency.p50, r.latency.p90, r.latency.p99,
              r.latency.max));
  if (r.handshake.samples > 0) {
    line(out, "handshake ms",
         format("p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  (%zu handshakes)", r.handshake.p50,
                r.handshake.p90, r.handshake.p99, r.handshake.max, r.handshake.samples));
  }
  if (r.run.roam_fraction > 0) {
    line(out, "roamed", format("%zu clients, %zu moved server", r.roamed, r.roamed_moved));
  }
  const bool scenario = r.scenario.kind != Scenario::none;
  if (scenario) {
    line(out, "scenario",
         format("%s %s: %s", std::string(to_string(r.scenario.kind)).c_str(),
                r.scenario.server.c_str(),
                r.scenario.performed ? r.scenario.action.c_str()
                                     : ("not performed: " + r.scenario.skipped_because).c_str()));
    const auto& m = r.moves;
    std::string moves = format("required %zu, needless %zu", m.required, m.needless);
    if (r.scenario.kind == Scenario::add) moves += format(" (%zu to the added server)", m.to_added);
    if (m.stayed > 0) moves += format(", stayed on %s %zu", r.scenario.server.c_str(), m.stayed);
    moves += format(" (of %zu clients; %zu unserved after)", m.considered, m.unserved);
    line(out, "moves", moves);
  }

  const bool after = scenario && r.scenario.performed;
  std::size_t width = 6;
  for (const auto& share : r.servers)
    width = std::max(width, share.name.size());
  const int w = static_cast<int>(width);
  out += format("\n%-*s %8s %7s %9s%s\n", w, "server", "clients", "share", "requests",
                after ? "  after" : "");
  for (const auto& share : r.servers) {
    out += format("%-*s %8zu %6.1f%% %9zu", w, share.name.c_str(), share.clients,
                  percent(share.clients, r.clients - r.clients_unanswered), share.requests);
    if (after) out += format(" %6zu", share.clients_after);
    if (!share.in_distribution) out += "  (joined after the scenario point)";
    out += '\n';
  }
  out += format("max/mean %.3f  cov %.3f  (%zu servers, mean %.1f clients)\n", r.max_over_mean,
                r.cov, r.distribution_servers, r.mean_clients);
  return out;
}

std::string attribution_warning(const Report& r, std::string_view server_header) {
  if (r.answered == 0 || r.unattributed < r.answered) return {};
  const std::string header(server_header);
  const bool any_success =
      std::ranges::any_of(r.statuses, [](const auto& status) { return status.first / 100 == 2; });
  // Unsuccessful answers without the header are mostly the load balancer's own (503: no server,
  // 431: head too large): advice about the header would send the user the wrong way.
  if (!any_success) {
    return "no response was successful or carried " + header + ": " + statuses_text(r.statuses);
  }
  return "no response carried " + header + ", so no server could be told apart (" +
         statuses_text(r.statuses) + "); name the servers' identity header with --server-header";
}

}  // namespace tether::probe
