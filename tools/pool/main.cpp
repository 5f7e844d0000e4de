// tether-pool: a simulated Lync Front End pool (SPEC §7). Prints one line per server
// ("NAME http|https ADDR:PORT[,...] check ADDR:PORT[,...]") and then `ready`, so scripts can wait
// for it; runs until SIGINT/SIGTERM.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/tls_files.h"
#include "tools/pool/endpoint_text.h"
#include "tools/pool/pool_plan.h"
#include "tools/pool/simulated_pool.h"

namespace {

using namespace tether::pool;

constexpr int exit_usage = 2;

int fail(const std::string& message) {
  std::fprintf(stderr, "tether-pool: %s\n", message.c_str());
  return exit_usage;
}

// "ADDR:PORT,ADDR:PORT"
std::string address_list(const std::vector<asio::ip::tcp::endpoint>& endpoints) {
  std::string list;
  for (const auto& endpoint : endpoints) {
    if (!list.empty()) list += ',';
    list += to_string(endpoint);
  }
  return list;
}

void print_servers(const SimulatedPool& pool) {
  for (const auto& server : pool.servers()) {
    std::printf("%s %s %s check %s\n", server->name().c_str(), server->tls() ? "https" : "http",
                address_list(server->http_endpoints()).c_str(),
                address_list(server->check_endpoints()).c_str());
  }
  if (const auto control = pool.control_endpoint()) {
    std::printf("control %s\n", to_string(*control).c_str());
  }
  std::printf("ready\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  // stdout carries the machine-readable lines; diagnostics go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("tether-pool"));

  CLI::App app{"tether-pool: a simulated Lync Front End pool for demos, tests and benchmarks"};
  unsigned servers = 0;
  unsigned base_port = 0;
  std::string bind = "127.0.0.1";
  unsigned check_base_port = 0;
  std::string control;
  std::string name_prefix = "fe";
  std::string config_path;
  unsigned threads = 1;
  bool set_cookie = false;
  std::size_t max_sessions = SessionStore::default_capacity;
  std::string tls_cert, tls_key;

  auto* servers_opt = app.add_option("--servers", servers, "Number of servers (fe01..feNN)")
                          ->check(CLI::Range(1, 999));
  auto* base_opt =
      app.add_option("--base-port", base_port, "Port of the first server; 0: ports the OS chooses")
          ->check(CLI::Range(0, 65535));
  auto* bind_opt = app.add_option("--bind", bind, "Address the servers listen on (IPv4 or IPv6)");
  auto* check_opt =
      app.add_option("--check-base-port", check_base_port,
                     "Check (SIP) port of the first server; default: ports the OS chooses")
          ->check(CLI::Range(1, 65535));
  app.add_option("--control", control, "Control endpoint ADDR:PORT");
  auto* prefix_opt = app.add_option("--name-prefix", name_prefix, "Server name prefix");
  auto* config_opt = app.add_option("--config", config_path,
                                    "Tether configuration: start the servers its pools name");
  app.add_option("--threads", threads, "Worker threads (one io_context and acceptor each)")
      ->check(CLI::Range(1, 256));
  app.add_flag("--set-cookie", set_cookie,
               "Servers also set (and accept) their own ASP.NET_SessionId cookie");
  app.add_option("--max-sessions", max_sessions,
                 "Sessions held per server; the oldest are forgotten beyond it")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
  auto* cert_opt = app.add_option(
      "--tls-cert", tls_cert,
      "HTTPS on every server's HTTP ports with this certificate chain (PEM, leaf first); the "
      "check and control ports stay plain");
  auto* key_opt = app.add_option("--tls-key", tls_key, "The private key of --tls-cert (PEM)");
  cert_opt->needs(key_opt);
  key_opt->needs(cert_opt);
  servers_opt->needs(base_opt);
  base_opt->needs(servers_opt);
  config_opt->excludes(servers_opt)->excludes(base_opt)->excludes(bind_opt)->excludes(prefix_opt);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    return status == 0 ? 0 : exit_usage;
  }

  const std::optional<std::uint16_t> check_base =
      check_opt->count() ? std::optional<std::uint16_t>(check_base_port) : std::nullopt;
  Plan plan;
  if (config_opt->count()) {
    const auto loaded = tether::config::load_file(config_path);
    if (!loaded.ok()) {
      for (const auto& error : loaded.errors)
        std::fprintf(stderr, "%s\n", error.c_str());
      return fail("invalid configuration " + config_path);
    }
    plan = plan_from_config(*loaded.config, check_base);
  } else if (servers_opt->count()) {
    const auto address = parse_address(bind);
    if (!address) return fail("--bind: not an IP address: " + bind);
    plan = plan_from_flags(FlagPlan{servers, static_cast<std::uint16_t>(base_port), *address,
                                    check_base, name_prefix});
  } else {
    return fail("give --servers N --base-port P, or --config FILE (see --help)");
  }
  if (!plan.ok()) return fail(plan.error);

  PoolOptions options;
  if (cert_opt->count()) {
    bool key_at_fault = false;
    const auto certificate = tether::config::read_certificate(tls_cert, tls_key, key_at_fault);
    if (!certificate.ok())
      return fail((key_at_fault ? "--tls-key: " : "--tls-cert: ") + certificate.error);
    options.server.tls = TlsIdentity{certificate.value->cert_pem, certificate.value->key_pem};
  }
  options.servers = std::move(plan.servers);
  options.threads = threads;
  options.server.set_cookie = set_cookie;
  options.server.max_sessions = max_sessions;
  if (!control.empty()) {
    options.control = parse_endpoint(control);
    if (!options.control) return fail("--control: expected ADDR:PORT, got " + control);
  }

  // Installed before the workers start, so an early signal still means a clean stop.
  asio::io_context signals_io;
  asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([](std::error_code, int) {});

  std::string error;
  auto pool = SimulatedPool::start(std::move(options), error);
  if (!pool) return fail(error);
  print_servers(*pool);

  signals_io.run();
  pool->stop();
  return 0;
}
