// MS-WSMAN cookie affinity through TLS on both sides (issue 8): tether-probe --tls clients, some
// roaming to a new address mid-session, against Tether's http frontend terminating TLS with the
// test certificate and re-encrypting to tether-pool servers that speak HTTPS; the servers count
// the handshakes Tether made and how many resumed a session.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/integration/harness.h"
#include "tests/tls/test_certs.h"
#include "tools/pool/pool_plan.h"
#include "tools/pool/simulated_pool.h"
#include "tools/probe/runner.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<pool::SimulatedPool> start_https_pool() {
  pool::FlagPlan flags;
  flags.servers = 3;
  pool::PoolOptions options;
  options.servers = pool::plan_from_flags(flags).servers;
  options.threads = 2;
  options.server.tls = {read_text(test_certs().cert("pool")), read_text(test_certs().key("pool"))};
  std::string error;
  auto started = pool::SimulatedPool::start(std::move(options), error);
  EXPECT_TRUE(started) << error;
  return started;
}

std::string tls_both_sides_yaml(const pool::SimulatedPool& servers) {
  const auto& certs = test_certs();
  std::string y =
      "threads: 2\nshutdown_grace: 1s\nlog: { access: off }\nfrontends:\n"
      "  - name: web\n    listen: [\"127.0.0.1:0\"]\n    mode: http\n    pool: web\n"
      "    tls: { cert: \"" +
      certs.cert("ext") + "\", key: \"" + certs.key("ext") +
      "\" }\n"
      "    affinity: { type: cookie, cookie: { name: MS-WSMAN }, fallback: source }\n"
      "pools:\n  - name: web\n    tls: { enabled: true, ca: \"" +
      certs.ca() +
      "\" }\n"
      "    health: { type: none }\n    servers:\n";
  for (const auto& server : servers.servers()) {
    const auto endpoint = server->http_endpoints().at(0);
    y += "      - { name: " + server->name() +
         ", address: \"127.0.0.1:" + std::to_string(endpoint.port()) + "\" }\n";
  }
  return y;
}

probe::ProbeOptions https_clients(const tcp::endpoint& target) {
  probe::ProbeOptions options;
  options.target = target;
  options.target_text = "127.0.0.1:" + std::to_string(target.port());
  std::string error;
  options.sources = *probe::SourceRange::parse("127.1.0.0/16", error);
  options.clients = 60;
  options.requests = 10;
  options.concurrency = 16;
  options.cookie = "MS-WSMAN";
  options.roam = 0.3;
  options.timeout = 5s;
  options.tls.enabled = true;
  options.tls.ca_pem = read_text(test_certs().ca());
  options.tls.server_name = "127.0.0.1";  // the frontend certificate's IP address
  return options;
}

probe::ProbeOptions new_connection_clients(const tcp::endpoint& target) {
  auto options = https_clients(target);
  options.new_connections = true;
  return options;
}

// Every client on one server for its whole session, roaming or not, and no session lost.
void expect_every_client_kept(const probe::Report& report) {
  EXPECT_TRUE(report.run.tls);
  EXPECT_EQ(report.clients, 60u);
  EXPECT_EQ(report.errors.total(), 0u) << report.tls_error;
  EXPECT_EQ(report.sessions_lost, 0u);
  EXPECT_EQ(report.clients_single_server, 60u);
  EXPECT_EQ(report.roamed, probe::RoamingPlan(0.3).roamers_before(60));
  EXPECT_EQ(report.roamed_moved, 0u);
  EXPECT_EQ(report.statuses.at(200), 600u);
  EXPECT_EQ(report.servers.size(), 3u);
}

TEST(TlsAffinity, RoamingClientsKeepTheirServerAndSessionThroughTlsOnBothSides) {
  auto servers = start_https_pool();
  ASSERT_TRUE(servers);
  TetherInstance tether{tls_both_sides_yaml(*servers)};
  const auto options = https_clients(tether.endpoint("web"));
  ASSERT_EQ(probe::validate(options), "");
  const auto result = probe::run_probe(options, {});
  ASSERT_TRUE(result.ok) << result.error;
  expect_every_client_kept(result.report);
  // Keep-alive clients: one handshake each with Tether, two for the roaming ones.
  EXPECT_EQ(result.report.handshake.samples, 60u + probe::RoamingPlan(0.3).roamers_before(60));

  // Tether reached every server over TLS and resumed sessions rather than paying a full
  // handshake per server connection.
  std::uint64_t handshakes = 0, resumed = 0;
  for (const auto& server : servers->servers()) {
    EXPECT_GT(server->tls_handshakes(), 0u) << server->name();
    handshakes += server->tls_handshakes();
    resumed += server->tls_resumed();
  }
  EXPECT_GT(resumed, 0u) << handshakes << " handshakes";
}

// Every request on a new TLS connection: a full handshake with Tether each time.
TEST(TlsAffinity, ANewTlsConnectionPerRequestKeepsEveryClientToo) {
  auto servers = start_https_pool();
  ASSERT_TRUE(servers);
  TetherInstance tether{tls_both_sides_yaml(*servers)};
  const auto result = probe::run_probe(new_connection_clients(tether.endpoint("web")), {});
  ASSERT_TRUE(result.ok) << result.error;
  expect_every_client_kept(result.report);
  EXPECT_EQ(result.report.handshake.samples, 600u);
}

}  // namespace
}  // namespace tether::test
