// TLS to servers (pool `tls`, docs/tls.md "Servers") and https checks, end to end on loopback:
// Tether's http frontend re-encrypts to HTTPS backends presenting the test certificates
// (tests/tls/make_test_certs.sh: ca.pem signs pool.pem; rogue.pem is signed by other-ca.pem).
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <set>

#include "admin/metrics.h"
#include "tests/integration/harness.h"
#include "tests/integration/http_backend.h"
#include "tests/tls/test_certs.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

HttpBackend::Tls presenting(const std::string& name) {
  const auto& certs = test_certs();
  return {certs.cert(name), certs.key(name)};
}

// One http frontend "web" in front of pool "web" of `servers`, re-encrypting with `tls` (the
// inside of the pool's tls map).
std::string tls_yaml(const std::vector<HttpBackend*>& servers, const std::string& tls,
                     const std::string& affinity = "{ type: none }",
                     const std::string& pool_extra = "") {
  std::string y =
      "threads: 2\nshutdown_grace: 1s\nlog: { access: off }\nfrontends:\n"
      "  - name: web\n    listen: [\"127.0.0.1:0\"]\n    mode: http\n    pool: web\n"
      "    idle_timeout: 2s\n    affinity: " +
      affinity +
      "\npools:\n  - name: web\n    server_timeout: 2s\n    connect_timeout: 1s\n"
      "    tls: { " +
      tls + " }\n" + pool_extra + "    servers:\n";
  for (const auto* s : servers)
    y += "      - { name: " + s->name() + ", address: \"" + s->address() + "\" }\n";
  return y;
}

std::string verified_by_test_ca(const std::string& more = "") {
  return "enabled: true, ca: \"" + test_certs().ca() + "\"" + (more.empty() ? "" : ", " + more);
}

// An https check of every server on its own port, every 200 ms, one result deciding.
const std::string kHttpsChecks =
    "    health: { type: https, path: /healthcheck, interval: 200ms, timeout: 150ms, rise: 1, "
    "fall: 1, observe: false }\n";

lb::Server& server_of(TetherInstance& tether, const std::string& name) {
  return *tether.daemon().find_pool("web")->find_server(name);
}

health::CheckResult last_check(TetherInstance& tether, const std::string& server) {
  health::CheckResult result;
  run_on_control(tether.daemon(), [&] {
    const auto* pool = tether.daemon().find_pool("web");
    if (const auto* checker = tether.daemon().health().checker(*pool, *pool->find_server(server)))
      result = checker->last();
  });
  return result;
}

std::string metric_line(TetherInstance& tether, const std::string& prefix) {
  std::string text;
  run_on_control(tether.daemon(), [&] { text = admin::metrics_text(tether.daemon()); });
  const auto at = text.find(prefix);
  return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
}

// Captures what Tether logs while it lives.
class LogCapture {
 public:
  LogCapture() { spdlog::default_logger()->sinks().push_back(ring_); }
  ~LogCapture() { spdlog::default_logger()->sinks().pop_back(); }
  std::size_t count(const std::string& fragment) const {
    std::size_t n = 0;
    for (const auto& line : ring_->last_formatted())
      n += line.find(fragment) != std::string::npos;
    return n;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> ring_ =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256);
};

TEST(ServerTls, TrafficIsReencryptedAndTheServerSeesTheConfiguredSni) {
  HttpBackend fe01("fe01", presenting("pool")), fe02("fe02", presenting("pool"));
  TetherInstance tether(tls_yaml({&fe01, &fe02}, verified_by_test_ca("sni: pool.contoso.test")));
  for (int i = 0; i < 10; ++i) {
    HttpClient client(tether.endpoint(), client_address(i));
    const auto r = client.get("/hello");
    ASSERT_EQ(r.status, 200u) << r.head;
    EXPECT_NE(r.body.find("GET /hello HTTP/1.1"), std::string::npos) << r.body;
  }
  EXPECT_EQ(fe01.requests() + fe02.requests(), 10u);
  EXPECT_GT(fe01.handshakes() + fe02.handshakes(), 0u);
  for (const auto* s : {&fe01, &fe02})
    for (const auto& name : s->server_names())
      EXPECT_EQ(name, "pool.contoso.test") << s->name();
}

