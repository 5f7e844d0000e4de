// The probe's figures from hand-written observations, where every number is known: stickiness,
// sessions lost, distribution, latency percentiles, and the move figures of each scenario.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tools/probe/tally.h"

namespace tether::probe {
namespace {

// One client's session written as a string per request: a server name ("a"), a server with a
// status ("b:440"), or an outcome without a response ("timeout", "connect").
struct Session {
  std::vector<std::string> requests;
  bool roams = false;  // the requests from the split on come from its roaming address
};

// Feeds sessions into a Tally with latency 1, 2, 3 ... ms in order; `split` as the runner sets it.
Tally tally_of(const std::vector<Session>& sessions, std::size_t split) {
  Tally tally;
  double latency = 1;
  for (std::size_t client = 0; client < sessions.size(); ++client) {
    const auto& requests = sessions[client].requests;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const std::string& text = requests[i];
      Observation o;
      o.client = client;
      o.request = i;
      o.after_split = i >= split;
      o.roamed_source = sessions[client].roams && o.after_split;
      o.latency_ms = latency++;
      if (text == "timeout") {
        o.outcome = Outcome::timed_out;
      } else if (text == "connect") {
        o.outcome = Outcome::connect_failed;
      } else if (text == "closed") {
        o.outcome = Outcome::closed;
      } else {
        const auto colon = text.find(':');
        o.server = std::string_view(text).substr(0, colon);
        o.status = colon == std::string::npos ? 200 : std::stoi(text.substr(colon + 1));
      }
      tally.record(o);
    }
  }
  return tally;
}

ScenarioInfo performed(Scenario kind, std::string server) {
  return ScenarioInfo{kind, std::move(server), true, "test"};
}

const ServerShare& share(const Report& report, const std::string& name) {
  for (const auto& s : report.servers)
    if (s.name == name) return s;
  static const ServerShare none;
  ADD_FAILURE() << "no server " << name;
  return none;
}

TEST(ProbeTally, ExactFiguresOfAHandWrittenRun) {
  const auto report =
      tally_of(
          {
              {{"a", "a", "a", "a"}},        // stays on a
              {{"b", "b", "c", "b"}},        // one request elsewhere
              {{"a", "b:440", "a", "a"}},    // lost its session on b
              {{"connect", "c", "c", "c"}},  // an error, then c only: still one server
          },
          4)
          .report({});
  EXPECT_EQ(report.clients, 4u);
  EXPECT_EQ(report.clients_single_server, 2u);
  EXPECT_EQ(report.clients_unanswered, 0u);
  EXPECT_EQ(report.sessions_lost, 1u);
  EXPECT_EQ(report.requests, 16u);
  EXPECT_EQ(report.answered, 15u);
  EXPECT_EQ(report.requests_off_home, 2u);
  EXPECT_EQ(report.errors.connect, 1u);
  EXPECT_EQ(report.errors.total(), 1u);
  EXPECT_EQ(report.statuses.at(200), 14u);
  EXPECT_EQ(report.statuses.at(440), 1u);

  ASSERT_EQ(report.servers.size(), 3u);
  EXPECT_EQ(share(report, "a").clients, 2u);
  EXPECT_EQ(share(report, "b").clients, 1u);
  EXPECT_EQ(share(report, "c").clients, 1u);
  EXPECT_EQ(share(report, "a").requests, 7u);
  EXPECT_EQ(share(report, "b").requests, 4u);
  EXPECT_EQ(share(report, "c").requests, 4u);
  // Clients per server 2, 1, 1: mean 4/3, max/mean 1.5, sd sqrt(2)/3, cov sqrt(2)/4.
  EXPECT_DOUBLE_EQ(report.mean_clients, 4.0 / 3.0);
  EXPECT_DOUBLE_EQ(report.max_over_mean, 1.5);
  EXPECT_NEAR(report.cov, std::sqrt(2.0) / 4.0, 1e-12);
  EXPECT_EQ(report.moves.required + report.moves.needless + report.moves.considered, 0u);
}

TEST(ProbeTally, LatencyPercentilesAreNearestRankOverAnsweredRequests) {
  // Latencies 1..16 in order; the connect failure (latency 13) is not a sample.
  const auto report = tally_of({{{"a", "a", "a", "a"}},
                                {{"a", "a", "a", "a"}},
                                {{"a", "a", "a", "a"}},
                                {{"connect", "a", "a", "a"}}},
                               4)
                          .report({});
  EXPECT_EQ(report.latency.samples, 15u);
  // Samples 1..12, 14, 15, 16: rank ceil(0.5 * 15) = 8, ceil(13.5) = 14, ceil(14.85) = 15.
  EXPECT_EQ(report.latency.p50, 8);
  EXPECT_EQ(report.latency.p90, 15);
  EXPECT_EQ(report.latency.p99, 16);
  EXPECT_EQ(report.latency.max, 16);
}

TEST(ProbeTally, PercentileOfOneToAHundred) {
  std::vector<double> samples;
  for (int i = 1; i <= 100; ++i)
    samples.push_back(i);
  EXPECT_EQ(percentile(samples, 50), 50);
  EXPECT_EQ(percentile(samples, 90), 90);
  EXPECT_EQ(percentile(samples, 99), 99);
  EXPECT_EQ(percentile({7}, 99), 7);
  EXPECT_EQ(percentile({1, 2}, 50), 1);
}

TEST(ProbeTally, ErrorsCountEveryFailedRequestAnd5xx) {
  const auto report =
      tally_of({{{"timeout", "closed", "connect", ":503"}}, {{"a", "a:502"}}}, 4).report({});
  EXPECT_EQ(report.errors.timeout, 1u);
  EXPECT_EQ(report.errors.closed, 1u);
  EXPECT_EQ(report.errors.connect, 1u);
  EXPECT_EQ(report.errors.http_5xx, 2u);
  EXPECT_EQ(report.errors.total(), 5u);
  // The 503 without a server header is the load balancer's own answer.
  EXPECT_EQ(report.unattributed, 1u);
  EXPECT_EQ(report.clients_unanswered, 1u);
  EXPECT_EQ(report.clients_single_server, 1u);
}

// Six clients, split at request 2, around an event on server b.
const std::vector<Session> around_b = {
    {{"a", "a", "a", "a"}},                  // stays on a
    {{"b", "b", "c", "c"}},                  // leaves b
    {{"c", "c", "a", "a"}},                  // leaves c
    {{"b", "b", "b", "b"}},                  // stays on b
    {{"a", "a", "timeout", "timeout"}},      // never answered after
    {{"a", "a", "c", "c"}, /*roams=*/true},  // roams and moves
};

TEST(ProbeTally, FailMovesOfTheFailedServerAreRequiredOthersNeedless) {
  const auto report = tally_of(around_b, 2).report(performed(Scenario::fail, "b"));
  EXPECT_EQ(report.moves.required, 1u);
  EXPECT_EQ(report.moves.needless, 1u);
  EXPECT_EQ(report.moves.stayed, 1u);
  EXPECT_EQ(report.moves.unserved, 1u);
  EXPECT_EQ(report.moves.considered, 4u);
  EXPECT_EQ(report.roamed, 1u);
  EXPECT_EQ(report.roamed_moved, 1u);
  EXPECT_EQ(share(report, "c").clients_after, 2u);
}

TEST(ProbeTally, RemoveCountsLikeFail) {
  const auto report = tally_of(around_b, 2).report(performed(Scenario::remove, "b"));
  EXPECT_EQ(report.moves.required, 1u);
  EXPECT_EQ(report.moves.needless, 1u);
}

TEST(ProbeTally, DrainRequiresNoMoveSoEveryMoveIsNeedless) {
  const auto report = tally_of(around_b, 2).report(performed(Scenario::drain, "b"));
  EXPECT_EQ(report.moves.required, 0u);
  EXPECT_EQ(report.moves.needless, 2u);
  EXPECT_EQ(report.moves.stayed, 0u);
}

// SPEC §4: when a server is added, clients stay where they are and only new clients use it. A
// hash without a stick table (HAProxy's `balance source`) that sends old clients to the new
// server breaks their sessions: those moves are needless too, and to_added says how many of them.
TEST(ProbeTally, AddRequiresNoMoveSoMovesToTheAddedServerAreNeedlessToo) {
  // c plays the added server: b -> c is a move to it, c -> a one between old servers.
  const auto report = tally_of(around_b, 2).report(performed(Scenario::add, "c"));
  EXPECT_EQ(report.moves.required, 0u);
  EXPECT_EQ(report.moves.needless, 2u);
  EXPECT_EQ(report.moves.to_added, 1u);
  EXPECT_EQ(report.moves.considered, 4u);
}

// A run that --duration stops in the second half sent nothing after the split to some clients:
// they are not "unserved", which says the load balancer left them without a server.
TEST(ProbeTally, AClientSentNothingAfterTheSplitIsNotUnserved) {
  const auto report = tally_of({{{"a", "a", "timeout"}}, {{"a", "a"}}, {{"b", "b", "b"}}}, 2)
                          .report(performed(Scenario::fail, "b"));
  EXPECT_EQ(report.moves.unserved, 1u);
  EXPECT_EQ(report.moves.considered, 1u);
}

TEST(ProbeTally, NoMovesWhenTheScenarioDidNotRun) {
  auto scenario = performed(Scenario::fail, "b");
  scenario.performed = false;
  const auto report = tally_of(around_b, 2).report(scenario);
  EXPECT_EQ(report.moves.required + report.moves.needless + report.moves.considered, 0u);
  EXPECT_EQ(report.roamed_moved, 1u);  // roaming is measured with or without a scenario
}

TEST(ProbeTally, AServerSeenOnlyAfterTheScenarioIsNotInTheDistribution) {
  const auto report = tally_of({{{"a", "a", "d", "d"}}, {{"b", "b", "b", "b"}}}, 2)
                          .report(performed(Scenario::add, "d"));
  EXPECT_FALSE(share(report, "d").in_distribution);
  EXPECT_EQ(report.distribution_servers, 2u);
  EXPECT_DOUBLE_EQ(report.max_over_mean, 1.0);
  EXPECT_EQ(report.cov, 0.0);
  EXPECT_EQ(report.moves.to_added, 1u);
  EXPECT_EQ(report.moves.needless, 1u);
  // Without a scenario the same server counts: 1, 1, 0 clients.
  const auto plain = tally_of({{{"a", "a", "d", "d"}}, {{"b", "b", "b", "b"}}}, 2).report({});
  EXPECT_EQ(plain.distribution_servers, 3u);
  EXPECT_DOUBLE_EQ(plain.max_over_mean, 1.5);
}

TEST(ProbeTally, AClientIsCountedForTheServerOfItsFirstAnswer) {
  const auto report = tally_of({{{"timeout", "b", "a", "a"}}}, 4).report({});
  EXPECT_EQ(share(report, "b").clients, 1u);
  EXPECT_EQ(share(report, "a").clients, 0u);
  EXPECT_EQ(report.requests_off_home, 2u);
  EXPECT_EQ(report.clients_single_server, 0u);
}

}  // namespace
}  // namespace tether::probe
