// tether-probe: measures whether a load balancer keeps clients on one server (SPEC §7). Works
// against any HTTP/1.1 load balancer in front of servers that stamp their identity in a header
// (tether-pool's X-Tether-Server by default). Prints a table; --json and --svg write the same
// report for scripts and people. Exit 0 when the run completed, 2 on a usage error, an
// unreachable target or a scenario that could not be carried out.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "config/address.h"
#include "config/duration.h"
#include "config/tls_files.h"
#include "tools/probe/render.h"
#include "tools/probe/runner.h"
#include "tools/probe/scenario.h"

namespace {

using namespace tether::probe;

constexpr int exit_usage = 2;

int fail(const std::string& message) {
  std::fprintf(stderr, "tether-probe: %s\n", message.c_str());
  return exit_usage;
}

const char* const definitions = R"(
Definitions:
  home                  the server that answered a client's first answered request; per-server
                        counts count each client once, for its home.
  stayed on one server  every answered request of the client was answered by its home (failed
                        requests do not count against it).
  sessions lost         clients that received at least one 440 (a server that does not hold the
                        session the client presents in X-Session).
  errors                requests without a complete response (connect, TLS handshake,
                        timeout, closed, malformed) or answered 5xx.
  max/mean, cov         clients per server over the servers that answered before the scenario
                        point; cov = population standard deviation / mean.
  latency               request start (connect included when it opened one) to the response's
                        last byte; nearest-rank percentiles.
  handshake             --tls: a new connection's TLS handshake, TCP connect excluded.
  split                 request R/2 of every session: where roaming clients change address and
                        where a scenario happens (all clients finish their first half, the action
                        runs, --settle passes, then every client reconnects for its second half).
  moves                 a client moved when the server of its last answer before the split differs
                        from the server of its first answer after it (roaming clients excluded):
                        fail/remove S: required = clients of S that moved, needless = others that
                          moved;
                        drain S: required = 0, needless = every move (drain keeps its clients);
                        add S: required = 0, needless = every move (nobody has to move for a
                          new server), of them to_added = moves to S.
Scenario mechanisms:
  fail    --control URL (POST /servers/S/fail)     remove  --hook CMD, or --control (fails S)
  drain   --admin URL [--pool P] (Tether admin     add     --hook CMD, or --control (recovers S)
          API; no --pool: the pool that has S)
  --hook CMD runs at the scenario point for any kind, with TETHER_PROBE_SCENARIO,
  TETHER_PROBE_SERVER and TETHER_PROBE_TARGET set; HAProxy and NGINX need it for drain.
)";