TEST(ServerTls, AnIpAddressIsVerifiedAsAnIpAndGetsNoSni) {
  // No sni: the server's address as written, 127.0.0.1, must be an IP SAN of its certificate.
  HttpBackend fe01("fe01", presenting("pool"));
  TetherInstance tether(tls_yaml({&fe01}, verified_by_test_ca()));
  EXPECT_EQ(http_server_seen_by("127.0.0.1", tether.endpoint()), "fe01");
  ASSERT_EQ(fe01.server_names().size(), 1u);
  EXPECT_EQ(fe01.server_names()[0], "") << "an IP literal was sent as SNI";
}

// The must-show: a server whose certificate is not signed by the pool's CA fails the
// connection; the client gets 502 and the failure is counted as a TLS one.
TEST(ServerTls, ARogueCertificateFailsTheConnectionWith502AndIsCounted) {
  HttpBackend rogue("fe01", presenting("rogue"));
  LogCapture log;
  TetherInstance tether(
      tls_yaml({&rogue}, verified_by_test_ca(), "{ type: none }", "    retries: 0\n"));
  for (int i = 0; i < 3; ++i) {
    HttpClient client(tether.endpoint(), client_address(i));
    const auto r = client.get("/secret");
    EXPECT_EQ(r.status, 502u) << r.head;
  }
  EXPECT_EQ(rogue.requests(), 0u) << "a request reached a server that failed verification";
  EXPECT_EQ(rogue.handshakes(), 0u);
  auto& fe01 = server_of(tether, "fe01");
  EXPECT_EQ(fe01.tls_failures.load(), 3u);
  EXPECT_EQ(fe01.connect_failures.load(), 3u);
  const auto line = metric_line(tether, "tether_server_tls_failures_total{");
  std::printf("  %s\n", line.c_str());
  EXPECT_EQ(line, "tether_server_tls_failures_total{pool=\"web\",server=\"fe01\"} 3");
  // Logged once with OpenSSL's reason; the next two are within the throttle's interval.
  EXPECT_EQ(log.count("pool web server fe01: TLS handshake failed: certificate verify failed "
                      "(unable to get local issuer certificate)"),
            1u);
}

TEST(ServerTls, APROXYHeaderGoesFirstInPlaintextThenTls) {
  auto tls = presenting("pool");
  tls.proxy_v1 = true;
  HttpBackend fe01("fe01", tls);
  std::string yaml = tls_yaml({&fe01}, verified_by_test_ca());
  const std::string server = "address: \"" + fe01.address() + "\"";
  yaml.replace(yaml.find(server), server.size(), server + ", send_proxy: v1");
  TetherInstance tether(yaml);
  EXPECT_EQ(http_server_seen_by("127.0.0.7", tether.endpoint()), "fe01");
  ASSERT_EQ(fe01.proxy_lines().size(), 1u);
  EXPECT_EQ(fe01.proxy_lines()[0].rfind("PROXY TCP4 127.0.0.7 127.0.0.1 ", 0), 0u)
      << fe01.proxy_lines()[0];
  EXPECT_EQ(fe01.handshakes(), 1u);
}

TEST(ServerTls, AFailedHandshakeIsRetriedOnTheNextServer) {
  HttpBackend rogue("fe01", presenting("rogue")), good("fe02", presenting("pool"));
  TetherInstance tether(tls_yaml({&rogue, &good}, verified_by_test_ca(), "{ type: none }",
                                 "    balance: round_robin\n    retries: 1\n"));
  for (int i = 0; i < 6; ++i) {
    HttpClient client(tether.endpoint(), client_address(i));
    const auto r = client.get("/");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.header("X-Tether-Server"), "fe02");
  }
  EXPECT_GT(server_of(tether, "fe01").tls_failures.load(), 0u) << "round robin never tried fe01";
}

