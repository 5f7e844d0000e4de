// tether: the daemon's command line (SPEC §2).
#include <signal.h>
#include <sys/resource.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <asio/signal_set.hpp>
#include <iostream>

#include "admin/admin_server.h"
#include "config/loader.h"
#include "lb/daemon.h"

namespace {

constexpr int kExitInvalidConfig = 1;
constexpr int kExitUsage = 2;

// A load balancer holds two descriptors per connection: take the hard limit, not the default.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void wait_for_signals(asio::signal_set& signals, tether::lb::Daemon& daemon) {
  signals.async_wait([&](std::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", daemon.config().file);
      daemon.reload();  // logs and counts the outcome
    } else if (signal == SIGUSR1) {
      daemon.reopen_access_log();  // logrotate's postrotate
    } else if (signal == SIGUSR2) {
      // HAProxy reloads on it and NGINX starts a new binary; left to its default it would kill
      // us and every connection with us. Say which signals do what instead.
      spdlog::warn("SIGUSR2 ignored: SIGHUP reloads the configuration, SIGTERM stops");
    } else {
      // SIGQUIT is NGINX's graceful stop; ours is SIGTERM's.
      spdlog::info("{} received", signal == SIGTERM  ? "SIGTERM"
                                  : signal == SIGINT ? "SIGINT"
                                                     : "SIGQUIT");
      daemon.shutdown();
    }
    wait_for_signals(signals, daemon);
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tether: a load balancer that keeps every client on one server"};
  std::string config_file;
  std::string log_level;
  unsigned threads = 0;
  bool check = false;
  bool version = false;
  app.add_option("-c,--config", config_file, "configuration file (YAML)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error (overrides log.level)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  // The config's range: 2000 workers is a typo, and 100000 runs out of descriptors at start.
  app.add_option("--threads", threads, "worker threads (overrides threads; 0 = one per core)")
      ->check(CLI::Range(0u, tether::config::kMaxThreads));
  app.add_flag("--check", check, "validate the configuration, print a summary and exit");
  app.add_flag("--version", version, "print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (version) {
    std::cout << "tether " << TETHER_VERSION << "\n";
    return 0;
  }
  if (config_file.empty()) {
    std::cerr << "tether: -c FILE is required (see --help)\n";
    return kExitUsage;
  }

  auto loaded = tether::config::load_file(config_file);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors)
      std::cerr << e << "\n";
    std::cerr << "tether: " << loaded.errors.size() << " error(s) in " << config_file << "\n";
    return kExitInvalidConfig;
  }
  auto config = std::move(*loaded.config);
  tether::lb::Daemon::Overrides overrides;
  if (app.count("--threads")) overrides.threads = threads;
  if (!log_level.empty()) overrides.log_level = log_level;
  tether::lb::Daemon::apply(overrides, config);
  if (check) {  // what this command line would run with, overrides included
    std::cout << tether::config::summary(config);
    return 0;
  }

  auto logger = spdlog::stderr_color_mt("tether");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config.log.level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");

  signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();

  std::unique_ptr<tether::lb::Daemon> daemon;
  try {
    daemon = std::make_unique<tether::lb::Daemon>(std::move(config));
    daemon->keep_overrides(std::move(overrides));
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return kExitUsage;
  }
  if (auto error = daemon->bind()) {
    spdlog::error("{}", *error);
    return kExitUsage;
  }
  std::unique_ptr<tether::admin::AdminServer> admin;  // destroyed before the daemon
  if (const auto& admin_config = daemon->config().admin) {
    admin = std::make_unique<tether::admin::AdminServer>(*daemon, *admin_config);
    if (auto ec = admin->open()) {
      spdlog::error("cannot listen on {} (admin): {}", admin_config->listen.text, ec.message());
      return kExitUsage;
    }
    admin->start();
    spdlog::info("admin API listening on {}", admin_config->listen.text);
  }
  asio::signal_set signals(daemon->control(), SIGTERM, SIGINT, SIGHUP);
  signals.add(SIGQUIT);
  signals.add(SIGUSR1);
  signals.add(SIGUSR2);
  wait_for_signals(signals, *daemon);
  spdlog::info("tether {} started: {} workers", TETHER_VERSION, daemon->worker_count());
  daemon->run();
  return 0;
}
