// HTTP mode and MS-WSMAN cookie affinity end to end (SPEC §4, §5; issue #5).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "lb/proxy_protocol.h"
#include "tests/integration/harness.h"
#include "tests/integration/http_backend.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

std::string http_yaml(const std::vector<std::unique_ptr<HttpBackend>>& servers,
                      const std::string& affinity, const std::string& frontend_extra = "",
                      const std::string& pool_extra = "") {
  std::string y =
      "threads: 2\nshutdown_grace: 1s\nlog: { access: off }\nfrontends:\n"
      "  - name: web\n    listen: [\"127.0.0.1:0\"]\n    mode: http\n    pool: web\n"
      "    idle_timeout: 2s\n    affinity: " +
      affinity + "\n" + frontend_extra +
      "pools:\n  - name: web\n    server_timeout: 1s\n    connect_timeout: 500ms\n" + pool_extra +
      "    servers:\n";
  for (const auto& s : servers)
    y += "      - { name: " + s->name() + ", address: \"" + s->address() + "\" }\n";
  return y;
}

const std::string kCookie = "{ type: cookie, cookie: { name: MS-WSMAN } }";

// "MS-WSMAN=abc; Path=/" → "abc"
std::string cookie_value(const HttpReply& r) {
  const auto set = r.header("Set-Cookie");
  const auto eq = set.find('=');
  return eq == std::string::npos ? "" : set.substr(eq + 1, set.find(';') - eq - 1);
}

class CookieAffinity : public ::testing::Test {
 protected:
  std::vector<std::unique_ptr<HttpBackend>> servers = backends(3);
  TetherInstance tether{http_yaml(servers, kCookie)};
};