// The must-show's other half: the https check marks the rogue server down, the good one up.
TEST(ServerTls, TheHttpsCheckMarksTheRogueServerDownAndTheGoodOneStaysUp) {
  HttpBackend good("fe01", presenting("pool")), rogue("fe02", presenting("rogue"));
  TetherInstance tether(
      tls_yaml({&good, &rogue}, verified_by_test_ca(), "{ type: none }", kHttpsChecks));
  ASSERT_TRUE(wait_until([&] { return !last_check(tether, "fe02").detail.empty(); }, 3s));
  ASSERT_TRUE(wait_until([&] { return !last_check(tether, "fe01").detail.empty(); }, 3s));
  const auto up = last_check(tether, "fe01"), down = last_check(tether, "fe02");
  std::printf("  fe01: %s (%s)\n  fe02: %s (%s)\n", up.ok ? "ok" : "failed", up.detail.c_str(),
              down.ok ? "ok" : "failed", down.detail.c_str());
  EXPECT_TRUE(up.ok);
  EXPECT_EQ(up.detail, "status 200");
  EXPECT_FALSE(down.ok);
  EXPECT_EQ(down.detail, "tls: certificate verify failed (unable to get local issuer certificate)");
  EXPECT_TRUE(server_of(tether, "fe01").healthy.load());
  EXPECT_FALSE(server_of(tether, "fe02").healthy.load());
  // Every client now goes to the server that is up.
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(http_server_seen_by(client_address(i), tether.endpoint()), "fe01");
}

TEST(ServerTls, VerifyFalseUsesTheRogueServerAndSaysSoAtStartAndReload) {
  HttpBackend rogue("fe01", presenting("rogue"));
  LogCapture log;
  const std::string path =
      write_temp_file("tls-verify-false.yaml",
                      tls_yaml({&rogue}, "enabled: true, verify: false", "{ type: none }"));
  TetherInstance tether(tls_yaml({&rogue}, "enabled: true, verify: false", "{ type: none }"), path);
  const std::string warning = "pool web: tls.verify is false";
  EXPECT_EQ(log.count(warning), 1u);
  EXPECT_EQ(http_server_seen_by("127.0.0.1", tether.endpoint()), "fe01");
  EXPECT_EQ(server_of(tether, "fe01").tls_failures.load(), 0u);
  lb::Daemon::ReloadOutcome outcome;
  run_on_control(tether.daemon(), [&] { outcome = tether.daemon().reload(false); });
  ASSERT_TRUE(outcome.ok);
  EXPECT_EQ(log.count(warning), 2u) << "not said again at reload";
}

TEST(ServerTls, ANameTheCertificateDoesNotCarryFails) {
  HttpBackend fe01("fe01", presenting("pool"));
  const std::string tls = verified_by_test_ca("sni: other.contoso.test");
  {
    TetherInstance tether(tls_yaml({&fe01}, tls, "{ type: none }", "    retries: 0\n"));
    HttpClient client(tether.endpoint());
    EXPECT_EQ(client.get("/").status, 502u);
    EXPECT_EQ(fe01.requests(), 0u);
    EXPECT_EQ(server_of(tether, "fe01").tls_failures.load(), 1u);
    EXPECT_EQ(fe01.handshakes(), 0u) << "the handshake completed";
  }
  // The https check sends the pool's sni too, and says why it failed.
  TetherInstance tether(tls_yaml({&fe01}, tls, "{ type: none }", kHttpsChecks));
  ASSERT_TRUE(wait_until([&] { return !last_check(tether, "fe01").detail.empty(); }, 3s));
  const auto check = last_check(tether, "fe01");
  std::printf("  check: %s\n", check.detail.c_str());
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.detail, "tls: certificate verify failed (hostname mismatch)");
}

// TLS 1.3 (tickets after the handshake) and TLS 1.2 (the session at the end of it).
class Resumption : public ::testing::TestWithParam<bool> {};

