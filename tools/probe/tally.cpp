#include "tools/probe/tally.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace tether::probe {

std::string_view to_string(Scenario scenario) {
  switch (scenario) {
    case Scenario::none:
      return "none";
    case Scenario::fail:
      return "fail";
    case Scenario::drain:
      return "drain";
    case Scenario::add:
      return "add";
    case Scenario::remove:
      return "remove";
  }
  return "none";
}

double percentile(const std::vector<double>& sorted, double p) {
  assert(!sorted.empty());
  const auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

std::uint32_t Tally::intern(std::string_view server) {
  const auto [it, inserted] = server_ids_.try_emplace(
      std::string(server), static_cast<std::uint32_t>(server_names_.size()));
  if (inserted) {
    server_names_.emplace_back(server);
    server_requests_.push_back(0);
    server_before_.push_back(false);
  }
  return it->second;
}

void Tally::record(const Observation& o) {
  if (o.client >= clients_.size()) clients_.resize(o.client + 1);
  Client& client = clients_[o.client];
  assert(!client.seen || o.request >= client.next_request);  // one client's in request order
  client.seen = true;
  client.next_request = o.request + 1;
  client.roamed = client.roamed || o.roamed_source;
  client.sent_after = client.sent_after || o.after_split;
  ++requests_;
  if (o.handshake_ms >= 0) handshakes_.push_back(o.handshake_ms);

  switch (o.outcome) {
    case Outcome::answered:
      break;
    case Outcome::connect_failed:
      ++errors_.connect;
      return;
    case Outcome::tls_failed:
      ++errors_.tls_handshake;
      return;
    case Outcome::timed_out:
      ++errors_.timeout;
      return;
    case Outcome::closed:
      ++errors_.closed;
      return;
    case Outcome::malformed:
      ++errors_.malformed;
      return;
  }

  ++answered_;
  ++statuses_[o.status];
  latencies_.push_back(o.latency_ms);
  if (o.status >= 500) ++errors_.http_5xx;
  if (o.body != Observation::Body::unchecked) ++bodies_checked_;
  if (o.body == Observation::Body::corrupt) ++bodies_corrupt_;
  if (o.status == 440) client.lost_session = true;
  if (o.server.empty()) {
    ++unattributed_;
    return;
  }

  const auto server = intern(o.server);
  ++server_requests_[server];
  if (!o.after_split) server_before_[server] = true;
  if (client.home == no_server) {
    client.home = server;
  } else if (server != client.home) {
    client.several_servers = true;
    ++off_home_;
  }
  if (!o.after_split) {
    client.before = server;
  } else if (client.after == no_server) {
    client.after = server;
  }
}

namespace {

// Figures of one client's move across the split under `scenario`; `target` is the scenario's
// server id (or none when that server never answered).
void count_move(Scenario scenario, std::uint32_t target, std::uint32_t before, std::uint32_t after,
                Moves& moves) {
  ++moves.considered;
  const bool moved = before != after;
  switch (scenario) {
    case Scenario::fail:
    case Scenario::remove:
      if (before == target) {
        if (moved)
          ++moves.required;
        else
          ++moves.stayed;
      } else if (moved) {
        ++moves.needless;
      }
      return;
    case Scenario::drain:
      if (moved) ++moves.needless;
      return;
    case Scenario::add:
      // Nobody has to leave a server that stays (SPEC §4: clients stay where they are, only new
      // ones use the added server), so every move is needless; to_added is the part of them that
      // went to S, what a hash without a stick table costs.
      if (!moved) return;
      ++moves.needless;
      if (after == target) ++moves.to_added;
      return;
    case Scenario::none:
      return;
  }
}

Latency summarize(std::vector<double> samples) {
  Latency latency;
  if (samples.empty()) return latency;
  std::sort(samples.begin(), samples.end());
  latency.samples = samples.size();
  latency.p50 = percentile(samples, 50);
  latency.p90 = percentile(samples, 90);
  latency.p99 = percentile(samples, 99);
  latency.max = samples.back();
  return latency;
}

}  // namespace

Report Tally::report(const ScenarioInfo& scenario) const {
  Report report;
  report.scenario = scenario;
  report.requests = requests_;
  report.answered = answered_;
  report.unattributed = unattributed_;
  report.requests_off_home = off_home_;
  report.errors = errors_;
  report.bodies_checked = bodies_checked_;
  report.bodies_corrupt = bodies_corrupt_;
  report.statuses = statuses_;

  const bool split_matters = scenario.kind != Scenario::none && scenario.performed;
  std::uint32_t target = no_server;
  if (const auto it = server_ids_.find(scenario.server); it != server_ids_.end()) {
    target = it->second;
  }

  std::vector<ServerShare> shares(server_names_.size());
  for (std::size_t i = 0; i < shares.size(); ++i) {
    shares[i].name = server_names_[i];
    shares[i].requests = server_requests_[i];
    shares[i].in_distribution = !split_matters || server_before_[i];
  }

  for (const auto& client : clients_) {
    if (!client.seen) continue;
    ++report.clients;
    if (client.lost_session) ++report.sessions_lost;
    if (client.roamed) ++report.roamed;
    if (client.home == no_server) {
      ++report.clients_unanswered;
      continue;
    }
    ++shares[client.home].clients;
    if (!client.several_servers) ++report.clients_single_server;
    if (client.after != no_server) ++shares[client.after].clients_after;
    if (client.roamed) {
      if (client.before != no_server && client.after != no_server &&
          client.before != client.after) {
        ++report.roamed_moved;
      }
      continue;
    }
    if (!split_matters || client.before == no_server) continue;
    if (client.after == no_server) {
      if (client.sent_after) ++report.moves.unserved;
      continue;
    }
    count_move(scenario.kind, target, client.before, client.after, report.moves);
  }

  // Population statistics of clients per server over the distribution's servers.
  double sum = 0, max = 0;
  std::size_t n = 0;
  for (const auto& share : shares) {
    if (!share.in_distribution) continue;
    ++n;
    sum += static_cast<double>(share.clients);
    max = std::max(max, static_cast<double>(share.clients));
  }
  report.distribution_servers = n;
  if (n > 0 && sum > 0) {
    const double mean = sum / static_cast<double>(n);
    double squares = 0;
    for (const auto& share : shares) {
      if (!share.in_distribution) continue;
      const double d = static_cast<double>(share.clients) - mean;
      squares += d * d;
    }
    report.mean_clients = mean;
    report.max_over_mean = max / mean;
    report.cov = std::sqrt(squares / static_cast<double>(n)) / mean;
  }

  std::sort(shares.begin(), shares.end(),
            [](const ServerShare& a, const ServerShare& b) { return a.name < b.name; });
  report.servers = std::move(shares);

  report.latency = summarize(latencies_);
  report.handshake = summarize(handshakes_);
  return report;
}

}  // namespace tether::probe
