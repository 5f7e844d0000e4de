#include "tools/probe/runner.h"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <csignal>
#include <memory>
#include <thread>
#include <vector>

#include "tools/probe/client.h"
#include "tools/probe/text_format.h"

namespace tether::probe {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool has_split(const ProbeOptions& o) {
  return o.scenario != Scenario::none || o.roam > 0;
}

// Starts clients' sessions, at most `concurrency` at once, until every client ran to `end` or
// the deadline passed.
class Dispatcher {
 public:
  Dispatcher(asio::io_context& io, const ProbeOptions& options, const ClientSettings& settings,
             std::vector<ClientState>& states, Tally& tally,
             std::optional<Clock::time_point> deadline)
      : io_(io),
        options_(options),
        settings_(settings),
        states_(states),
        tally_(tally),
        deadline_(deadline),
        signals_(io) {}

  void run_until(std::size_t end) {
    end_ = end;
    next_client_ = 0;
    if (options_.stop_on_signal && !interrupted_) {
      std::error_code ec;
      signals_.add(SIGINT, ec);
      signals_.add(SIGTERM, ec);
      signals_.async_wait([this](std::error_code ec, int) {
        if (ec) return;
        interrupted_ = true;
        release_signals();
      });
    }
    launch();
    io_.run();
    io_.restart();
  }

  bool may_continue() const { return !interrupted_ && (!deadline_ || Clock::now() < *deadline_); }
  bool interrupted() const { return interrupted_; }

 private:
  void launch() {
    while (active_ < options_.concurrency && next_client_ < states_.size() && may_continue()) {
      auto& state = states_[next_client_++];
      ++active_;
      std::make_shared<ClientSession>(
          io_, settings_, state, end_, [this] { return may_continue(); },
          [this](const Observation& o) { tally_.record(o); },
          [this] {
            --active_;
            launch();
          })
          ->start();
    }
    if (active_ == 0) release_signals();  // the phase is over: nothing may keep io_.run() going
  }

  // Back to the default disposition: a second signal ends the process.
  void release_signals() {
    std::error_code ec;
    signals_.cancel(ec);
    signals_.clear(ec);
  }

  asio::io_context& io_;
  const ProbeOptions& options_;
  const ClientSettings& settings_;
  std::vector<ClientState>& states_;
  Tally& tally_;
  std::optional<Clock::time_point> deadline_;
  std::size_t end_ = 0;
  std::size_t next_client_ = 0;
  std::size_t active_ = 0;
  asio::signal_set signals_;
  bool interrupted_ = false;
};

}  // namespace

