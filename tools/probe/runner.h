// The probe's run: C clients, at most K at a time, each from its own source address, each a
// session of R requests; with a scenario, a global barrier at the split (every client finishes
// its first half, the action runs, the probe waits --settle, then every client runs its second
// half on a new connection, so the load balancer decides afresh for each). One io_context on the
// calling thread drives every client, so nothing is shared between threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include <asio/ip/tcp.hpp>

#include "tools/probe/source_range.h"
#include "tools/probe/tally.h"
#include "tools/probe/tls_client.h"

namespace tether::probe {

struct ProbeOptions {
  asio::ip::tcp::endpoint target;
  std::string target_text;  // as given: the report's `target` and the Host header
  std::string path = "/";
  SourceRange sources;
  std::size_t clients = 100;
  std::size_t requests = 10;
  std::size_t concurrency = 64;
  bool new_connections = false;
  // Compare every 200's body with tether-pool's pattern; `path` must be /bytes/N.
  bool check_body = false;
  std::string cookie;  // cookie name to keep per client, empty for none
  // HTTPS (--tls): every connection's handshake, verification and SNI.
  TlsClientOptions tls;
  double roam = 0;
  std::string server_header = "X-Tether-Server";
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds settle{2000};
  std::optional<std::chrono::milliseconds> duration;
  Scenario scenario = Scenario::none;
  std::string scenario_server;
  // SIGINT and SIGTERM while clients run stop them as --duration would, and the report covers
  // what was measured (a second signal, or one between the phases, ends the process as usual).
  bool stop_on_signal = false;
};

// N of a tether-pool "/bytes/N" path, whose body --check-body can verify.
std::optional<std::uint64_t> pattern_length(std::string_view path);

// The usage checks that need no network: counts, fractions, address families, range size. Empty
// when the options can run, else a sentence for the user.
std::string validate(const ProbeOptions& options);

// Before the run: the first (and, when clients roam, the last) source address can be bound and
// the target accepts a connection (made from the host's own address, so no client's affinity is
// touched). Empty when reachable, else why not.
std::string check_reachable(const ProbeOptions& options);

// The scenario's action at the barrier: true when done (`action` says what was done), false with
// `error`, which ends the run.
using ScenarioAction = std::function<bool(std::string& action, std::string& error)>;

struct RunResult {
  bool ok = true;
  std::string error;
  Report report;
};

// `options` must have passed validate(). A TLS trust store that does not load ends the run
// before it starts (ok false).
RunResult run_probe(const ProbeOptions& options, const ScenarioAction& action);

}  // namespace tether::probe