bool parse_duration_flag(const std::string& flag, const std::string& text,
                         std::chrono::milliseconds& out, std::string& error) {
  const auto parsed = tether::config::parse_duration(text);
  if (!parsed.ok()) {
    error = flag + ": " + parsed.error;
    return false;
  }
  out = *parsed.value;
  return true;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tether-probe: measures whether a load balancer keeps each client on one server"};
  app.footer(definitions);

  std::string target;
  std::string sources = "127.1.0.0/16";
  ProbeOptions options;
  std::string scenario_text;
  std::string control, admin, admin_token_file;
  ScenarioPlan plan;
  std::string settle = "2s", duration, timeout = "5s";
  std::string json_path, svg_path;
  std::string ca_path;

  app.add_option("--target", target, "Load balancer HOST:PORT")->required();
  app.add_option("--clients", options.clients, "Simulated clients")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}));
  app.add_option("--requests", options.requests, "Requests per client session")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  app.add_option("--sources", sources, "CIDR of client source addresses; client i binds the i-th")
      ->capture_default_str();
  app.add_flag("--new-connections", options.new_connections,
               "A new connection per request (default: keep-alive, reconnecting when closed)");
  app.add_option("--cookie", options.cookie,
                 "Keep this cookie per client (from Set-Cookie) and send it back, e.g. MS-WSMAN");
  app.add_option("--roam", options.roam,
                 "Fraction of clients that change source address at the split")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--path", options.path, "Request target")->capture_default_str();
  app.add_flag("--check-body", options.check_body,
               "Check every 200's body byte for byte against tether-pool's /bytes/N pattern "
               "(needs --path /bytes/N)");
  app.add_option("--server-header", options.server_header,
                 "Response header naming the server that answered")
      ->capture_default_str();
  app.add_option("--concurrency", options.concurrency, "Clients running at once")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  app.add_option("--duration", duration,
                 "Stop starting requests after this long (e.g. 30s) and report what was measured");
  app.add_option("--timeout", timeout, "A request without a response after this long is an error")
      ->capture_default_str();
  auto* scenario_opt =
      app.add_option("--scenario", scenario_text, "Event at the split: fail|drain|add|remove")
          ->check(CLI::IsMember({"fail", "drain", "add", "remove"}));
  // Ignored without --scenario, they would let a user believe a fail or a drain ran: refused.
  app.add_option("--server", plan.server, "The server the scenario acts on")->needs(scenario_opt);
  app.add_option("--control", control, "tether-pool's control endpoint [http://]HOST:PORT")
      ->needs(scenario_opt);
  app.add_option("--admin", admin, "Tether's admin API [http://]HOST:PORT")->needs(scenario_opt);
  app.add_option("--pool", plan.pool,
                 "Tether pool of the server (drain); default: the one pool the admin API shows "
                 "with that server")
      ->needs(scenario_opt);
  app.add_option("--admin-token-file", admin_token_file, "Bearer token for the admin API")
      ->needs(scenario_opt);
  app.add_option("--hook", plan.hook, "Shell command that carries out the scenario")
      ->needs(scenario_opt);
  app.add_option("--settle", settle, "Pause after the scenario action (health checks notice)")
      ->capture_default_str()
      ->needs(scenario_opt);
  auto* tls_opt = app.add_flag("--tls", options.tls.enabled,
                               "HTTPS: every connection starts with a TLS handshake (TLS 1.2+, "
                               "ALPN http/1.1, no session resumption)");
  auto* ca_opt = app.add_option("--ca", ca_path,
                                "Verify the target's certificate against these CAs (PEM); "
                                "default: the system's trust store");
  auto* insecure_opt = app.add_flag("--insecure", options.tls.insecure,
                                    "Do not verify the target's certificate (tests only)");
  auto* sni_opt = app.add_option("--sni", options.tls.server_name,
                                 "Server name to send and verify; default: the --target host");
  ca_opt->needs(tls_opt)->excludes(insecure_opt);
  insecure_opt->needs(tls_opt);
  sni_opt->needs(tls_opt);
  app.add_option("--json", json_path, "Write the report as JSON to FILE");
  app.add_option("--svg", svg_path, "Write the distribution and moves as an SVG chart to FILE");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    return status == 0 ? 0 : exit_usage;
  }

  std::string error;
  const auto address = tether::config::parse_address(target, tether::config::PortZero::refused);
  if (!address.ok()) return fail("--target: " + address.error);
  options.target = address.value->endpoint;
  options.target_text = target;
  if (options.tls.enabled) {
    if (!ca_path.empty()) {
      const auto bundle = tether::config::read_ca_bundle(ca_path);
      if (!bundle.ok()) return fail("--ca: " + bundle.error);
      options.tls.ca_pem = *bundle.value;
    }
    if (!sni_opt->count()) {
      options.tls.server_name =
          tether::config::split_host_port(target, tether::config::PortZero::refused).value->host;
    }
    if (!make_client_context(options.tls, error)) return fail(error);
  }
  const auto range = SourceRange::parse(sources, error);
  if (!range) return fail("--sources: " + error);
  options.sources = *range;
  if (!parse_duration_flag("--timeout", timeout, options.timeout, error) ||
      !parse_duration_flag("--settle", settle, options.settle, error)) {
    return fail(error);
  }
  if (!duration.empty()) {
    std::chrono::milliseconds limit{0};
    if (!parse_duration_flag("--duration", duration, limit, error)) return fail(error);
    if (limit.count() > 0) options.duration = limit;
  }

  for (const auto kind : {Scenario::fail, Scenario::drain, Scenario::add, Scenario::remove}) {
    if (scenario_text == to_string(kind)) plan.kind = kind;
  }
  options.scenario = plan.kind;
  options.stop_on_signal = true;
  options.scenario_server = plan.server;
  plan.target = target;
  plan.timeout = options.timeout;
  if (!control.empty() && !(plan.control = parse_service_url(control, error))) {
    return fail("--control: " + error);
  }
  if (!admin.empty() && !(plan.admin = parse_service_url(admin, error))) {
    return fail("--admin: " + error);
  }
  if (!admin_token_file.empty()) {
    std::ifstream in(admin_token_file);
    if (!std::getline(in, plan.admin_token)) {
      return fail("--admin-token-file: cannot read " + admin_token_file);
    }
    while (!plan.admin_token.empty() &&
           std::isspace(static_cast<unsigned char>(plan.admin_token.back())))
      plan.admin_token.pop_back();
  }
  const auto mechanism = choose_mechanism(plan, error);
  if (!mechanism) return fail(error);
  if (const auto why = validate(options); !why.empty()) return fail(why);

  // Fail before the run, not after it, on an output file that cannot be written.
  for (const auto* path : {&json_path, &svg_path}) {
    if (!path->empty() && !std::ofstream(*path, std::ios::app)) {
      return fail("cannot write " + *path);
    }
  }
  if (const auto why = check_reachable(options); !why.empty()) return fail(why);
  if (!preflight(plan, *mechanism, error)) return fail(error);

  const auto result = run_probe(options, [&](std::string& done, std::string& why) {
    return perform(plan, *mechanism, done, why);
  });
  if (!result.ok)
    return fail("scenario " + std::string(to_string(plan.kind)) + ": " + result.error);

  const auto& report = result.report;
  if (plan.kind != Scenario::none && !report.scenario.performed) {
    std::fprintf(stderr, "tether-probe: scenario %s %s not performed: %s\n",
                 std::string(to_string(plan.kind)).c_str(), plan.server.c_str(),
                 report.scenario.skipped_because.c_str());
  }
  if (const auto warning = attribution_warning(report, options.server_header); !warning.empty())
    std::fprintf(stderr, "tether-probe: %s\n", warning.c_str());
  if (report.errors.tls_handshake > 0) {
    std::fprintf(stderr, "tether-probe: %zu TLS handshakes failed; the first: %s\n",
                 report.errors.tls_handshake, report.tls_error.c_str());
  }
  std::fputs(render_table(report).c_str(), stdout);
  std::fflush(stdout);
  if (!json_path.empty() && !write_file(json_path, render_json(report))) {
    return fail("cannot write " + json_path);
  }
  if (!svg_path.empty() && !write_file(svg_path, render_svg(report))) {
    return fail("cannot write " + svg_path);
  }
  return 0;
}