std::optional<std::uint64_t> pattern_length(std::string_view path) {
  constexpr std::string_view prefix = "/bytes/";
  if (!path.starts_with(prefix) || path.size() == prefix.size() || path.size() > prefix.size() + 10)
    return std::nullopt;
  std::uint64_t n = 0;
  for (const char c : path.substr(prefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

std::string validate(const ProbeOptions& o) {
  if (o.clients == 0) return "--clients must be at least 1";
  if (o.check_body && !pattern_length(o.path))
    return "--check-body needs --path /bytes/N (tether-pool's patterned body of N bytes)";
  if (o.requests == 0) return "--requests must be at least 1";
  if (o.concurrency == 0) return "--concurrency must be at least 1";
  if (!(o.roam >= 0 && o.roam <= 1)) return "--roam must be a fraction from 0 to 1";
  if (has_split(o) && o.requests < 2) {
    return "--roam and --scenario split each session in two halves: --requests must be at least 2";
  }
  if (o.scenario != Scenario::none && o.scenario_server.empty()) {
    return "--scenario needs --server NAME";
  }
  if (o.path.empty() || o.path.front() != '/' ||
      o.path.find_first_of(" \r\n\t") != std::string::npos) {
    return "--path must start with / and contain no spaces";
  }
  if (!o.cookie.empty() && !is_token(o.cookie)) return "--cookie: not a cookie name: " + o.cookie;
  if (!is_token(o.server_header)) return "--server-header: not a header name: " + o.server_header;
  if (o.sources.is_v6() != o.target.address().is_v6()) {
    return "--sources " + o.sources.text() + " and --target " + o.target_text +
           " are not of the same address family";
  }
  const auto needed =
      static_cast<std::uint64_t>(o.clients) + RoamingPlan(o.roam).roamers_before(o.clients);
  if (needed > o.sources.size()) {
    return "--sources " + o.sources.text() + " has " + std::to_string(o.sources.size()) +
           " usable addresses; " + std::to_string(o.clients) + " clients" +
           (o.roam > 0 ? " and their roaming addresses" : "") + " need " + std::to_string(needed);
  }
  if (o.timeout.count() <= 0) return "--timeout must be positive";
  return {};
}

std::string check_reachable(const ProbeOptions& o) {
  asio::io_context io;
  std::vector<asio::ip::address> sources = {o.sources.from_bottom(0)};
  if (o.roam > 0) sources.push_back(o.sources.from_top(0));
  for (const auto& source : sources) {
    tcp::socket socket(io);
    std::error_code ec;
    socket.open(o.target.protocol(), ec);
    if (!ec) socket.bind(tcp::endpoint(source, 0), ec);
    if (ec) {
      return "cannot use source address " + source.to_string() + " from --sources " +
             o.sources.text() + ": " + ec.message();
    }
  }

  tcp::socket socket(io);
  asio::steady_timer timer(io, o.timeout);
  std::error_code result = asio::error::timed_out;
  socket.async_connect(o.target, [&](std::error_code ec) {
    result = ec;
    timer.cancel();
  });
  timer.async_wait([&](std::error_code ec) {
    if (!ec) socket.close();
  });
  io.run();
  if (result) {
    return "cannot reach the target " + o.target_text + ": " +
           (result == asio::error::operation_aborted ? std::string("no answer within the timeout")
                                                     : result.message());
  }
  return {};
}

RunResult run_probe(const ProbeOptions& o, const ScenarioAction& action) {
  const RoamingPlan roaming(o.roam);
  std::vector<ClientState> states(o.clients);
  for (std::size_t i = 0; i < o.clients; ++i) {
    states[i].index = i;
    states[i].source = o.sources.from_bottom(i);
    if (roaming.roams(i)) states[i].roam_source = o.sources.from_top(roaming.roamers_before(i));
  }

  ClientSettings settings;
  settings.target = o.target;
  settings.request_head = "GET " + o.path + " HTTP/1.1\r\nHost: " + o.target_text +
                          "\r\nUser-Agent: tether-probe\r\nAccept: */*\r\n";
  if (o.new_connections) settings.request_head += "Connection: close\r\n";
  settings.new_connections = o.new_connections;
  if (o.check_body) settings.check_body_length = pattern_length(o.path);
  settings.cookie_name = o.cookie;
  settings.server_header = o.server_header;
  settings.timeout = o.timeout;
  settings.split = has_split(o) ? o.requests / 2 : o.requests;
  RunResult result;
  std::unique_ptr<asio::ssl::context> tls;
  std::string tls_error;
  if (o.tls.enabled) {
    tls = make_client_context(o.tls, result.error);
    if (!tls) {
      result.ok = false;
      return result;
    }
    settings.tls = tls.get();
    settings.tls_options = o.tls;
    settings.first_tls_error = &tls_error;
  }

  const auto start = Clock::now();
  std::optional<Clock::time_point> deadline;
  if (o.duration) deadline = start + *o.duration;

  asio::io_context io;
  Tally tally;
  Dispatcher dispatcher(io, o, settings, states, tally, deadline);
  ScenarioInfo scenario;
  scenario.kind = o.scenario;
  scenario.server = o.scenario_server;

  if (o.scenario == Scenario::none) {
    dispatcher.run_until(o.requests);
  } else {
    dispatcher.run_until(settings.split);
    // An action whose settle would outlast --duration measures nothing after the split and
    // leaves the server failed or drained for nothing: it is not started.
    const auto left = deadline ? *deadline - Clock::now() : Clock::duration::max();
    if (dispatcher.interrupted()) {
      scenario.skipped_because = "a signal stopped the run before the scenario point";
    } else if (left <= Clock::duration::zero()) {
      scenario.skipped_because = "--duration ran out before the scenario point";
    } else if (left <= o.settle) {
      scenario.skipped_because = format(
          "--duration left %.1f s at the split: no time for --settle (%.1f s) and a "
          "second half",
          std::chrono::duration<double>(left).count(),
          std::chrono::duration<double>(o.settle).count());
    } else {
      std::string error;
      if (!action(scenario.action, error)) {
        result.ok = false;
        result.error = error;
        return result;
      }
      scenario.performed = true;
      std::this_thread::sleep_for(o.settle);
      dispatcher.run_until(o.requests);
    }
  }

  result.report = tally.report(scenario);
  result.report.tls_error = tls_error;
  auto& run = result.report.run;
  run.tls = o.tls.enabled;
  run.target = o.target_text;
  run.path = o.path;
  run.new_connections = o.new_connections;
  run.cookie = o.cookie;
  run.clients_planned = o.clients;
  run.requests_per_client = o.requests;
  run.concurrency = o.concurrency;
  run.roam_fraction = o.roam;
  run.duration_s = std::chrono::duration<double>(Clock::now() - start).count();
  for (const auto& state : states)
    run.stopped_early = run.stopped_early || state.next_request < o.requests;
  if (run.stopped_early) run.stopped_by = dispatcher.interrupted() ? "a signal" : "--duration";
  return result;
}

}  // namespace tether::probe