TEST_F(CookieAffinity, ASwitchingProtocolsResponseSetsTheCookieToo) {
  // SPEC §1: every response whose request lacked a valid cookie; a 101 is one.
  HttpClient client(tether.endpoint());
  client.send("GET /upgrade HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
  const auto r = client.read();
  EXPECT_EQ(r.status, 101u);
  EXPECT_EQ(r.header("Set-Cookie").rfind("MS-WSMAN=", 0), 0u) << r.head;
  EXPECT_FALSE(cookie_value(r).empty()) << r.head;
  EXPECT_EQ(r.header("Upgrade"), "echo") << r.head;  // the switch itself passes unchanged
  client.send("tunnelled");
  char buffer[16];
  std::string echoed;
  for (std::size_t got;
       echoed.size() < 9 && (got = client.socket().read_some(asio::buffer(buffer)));)
    echoed.append(buffer, got);
  EXPECT_EQ(echoed, "tunnelled");
}

TEST_F(CookieAffinity, EveryResponseToARequestWithoutCookieSetsIt) {
  HttpClient client(tether.endpoint());
  for (int i = 0; i < 3; ++i) {  // never "once per connection"
    const auto r = client.get("/");
    ASSERT_EQ(r.status, 200u);
    const auto set = r.header("Set-Cookie");
    EXPECT_EQ(set.rfind("MS-WSMAN=", 0), 0u) << set;
    EXPECT_NE(set.find("; Path=/"), std::string::npos) << set;
    // A session cookie, readable by the client: no Expires, no Max-Age, no HttpOnly.
    EXPECT_EQ(set.find("Expires"), std::string::npos);
    EXPECT_EQ(set.find("Max-Age"), std::string::npos);
    EXPECT_EQ(set.find("HttpOnly"), std::string::npos);
  }
}

TEST(CookieAttributes, SecureAndHttpOnlyAreAddedWhenConfigured) {
  auto servers = backends(1);
  TetherInstance tether(http_yaml(
      servers, "{ type: cookie, cookie: { name: MS-WSMAN, secure: true, httponly: true } }"));
  HttpClient client(tether.endpoint());
  const auto set = client.get("/").header("Set-Cookie");
  EXPECT_EQ(set.rfind("MS-WSMAN=", 0), 0u) << set;
  EXPECT_NE(set.find("; Path=/"), std::string::npos) << set;
  EXPECT_NE(set.find("; Secure"), std::string::npos) << set;
  EXPECT_NE(set.find("; HttpOnly"), std::string::npos) << set;
}

TEST_F(CookieAffinity, EachRequestOnOneConnectionFollowsItsOwnCookie) {
  // Learn two servers' cookies.
  std::map<std::string, std::string> cookie_of;
  for (std::size_t c = 0; c < 60 && cookie_of.size() < 2; ++c) {
    HttpClient probe(tether.endpoint(), client_address(c));
    const auto r = probe.get("/");
    cookie_of[r.header("X-Tether-Server")] = cookie_value(r);
  }
  ASSERT_EQ(cookie_of.size(), 2u);
  const auto a = *cookie_of.begin(), b = *cookie_of.rbegin();

  // One connection, as the Lync reverse proxy multiplexes many users.
  HttpClient proxy(tether.endpoint());
  const auto first = proxy.get("/", "Cookie: MS-WSMAN=" + a.second + "\r\n");
  const auto second = proxy.get("/", "Cookie: MS-WSMAN=" + b.second + "\r\n");
  EXPECT_EQ(first.header("X-Tether-Server"), a.first);
  EXPECT_EQ(second.header("X-Tether-Server"), b.first);
  EXPECT_EQ(first.count("Set-Cookie"), 0) << "a valid cookie gets no new one";
  EXPECT_EQ(second.count("Set-Cookie"), 0);
  const auto third = proxy.get("/");
  EXPECT_EQ(third.count("Set-Cookie"), 1);
}

TEST_F(CookieAffinity, OurCookieIsRemovedBeforeTheServerAndOthersAreKept) {
  HttpClient client(tether.endpoint());
  const auto token = cookie_value(client.get("/"));
  const auto r = client.get("/", "Cookie: theme=dark; MS-WSMAN=" + token + "; lang=en\r\n");
  // The backend's body is the request head it received.
  EXPECT_EQ(r.body.find("MS-WSMAN"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Cookie: theme=dark; lang=en\r\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Host: pool.contoso.net\r\n"), std::string::npos)
      << "Host is never rewritten";
  EXPECT_NE(r.body.find("X-Forwarded-For: 127.0.0.1\r\n"), std::string::npos) << r.body;
}

TEST_F(CookieAffinity, TamperedCookieIsReplacedAndCounted) {
  HttpClient client(tether.endpoint());
  const auto r = client.get("/", "Cookie: MS-WSMAN=0123456789abcdef\r\n");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.count("Set-Cookie"), 1);
  EXPECT_EQ(tether.daemon().find_pool("web")->breaks(lb::BreakCause::cookie_invalid), 1u);
}

TEST_F(CookieAffinity, ServersOwnCookiesPassUntouched) {
  HttpClient client(tether.endpoint());
  const auto r = client.get("/set-cookie");
  EXPECT_EQ(r.count("Set-Cookie"), 2);
  EXPECT_NE(r.head.find("Set-Cookie: ASP.NET_SessionId=abc; path=/\r\n"), std::string::npos);
}

TEST_F(CookieAffinity, DrainedServerKeepsItsCookieClientsAndGetsNoNewOnes) {
  HttpClient pinned(tether.endpoint());
  const auto first = pinned.get("/");
  const auto token = cookie_value(first);
  const auto drained_name = first.header("X-Tether-Server");
  auto& pool = *tether.daemon().find_pool("web");
  run_on_control(tether.daemon(), [&] {
    tether.daemon().set_server_state(pool, *pool.find_server(drained_name), lb::AdminState::drain);
  });
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(pinned.get("/", "Cookie: MS-WSMAN=" + token + "\r\n").header("X-Tether-Server"),
              drained_name);
  for (std::size_t c = 0; c < 100; ++c) {
    HttpClient fresh(tether.endpoint(), client_address(c));
    EXPECT_NE(fresh.get("/").header("X-Tether-Server"), drained_name);
  }
  // maint: the cookie's server cannot take it; the client is re-placed and gets a new cookie.
  run_on_control(tether.daemon(), [&] {
    tether.daemon().set_server_state(pool, *pool.find_server(drained_name), lb::AdminState::maint);
  });
  const auto moved = pinned.get("/", "Cookie: MS-WSMAN=" + token + "\r\n");
  EXPECT_NE(moved.header("X-Tether-Server"), drained_name);
  EXPECT_EQ(moved.count("Set-Cookie"), 1);
  EXPECT_EQ(pool.breaks(lb::BreakCause::server_maint), 1u);
}

TEST_F(CookieAffinity, AClientSentNowhereCountsNoBreakAndKeepsItsServer) {
  // SPEC §6a counts a client placed somewhere other than its pin; a 503 places it nowhere.
  HttpClient client(tether.endpoint());
  const auto first = client.get("/");
  const auto token = cookie_value(first);
  auto& pool = *tether.daemon().find_pool("web");
  auto set_all = [&](lb::AdminState state) {
    run_on_control(tether.daemon(), [&] {
      for (const auto& s : pool.servers())
        tether.daemon().set_server_state(pool, *s, state);
    });
  };
  set_all(lb::AdminState::maint);
  for (int i = 0; i < 2; ++i) {
    HttpClient refused(tether.endpoint());
    EXPECT_EQ(refused.get("/", "Cookie: MS-WSMAN=" + token + "\r\n").status, 503u);
  }
  EXPECT_EQ(pool.breaks(lb::BreakCause::server_maint), 0u);
  set_all(lb::AdminState::ready);
  HttpClient back(tether.endpoint());
  const auto r = back.get("/", "Cookie: MS-WSMAN=" + token + "\r\n");
  EXPECT_EQ(r.header("X-Tether-Server"), first.header("X-Tether-Server"));
  EXPECT_EQ(r.count("Set-Cookie"), 0);
}

// ---- HTTP/1.1 behaviour ----------------------------------------------------------------------

class HttpProxy : public ::testing::Test {
 protected:
  std::vector<std::unique_ptr<HttpBackend>> servers = backends(1);
  TetherInstance tether{http_yaml(servers, "{ type: source }")};
};

TEST_F(HttpProxy, PipelinedRequestsAreAnsweredInOrder) {
  HttpClient client(tether.endpoint());
  client.send(
      "GET /status/201 HTTP/1.1\r\nHost: a\r\n\r\nGET /status/202 HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /status/203 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(client.read().status, 201u);
  EXPECT_EQ(client.read().status, 202u);
  EXPECT_EQ(client.read().status, 203u);
}

TEST_F(HttpProxy, BodiesAreStreamedWithTheirFraming) {
  HttpClient client(tether.endpoint());
  const std::string big(300'000, 'x');
  client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(big.size()) +
              "\r\n\r\n" + big);
  EXPECT_NE(client.read().body.find("body-bytes: 300000"), std::string::npos);
  client.send(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
      "chunked\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n");
  const auto chunked = client.read();
  EXPECT_EQ(chunked.status, 200u);
  EXPECT_NE(chunked.body.find("Transfer-Encoding: chunked"), std::string::npos);
  // The framer counts the chunked body's bytes as they went over the wire.
  EXPECT_NE(chunked.body.find("body-bytes: 24"), std::string::npos) << chunked.body;
  EXPECT_EQ(client.get("/chunked").body, "hello world");
  EXPECT_EQ(client.get("/status/200").body, "ok");  // and the connection still works
}

TEST_F(HttpProxy, HeadAnd204And304HaveNoBody) {
  HttpClient client(tether.endpoint());
  client.send("HEAD /status/200 HTTP/1.1\r\nHost: a\r\n\r\n");
  const auto head = client.read(true);
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.header("Content-Length"), "2");
  EXPECT_EQ(client.get("/status/204").status, 204u);
  EXPECT_EQ(client.get("/status/304").status, 304u);
  EXPECT_EQ(client.get("/status/200").body, "ok");  // framing stayed in step
}

TEST_F(HttpProxy, ExpectContinueGetsTheServersHundredFirst) {
  HttpClient client(tether.endpoint());
  client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  char buffer[64];
  const std::size_t n = client.socket().read_some(asio::buffer(buffer));
  EXPECT_EQ(std::string(buffer, n).rfind("HTTP/1.1 100", 0), 0u) << std::string(buffer, n);
  client.send("hello");
  EXPECT_NE(client.read().body.find("body-bytes: 5"), std::string::npos);
}

TEST_F(HttpProxy, UpgradeTurnsIntoATunnel) {
  HttpClient client(tether.endpoint());
  client.send("GET /upgrade HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
  EXPECT_EQ(client.read().status, 101u);
  client.send("raw bytes, no HTTP");
  char buffer[64];
  std::size_t got = 0;
  std::string echoed;
  while (echoed.size() < 18 && (got = client.socket().read_some(asio::buffer(buffer))) > 0)
    echoed.append(buffer, got);
  EXPECT_EQ(echoed, "raw bytes, no HTTP");
}

TEST_F(HttpProxy, ResponseUntilCloseEndsTheClientConnectionToo) {
  HttpClient client(tether.endpoint());
  const auto r = client.get("/close");
  EXPECT_EQ(r.body, "until close");
  EXPECT_EQ(r.header("Connection"), "close");
}

TEST_F(HttpProxy, ServerConnectionsAreReusedAcrossClients) {
  for (int i = 0; i < 20; ++i) {
    HttpClient client(tether.endpoint(), client_address(i));
    EXPECT_EQ(client.get("/status/200").status, 200u);
  }
  EXPECT_EQ(servers[0]->requests(), 20u);
  EXPECT_LE(servers[0]->connections(), 4u) << "a new server connection per request";
}

// A client that closes after its request (Connection: close, one request per connection, as
// many clients and probes do) leaves the server connection for the next client.
TEST_F(HttpProxy, ServerConnectionsOutliveClientsThatClose) {
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(http_server_seen_by(client_address(i), tether.endpoint()), "fe01");
  EXPECT_EQ(servers[0]->requests(), 20u);
  EXPECT_LE(servers[0]->connections(), 4u) << "a new server connection per client";
}

// A server closes an idle keep-alive connection Tether has parked. The next request, one with a
// body (which could not be retried once sent), must get a fresh connection, not the dead one.
TEST_F(HttpProxy, ParkedConnectionTheServerClosedIsNotReused) {
  // From several clients, so that both workers (each has its own pool) hold such a connection.
  for (int i = 0; i < 8; ++i) {
    HttpClient client(tether.endpoint(), client_address(i));
    ASSERT_EQ(client.get("/then-close").status, 200u);
  }
  std::this_thread::sleep_for(100ms);  // the server's FINs have arrived at the parked connections
  for (int i = 0; i < 8; ++i) {
    HttpClient client(tether.endpoint(), client_address(100 + i));
    client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    const auto r = client.read();
    EXPECT_EQ(r.status, 200u);
    EXPECT_NE(r.body.find("body-bytes: 5"), std::string::npos) << r.head << r.body;
  }
}

TEST_F(HttpProxy, SlowServerGets504) {
  HttpClient client(tether.endpoint());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(client.get("/hang").status, 504u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(HttpStop, GracefulStopClosesIdleKeepAliveConnectionsAtOnceAndAnswersRequestsUnderWay) {
  auto servers = backends(1);
  auto yaml = http_yaml(servers, "{ type: source }");
  yaml.replace(yaml.find("shutdown_grace: 1s"), 18, "shutdown_grace: 5s");
  auto tether = std::make_unique<TetherInstance>(yaml);
  HttpClient idle(tether->endpoint());
  ASSERT_EQ(idle.get("/").status, 200u);  // kept alive, now between requests
  HttpClient busy(tether->endpoint());
  busy.send("GET /slow/500 HTTP/1.1\r\nHost: a\r\n\r\n");
  std::this_thread::sleep_for(150ms);  // the request is with the server
  const auto started = std::chrono::steady_clock::now();
  tether->shutdown();
  // The idle connection has nothing under way: it is not held until the grace ends.
  EXPECT_TRUE(idle.closed());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 300ms);
  // The request under way is answered, and its connection ends after it.
  const auto r = busy.read();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(busy.closed());
  tether.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

// ---- errors ----------------------------------------------------------------------------------

struct BadInput {
  const char* name;
  std::string bytes;
  unsigned status;  // 0: a clean close without a response
};

class HttpBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(HttpBadInput, GetsTheRightAnswerAndOthersAreStillServed) {
  auto servers = backends(1);
  TetherInstance tether(http_yaml(servers, "{ type: source }"));
  HttpClient bad(tether.endpoint());
  bad.send(GetParam().bytes);
  if (GetParam().status == 0) {
    bad.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
    EXPECT_TRUE(bad.closed());
  } else {
    const auto r = bad.read();
    EXPECT_EQ(r.status, GetParam().status) << r.head;
    EXPECT_TRUE(bad.closed());
  }
  HttpClient good(tether.endpoint(), "127.0.0.2");
  EXPECT_EQ(good.get("/status/200").status, 200u);
}

INSTANTIATE_TEST_SUITE_P(
    Requests, HttpBadInput,
    ::testing::Values(
        BadInput{"TruncatedHead", "GET / HTTP/1.1\r\nHost: a\r\n", 0},
        BadInput{"Garbage", "\x16\x03\x01 not http\r\n\r\n", 400},
        BadInput{"HugeHeader",
                 "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(100 * 1024, 'a') + "\r\n\r\n",
                 431},
        BadInput{"ContentLengthAndChunked",
                 "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: "
                 "chunked\r\n\r\n0\r\n\r\n",
                 400},
        BadInput{"TwoContentLengths",
                 "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                 400},
        BadInput{"BadChunkSize",
                 "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
        BadInput{"NoHost", "GET / HTTP/1.1\r\n\r\n", 400},
        BadInput{"Http2Preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(HttpErrors, SlowlorisGets408AndOthersAreServedMeanwhile) {
  auto servers = backends(1);
  TetherInstance tether(http_yaml(servers, "{ type: source }"));  // idle_timeout 2s
  HttpClient slow(tether.endpoint());
  slow.send("GET / HTTP/1.1\r\n");
  HttpClient good(tether.endpoint(), "127.0.0.2");
  EXPECT_EQ(good.get("/status/200").status, 200u);
  const auto started = std::chrono::steady_clock::now();
  slow.send("Host: a\r\n");  // still trickling
  EXPECT_EQ(slow.read().status, 408u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
}

TEST(HttpErrors, NoServerIs503AndUnreachableIs502) {
  std::vector<std::unique_ptr<HttpBackend>> none;
  auto yaml = http_yaml(none, "{ type: source }", "", "    retries: 1\n");
  yaml += "      - { name: fe01, address: \"127.0.0.1:" + std::to_string(free_port()) + "\" }\n";
  TetherInstance tether(yaml);
  {
    HttpClient client(tether.endpoint());
    EXPECT_EQ(client.get("/").status, 502u);
  }
  auto& pool = *tether.daemon().find_pool("web");
  run_on_control(tether.daemon(), [&] {
    tether.daemon().set_server_state(pool, *pool.find_server("fe01"), lb::AdminState::maint);
  });
  HttpClient client(tether.endpoint());
  EXPECT_EQ(client.get("/").status, 503u);
  const auto& frontend = *tether.daemon().frontends()[0];
  EXPECT_EQ(frontend.http_responses[502].load(), 1u);
  EXPECT_EQ(frontend.http_responses[503].load(), 1u);
}

// ---- the real client behind a proxy ------------------------------------------------------------

TEST(ClientAddress, SourceAffinityFollowsTheRealClientBehindTrustedXForwardedFor) {
  auto servers = backends(3);
  TetherInstance tether(http_yaml(
      servers,
      "{ type: source, client_address: x-forwarded-for, trusted_proxies: [\"127.0.0.0/8\"] }"));
  // A reverse proxy: four connections carrying 200 clients.
  std::vector<std::unique_ptr<HttpClient>> proxy;
  for (int i = 0; i < 4; ++i)
    proxy.push_back(std::make_unique<HttpClient>(tether.endpoint()));
  std::map<std::string, std::set<std::string>> seen;  // client → servers
  for (int round = 0; round < 3; ++round)
    for (int c = 0; c < 200; ++c) {
      const std::string client =
          "10.9." + std::to_string(c / 250) + "." + std::to_string(c % 250 + 1);
      const auto r = proxy[(c + round) % 4]->get("/", "X-Forwarded-For: " + client + "\r\n");
      seen[client].insert(r.header("X-Tether-Server"));
    }
  std::map<std::string, int> per_server;
  for (const auto& [client, set] : seen) {
    EXPECT_EQ(set.size(), 1u) << client;
    ++per_server[*set.begin()];
  }
  EXPECT_EQ(per_server.size(), 3u) << "clients behind the proxy still spread";
}

TEST(ClientAddress, XForwardedForFromAnUntrustedPeerIsIgnored) {
  auto servers = backends(3);
  // Only 10.0.0.0/8 may speak for clients; the test connects from 127.0.0.1.
  TetherInstance tether(http_yaml(
      servers,
      "{ type: source, client_address: x-forwarded-for, trusted_proxies: [\"10.0.0.0/8\"] }"));
  HttpClient peer(tether.endpoint());
  std::set<std::string> servers_seen;
  for (int c = 0; c < 60; ++c) {
    const auto r = peer.get("/", "X-Forwarded-For: 10.9.0." + std::to_string(c + 1) + "\r\n");
    ASSERT_EQ(r.status, 200u);
    servers_seen.insert(r.header("X-Tether-Server"));
  }
  // Placed by its own address every time, however many clients it claims to carry.
  EXPECT_EQ(servers_seen.size(), 1u);
}

TEST(ClientAddress, ProxyProtocolV2CarriesTheRealClient) {
  auto servers = backends(3);
  TetherInstance tether(http_yaml(servers, "{ type: source }", "    accept_proxy: true\n"));
  const auto vip = tether.endpoint();
  std::map<std::string, std::set<std::string>> seen;
  for (int round = 0; round < 2; ++round)
    for (int c = 0; c < 100; ++c) {
      const asio::ip::tcp::endpoint client(
          asio::ip::make_address("10.8.0." + std::to_string(c + 1)), 40000);
      HttpClient conn(vip);
      conn.send(lb::make_proxy_v2(client, vip));
      const auto r = conn.get("/");
      EXPECT_NE(r.body.find("X-Forwarded-For: 10.8.0." + std::to_string(c + 1) + "\r\n"),
                std::string::npos);
      seen[client.address().to_string()].insert(r.header("X-Tether-Server"));
    }
  std::set<std::string> used;
  for (const auto& [client, set] : seen) {
    EXPECT_EQ(set.size(), 1u) << client;
    used.insert(*set.begin());
  }
  EXPECT_EQ(used.size(), 3u);
}

TEST(ClientAddress, InvalidProxyHeaderIsRefusedAndCounted) {
  auto servers = backends(1);
  TetherInstance tether(http_yaml(servers, "{ type: source }", "    accept_proxy: true\n"));
  HttpClient bad(tether.endpoint());
  bad.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");  // no PROXY header
  EXPECT_TRUE(bad.closed());
  EXPECT_EQ(tether.daemon().frontends()[0]->refused.load(), 1u);
}

}  // namespace
}  // namespace tether::test