TEST_P(Resumption, ANewConnectionToTheSameServerResumesItsSession) {
  auto tls = presenting("pool");
  tls.tls12_only = GetParam();
  HttpBackend fe01("fe01", tls);
  TetherInstance tether(tls_yaml({&fe01}, verified_by_test_ca("sni: pool.contoso.test")));
  // The server ends each answer by closing (/close): every request needs a new connection.
  constexpr int kConnections = 10;
  for (int i = 0; i < kConnections; ++i) {
    HttpClient client(tether.endpoint(), client_address(i));
    ASSERT_EQ(client.get("/close").header("X-Tether-Server"), "fe01");
  }
  std::printf("  TLS %s: %zu handshakes to fe01, %zu resumed\n", GetParam() ? "1.2" : "1.3",
              fe01.handshakes(), fe01.resumed());
  EXPECT_EQ(fe01.handshakes(), static_cast<std::size_t>(kConnections));
  // The first is full; every later one offers the session the previous one brought.
  EXPECT_EQ(fe01.resumed(), static_cast<std::size_t>(kConnections - 1));
  EXPECT_EQ(tether.daemon().find_pool("web")->tls()->sessions(), 1u) << "one per server";
}

INSTANTIATE_TEST_SUITE_P(ServerTls, Resumption, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Tls12" : "Tls13"; });

TEST(ServerTls, ParkedTlsConnectionsAreReusedAcrossClients) {
  HttpBackend fe01("fe01", presenting("pool"));
  TetherInstance tether(tls_yaml({&fe01}, verified_by_test_ca()));
  for (int i = 0; i < 20; ++i) {
    HttpClient client(tether.endpoint(), client_address(i));
    EXPECT_EQ(client.get("/status/200").status, 200u);
  }
  EXPECT_EQ(fe01.requests(), 20u);
  EXPECT_LE(fe01.handshakes(), 4u) << "a new TLS connection per request";
}

TEST(ServerTls, TetherEndsItsServerConnectionsWithCloseNotify) {
  HttpBackend fe01("fe01", presenting("pool"));
  {
    TetherInstance tether(tls_yaml({&fe01}, verified_by_test_ca()));
    HttpClient client(tether.endpoint(), client_address(0));
    EXPECT_EQ(client.get("/status/200").status, 200u);
  }  // Tether stops and closes the connection it parked after the answer.
  EXPECT_TRUE(wait_until([&] { return fe01.close_notifies() + fe01.truncated() >= 1; }, 2s));
  EXPECT_EQ(fe01.close_notifies(), 1u);
  EXPECT_EQ(fe01.truncated(), 0u) << "a FIN without close_notify";
}

TEST(ServerTls, CookieAffinityWorksOverTlsToServers) {
  HttpBackend fe01("fe01", presenting("pool")), fe02("fe02", presenting("pool")),
      fe03("fe03", presenting("pool"));
  TetherInstance tether(tls_yaml({&fe01, &fe02, &fe03}, verified_by_test_ca(),
                                 "{ type: cookie, cookie: { name: MS-WSMAN } }"));
  // Each client learns its cookie, then comes back on new connections from other addresses
  // (roaming): every request follows the cookie.
  std::set<std::string> used;
  for (int c = 0; c < 6; ++c) {
    HttpClient first(tether.endpoint(), client_address(c));
    const auto r = first.get("/");
    ASSERT_EQ(r.status, 200u);
    const auto set = r.header("Set-Cookie");
    ASSERT_EQ(set.rfind("MS-WSMAN=", 0), 0u) << set;
    const std::string cookie = set.substr(0, set.find(';'));
    const std::string server = r.header("X-Tether-Server");
    used.insert(server);
    for (int i = 0; i < 5; ++i) {
      HttpClient again(tether.endpoint(), client_address(1000 + c * 10 + i));
      const auto next = again.get("/", "Cookie: " + cookie + "\r\n");
      EXPECT_EQ(next.header("X-Tether-Server"), server) << "client " << c;
      EXPECT_EQ(next.header("Set-Cookie"), "") << "a valid cookie was replaced";
      EXPECT_EQ(next.body.find("MS-WSMAN"), std::string::npos) << "the server saw our cookie";
    }
  }
  EXPECT_GT(used.size(), 1u) << "every client went to one server";
}

}  // namespace
}  // namespace tether::test
