// The probe's pure core: per-request observations in, every reported figure out. No sockets, no
// clocks; the network shell feeds it and the renderers (table, JSON, SVG) read its Report.
//
// Definitions (also in `tether-probe --help`):
//  - A client's *home* is the server that answered its first answered request (the first response
//    that carried the server-identity header). Per-server client counts count each client once,
//    for its home.
//  - A client *stayed on one server* when every answered request of its session was answered by
//    its home. Failed requests do not count against it; a client with no answer at all did not
//    stay anywhere.
//  - *Sessions lost*: clients that received at least one 440.
//  - *Errors*: requests that got no complete response (connect failed, TLS handshake failed,
//    timed out, connection closed, malformed response) or a 5xx.
//  - *Distribution* (max/mean, coefficient of variation = population standard deviation / mean)
//    is over the servers that answered before the scenario point (all servers without a
//    scenario), so a server added midway does not count as an idle one.
//  - The *split* is the middle of each session (request R/2): the scenario point and the roaming
//    point. A client's server *before* is the one that answered its last answered request before
//    the split, its server *after* the one that answered its first answered request from the
//    split on. It *moved* when both exist and differ.
//  - Moves (only when a scenario ran; roaming clients are left out, their moves are
//  `roamed_moved`):
//      fail S, remove S: required = clients on S that moved; needless = clients elsewhere that
//        moved; stayed = clients on S still answered by S afterwards (the LB did not move them).
//      drain S: required = 0. Drain means "no new clients, keep the ones you have", so every
//        move is needless, the drained server's clients included.
//      add S: required = 0. Adding a server moves nobody (SPEC §4), so every move is needless;
//        to_added = those of them that moved to S (what a hash without a stick table costs).
//      unserved = clients answered before the split, sent requests after it and never answered
//        then (not counted as moves; a client the probe sent nothing after the split, because
//        --duration or a signal stopped it, is not unserved).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tether::probe {

enum class Scenario { none, fail, drain, add, remove };

std::string_view to_string(Scenario);

// How one request ended.
enum class Outcome { answered, connect_failed, tls_failed, timed_out, closed, malformed };

struct Observation {
  std::size_t client = 0;
  std::size_t request = 0;  // index in the client's session, from 0
  Outcome outcome = Outcome::answered;
  int status = 0;           // when answered
  std::string_view server;  // the server-identity header; empty when absent or not answered
  double latency_ms = 0;    // request start (connect included when it opened one) to response end
  double handshake_ms =
      -1;  // its TLS handshake, when it opened a TLS connection that completed one
  bool roamed_source = false;  // sent from the client's roaming address
  bool after_split = false;    // at or after the split (scenario and roaming point)
  // --check-body: a 200's body was compared with the expected bytes.
  enum class Body { unchecked, intact, corrupt } body = Body::unchecked;
};

struct ScenarioInfo {
  Scenario kind = Scenario::none;
  std::string server;
  bool performed = false;  // the action ran (a run cut short by --duration may stop before it)
  std::string action;      // what was done, e.g. "POST http://127.0.0.1:9000/servers/fe02/fail"
  std::string skipped_because = {};  // why the action did not run, when it did not
};

// What the run was; copied into the report by the runner.
struct RunInfo {
  std::string target;
  std::string path = "/";
  bool new_connections = false;
  bool tls = false;
  std::string cookie;  // cookie name kept per client, empty for none
  std::size_t clients_planned = 0;
  std::size_t requests_per_client = 0;
  std::size_t concurrency = 0;
  double roam_fraction = 0;
  double duration_s = 0;
  // Sessions left unfinished because --duration ran out or a signal (SIGINT, SIGTERM) came.
  bool stopped_early = false;
  std::string stopped_by;  // "--duration" or "a signal" when stopped early
};

struct ServerShare {
  std::string name;
  std::size_t clients = 0;        // clients whose home it is
  std::size_t requests = 0;       // requests it answered
  std::size_t clients_after = 0;  // clients whose server after the split it is
  bool in_distribution = false;
};

struct Latency {
  std::size_t samples = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

struct Errors {
  std::size_t connect = 0, tls_handshake = 0, timeout = 0, closed = 0, malformed = 0, http_5xx = 0;
  std::size_t total() const {
    return connect + tls_handshake + timeout + closed + malformed + http_5xx;
  }
};

struct Moves {
  std::size_t required = 0;
  std::size_t needless = 0;
  std::size_t to_added = 0;  // add: the needless moves that went to the added server
  std::size_t stayed = 0;
  std::size_t unserved = 0;
  std::size_t considered = 0;  // clients with a server before and after, not roaming
};

struct Report {
  RunInfo run;
  ScenarioInfo scenario;

  std::size_t clients = 0;  // clients that sent at least one request
  std::size_t clients_single_server = 0;
  std::size_t clients_unanswered = 0;  // no request answered by a named server
  std::size_t sessions_lost = 0;
  std::size_t requests = 0;
  std::size_t answered = 0;
  std::size_t unattributed = 0;       // answered without the server-identity header
  std::size_t requests_off_home = 0;  // answered by a server other than the client's home
  Errors errors;
  std::map<int, std::size_t> statuses;
  std::size_t bodies_checked = 0;  // --check-body: 200 responses whose body was compared
  std::size_t bodies_corrupt = 0;  // ... and did not match (wrong bytes or length)

  std::vector<ServerShare> servers;  // by name
  std::size_t distribution_servers = 0;
  double mean_clients = 0;
  double max_over_mean = 0;
  double cov = 0;

  Latency latency;
  Latency handshake;      // TLS handshakes (TCP connect excluded); samples 0 without TLS
  std::string tls_error;  // why the first failed TLS handshake failed, empty when none did
  std::size_t roamed = 0;
  std::size_t roamed_moved = 0;
  Moves moves;
};

// Nearest-rank percentile (the smallest sample with at least p% of the samples at or below it);
// `sorted` ascending and non-empty.
double percentile(const std::vector<double>& sorted, double p);

// Collects observations, one client's in request order, from one thread.
class Tally {
 public:
  void record(const Observation& observation);
  Report report(const ScenarioInfo& scenario) const;

 private:
  static constexpr std::uint32_t no_server = UINT32_MAX;

  struct Client {
    bool seen = false;
    bool roamed = false;
    bool several_servers = false;
    bool lost_session = false;
    bool sent_after = false;  // sent at least one request from the split on
    std::size_t next_request = 0;
    std::uint32_t home = no_server;
    std::uint32_t before = no_server;
    std::uint32_t after = no_server;
  };

  std::uint32_t intern(std::string_view server);

  std::vector<Client> clients_;
  std::vector<std::string> server_names_;
  std::unordered_map<std::string, std::uint32_t> server_ids_;
  std::vector<std::size_t> server_requests_;
  std::vector<bool> server_before_;  // answered a request before the split
  std::vector<double> latencies_;
  std::vector<double> handshakes_;
  std::size_t requests_ = 0, answered_ = 0, unattributed_ = 0, off_home_ = 0;
  Errors errors_;
  std::map<int, std::size_t> statuses_;
  std::size_t bodies_checked_ = 0, bodies_corrupt_ = 0;
};

}  // namespace tether::probe
