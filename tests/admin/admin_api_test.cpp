// The admin API end to end (docs/admin-api.md): a Tether in this process with its admin server,
// echo backends that stamp their names, and clients from their own 127.1.x.y addresses.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "lb/cookie_token.h"
#include "tests/admin/admin_instance.h"
#include "tests/integration/http_backend.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;
using admin::JsonValue;

class AdminApi : public ::testing::Test {
 protected:
  std::vector<std::unique_ptr<EchoServer>> servers = echo_pool(3);

  std::unique_ptr<AdminInstance> start(const std::string& extra_frontend = "",
                                       const std::string& extra_pool = "",
                                       const std::string& token_file = "") {
    return std::make_unique<AdminInstance>(with_admin(
        single_pool_yaml(servers, {"127.0.0.1:0"}, extra_frontend, extra_pool), token_file));
  }

  // The first client address (from `first` on) that a real connection places on `server`.
  static std::string client_on(AdminInstance& tether, const std::string& server,
                               std::size_t first = 0) {
    for (std::size_t c = first; c < first + 200; ++c)
      if (server_seen_by(client_address(c), tether.frontend()) == server) return client_address(c);
    ADD_FAILURE() << "no client reached " << server;
    return "";
  }
};

TEST_F(AdminApi, HealthzSaysOk) {
  auto tether = start();
  const auto reply = tether->request("GET", "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ok\n");
}

TEST_F(AdminApi, HealthzSaysStoppingOnceAGracefulStopBegan) {
  auto tether = start();
  // An open relay keeps the daemon in its grace period, serving the admin API meanwhile.
  asio::io_context context;
  auto client = connect_from(context, "127.0.0.1", tether->frontend());
  ASSERT_FALSE(read_line(client).empty());
  tether->daemon().shutdown();
  EXPECT_TRUE(wait_until([&] { return tether->request("GET", "/healthz").status == 503; }, 2s));
  EXPECT_EQ(tether->request("GET", "/healthz").body, "stopping\n");
  client.close();
}

TEST_F(AdminApi, StatusDescribesFrontendsPoolsAndServers) {
  auto tether = start();
  const JsonValue status = tether->get_json("/api/v1/status");
  EXPECT_EQ(status["version"].as_string(), "0.1.0");
  EXPECT_TRUE(status["uptime_s"].as_uint64().has_value());

  const JsonValue& frontend = status["frontends"][0];
  EXPECT_EQ(frontend["name"].as_string(), "web");
  EXPECT_EQ(frontend["listen"][0].as_string(),
            "127.0.0.1:" + std::to_string(tether->frontend().port()));
  EXPECT_EQ(frontend["mode"].as_string(), "tcp");
  EXPECT_EQ(frontend["pool"].as_string(), "web");
  EXPECT_EQ(frontend["active"].as_uint64(), 0u);
  EXPECT_EQ(frontend["accepted"].as_uint64(), 0u);

  const JsonValue& pool = status["pools"][0];
  EXPECT_EQ(pool["name"].as_string(), "web");
  EXPECT_EQ(pool["stick_entries"].as_uint64(), 0u);
  for (const char* cause : {"server_down", "server_maint", "drain_deadline", "expired", "evicted",
                            "cookie_invalid", "removed"})
    EXPECT_EQ(pool["breaks"][cause].as_uint64(), 0u) << cause;
  for (const char* reason : {"stick", "hash", "cookie", "fallback", "none"})
    EXPECT_EQ(pool["decisions"][reason].as_uint64(), 0u) << reason;
  ASSERT_EQ(pool["servers"].as_array().size(), 3u);
  for (const auto& echo : servers) {
    const JsonValue& s = server_in(status, echo->name());
    EXPECT_EQ(s["address"].as_string(), echo->address());
    EXPECT_EQ(s["weight"].as_uint64(), 1u);
    EXPECT_EQ(s["admin_state"].as_string(), "ready");
    EXPECT_EQ(s["health"].as_string(), "up");
    for (const char* counter : {"active", "total", "bytes_in", "bytes_out", "pinned"})
      EXPECT_EQ(s[counter].as_uint64(), 0u) << counter;
    EXPECT_TRUE(s["drain_deadline"].is_null());
    EXPECT_TRUE(s["last_check"].is_null()) << "no health checks configured";
  }
}

TEST_F(AdminApi, StatusCountsAConnectionItsPinAndItsDecision) {
  auto tether = start();
  const std::string server = server_seen_by("127.1.0.1", tether->frontend());
  ASSERT_FALSE(server.empty());

  JsonValue status;
  // The relay's counters settle once the session has ended on the worker.
  ASSERT_TRUE(wait_until(
      [&] {
        status = tether->get_json("/api/v1/status");
        return status["frontends"][0]["active"].as_uint64() == 0u;
      },
      2s));
  EXPECT_EQ(status["frontends"][0]["accepted"].as_uint64(), 1u);
  const JsonValue& pool = status["pools"][0];
  EXPECT_EQ(pool["stick_entries"].as_uint64(), 1u);
  EXPECT_EQ(pool["decisions"]["hash"].as_uint64(), 1u);
  for (const auto& echo : servers) {
    const JsonValue& s = server_in(status, echo->name());
    const std::uint64_t expected = echo->name() == server ? 1 : 0;
    EXPECT_EQ(s["total"].as_uint64(), expected) << echo->name();
    EXPECT_EQ(s["pinned"].as_uint64(), expected) << echo->name();
  }
  EXPECT_EQ(server_in(status, server)["bytes_out"].as_uint64(), server.size() + 1);  // "feNN\n"
}

TEST_F(AdminApi, HealthCheckResultsAppearInStatus) {
  auto tether = start("", "    health: { type: tcp, interval: 100ms, timeout: 50ms }\n");
  JsonValue check;
  ASSERT_TRUE(wait_until(
      [&] {
        check = server_in(tether->get_json("/api/v1/status"), "fe02")["last_check"];
        return check.is_object();
      },
      3s));
  EXPECT_TRUE(check["ok"].as_bool());
  EXPECT_FALSE(check["detail"].as_string().empty());
  EXPECT_EQ(check["at"].as_string().size(), 20u) << check["at"].as_string();  // ...T04:35:03Z
  EXPECT_TRUE(check["latency_ms"].is_number());
}

TEST_F(AdminApi, UnknownNamesAndPathsAre404) {
  auto tether = start();
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/index.html"},
           {"GET", "/api/v1/nothing"},
           {"GET", "/api/v1/status/"},
           {"POST", "/api/v1/pools/nope/servers/fe01/state"},
           {"POST", "/api/v1/pools/web/servers/fe99/state"},
           {"GET", "/api/v1/pools/nope/affinity?client=10.0.0.1"}}) {
    const auto reply = tether->request(method, target, R"({"state":"drain"})");
    EXPECT_EQ(reply.status, 404) << method << " " << target;
    EXPECT_FALSE(json_of(reply)["error"].as_string().empty()) << reply.body;
  }
  EXPECT_EQ(json_of(tether->set_state("fe99", R"({"state":"drain"})"))["error"].as_string(),
            "unknown server \"fe99\" in pool \"web\"");
}

TEST_F(AdminApi, WrongMethodIs405) {
  auto tether = start();
  EXPECT_EQ(tether->request("POST", "/api/v1/status").status, 405);
  EXPECT_EQ(tether->request("DELETE", "/healthz").status, 405);
  EXPECT_EQ(tether->request("GET", "/api/v1/pools/web/servers/fe01/state").status, 405);
  EXPECT_EQ(tether->request("POST", "/api/v1/pools/web/affinity?client=10.0.0.1").status, 405);
}

TEST_F(AdminApi, BadStateChangesAre400AndChangeNothing) {
  auto tether = start();
  for (const std::string body :
       {"", "drain", "{", R"(["drain"])", R"({"state":"drained"})", R"({"state":"DRAIN"})",
        R"({"state":1})", R"({})", R"({"state":"drain","deadline":"10"})",
        R"({"state":"drain","deadline":"soon"})", R"({"state":"drain","deadline":600})",
        R"({"state":"maint","deadline":"10m"})", R"({"state":"drain","why":"upgrade"})",
        R"({"state":{"name":"drain"}})", R"({"state":"drain"} trailing)"}) {
    const auto reply = tether->set_state("fe01", body);
    EXPECT_EQ(reply.status, 400) << body;
    EXPECT_FALSE(json_of(reply)["error"].as_string().empty()) << body << " -> " << reply.body;
  }
  EXPECT_EQ(server_in(tether->get_json("/api/v1/status"), "fe01")["admin_state"].as_string(),
            "ready");
}

TEST_F(AdminApi, BadOrMissingClientIs400) {
  auto tether = start();
  // "%00garbage": decoded, a NUL that would cut the address short unseen.
  for (const std::string query :
       {"", "?client=", "?client=10.0.0", "?client=fe01", "?client=10.0.0.1%zz", "?other=10.0.0.1",
        "?client=10.0.0.1%00garbage", "?client=%5B::1%00%5D"})
    EXPECT_EQ(tether->request("GET", "/api/v1/pools/web/affinity" + query).status, 400) << query;
}

// A parameter an endpoint does not take is refused, not ignored: `?cookei=` must not explain a
// request without a cookie, and a state change is never a dry run.
TEST_F(AdminApi, UnknownOrRepeatedQueryParametersAre400AndChangeNothing) {
  auto tether = start();
  const auto error_of = [&](const std::string& method, const std::string& target) {
    const auto reply =
        tether->request(method, target, method == "POST" ? R"({"state":"maint"})" : "");
    EXPECT_EQ(reply.status, 400) << target << " -> " << reply.body;
    return reply.status == 400 ? json_of(reply)["error"].as_string() : std::string();
  };
  EXPECT_EQ(error_of("GET", "/api/v1/pools/web/affinity?client=10.0.0.1&cookei=x"),
            "unknown query parameter \"cookei\" (this endpoint takes client, cookie)");
  EXPECT_EQ(error_of("GET", "/api/v1/pools/web/affinity?client=10.0.0.1&client=10.0.0.2"),
            "query parameter \"client\" given twice");
  EXPECT_EQ(error_of("POST", "/api/v1/pools/web/servers/fe01/state?dry_run=1"),
            "unknown query parameter \"dry_run\" (this endpoint takes none)");
  EXPECT_EQ(server_in(tether->get_json("/api/v1/status"), "fe01")["admin_state"].as_string(),
            "ready");
  EXPECT_EQ(tether->request("GET", "/api/v1/pools/web/affinity?client=10.0.0.1").status, 200);
}

TEST_F(AdminApi, PostsNeedTheTokenWhenOneIsSet) {
  const std::string token_file = write_temp_file("admin_api_token", "s3cret-token\n");
  auto tether = start("", "", token_file);
  const std::string drain = R"({"state":"drain"})";

  auto reply = tether->set_state("fe01", drain);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(json_of(reply)["error"].as_string(), "missing bearer token");
  EXPECT_EQ(tether->set_state("fe01", drain, "s3cret-tokeN").status, 401);
  EXPECT_EQ(tether->set_state("fe01", drain, "s3cret").status, 401);
  EXPECT_EQ(tether->set_state("fe01", drain, "s3cret-token-and-more").status, 401);
  // Unknown names are not revealed to a caller without the token.
  EXPECT_EQ(tether->request("POST", "/api/v1/pools/nope/servers/x/state", drain).status, 401);
  EXPECT_EQ(server_in(tether->get_json("/api/v1/status"), "fe01")["admin_state"].as_string(),
            "ready");

  reply = tether->set_state("fe01", drain, "s3cret-token");
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(json_of(reply)["admin_state"].as_string(), "drain");
  // GETs stay open.
  EXPECT_EQ(tether->request("GET", "/api/v1/status").status, 200);
}

TEST_F(AdminApi, DrainKeepsPinnedClientsAndTurnsNewOnesAway) {
  auto tether = start();
  const std::string pinned = client_on(*tether, "fe01");

  const auto reply = tether->set_state("fe01", R"({"state":"drain"})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const JsonValue answer = json_of(reply);
  EXPECT_EQ(answer["name"].as_string(), "fe01");
  EXPECT_EQ(answer["admin_state"].as_string(), "drain");
  EXPECT_EQ(answer["pinned"].as_uint64(), 1u);
  EXPECT_TRUE(answer["drain_deadline"].is_null());
  EXPECT_EQ(server_in(tether->get_json("/api/v1/status"), "fe01")["admin_state"].as_string(),
            "drain");

  EXPECT_EQ(server_seen_by(pinned, tether->frontend()), "fe01");
  for (std::size_t c = 1000; c < 1050; ++c)
    EXPECT_NE(server_seen_by(client_address(c), tether->frontend()), "fe01") << client_address(c);
  EXPECT_EQ(server_seen_by(pinned, tether->frontend()), "fe01");

  ASSERT_EQ(tether->set_state("fe01", R"({"state":"ready"})").status, 200);
  EXPECT_EQ(server_in(tether->get_json("/api/v1/status"), "fe01")["admin_state"].as_string(),
            "ready");
}

TEST_F(AdminApi, DrainWithADeadlineTurnsIntoMaint) {
  auto tether = start();
  const std::string pinned = client_on(*tether, "fe02");

  const auto reply = tether->set_state("fe02", R"({"state":"drain","deadline":"300ms"})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(json_of(reply)["admin_state"].as_string(), "drain");
  EXPECT_TRUE(json_of(reply)["drain_deadline"].is_string()) << reply.body;
  EXPECT_EQ(server_seen_by(pinned, tether->frontend()), "fe02");

  JsonValue fe02;
  ASSERT_TRUE(wait_until(
      [&] {
        fe02 = server_in(tether->get_json("/api/v1/status"), "fe02");
        return fe02["admin_state"].as_string() == "maint";
      },
      3s));
  EXPECT_TRUE(fe02["drain_deadline"].is_null());
  EXPECT_NE(server_seen_by(pinned, tether->frontend()), "fe02");
  const JsonValue status = tether->get_json("/api/v1/status");
  EXPECT_EQ(status["pools"][0]["breaks"]["drain_deadline"].as_uint64(), 1u);
}

TEST_F(AdminApi, ExplainNamesTheServerARealConnectionReaches) {
  auto tether = start();
  constexpr std::size_t kClients = 50;
  const auto explain = [&](std::size_t c) {
    return tether->get_json("/api/v1/pools/web/affinity?client=" + client_address(c));
  };
  std::set<std::string> used;
  for (std::size_t c = 0; c < kClients; ++c) {
    const JsonValue before = explain(c);
    EXPECT_EQ(before["pool"].as_string(), "web");
    EXPECT_EQ(before["client"].as_string(), client_address(c));
    EXPECT_EQ(before["key"].as_string(), client_address(c) + "/32");
    EXPECT_EQ(before["reason"].as_string(), "hash");
    // Explaining changed nothing: still no stick entry.
    EXPECT_EQ(explain(c)["reason"].as_string(), "hash");

    const std::string reached = server_seen_by(client_address(c), tether->frontend());
    EXPECT_EQ(before["server"].as_string(), reached) << client_address(c);
    const JsonValue after = explain(c);
    EXPECT_EQ(after["reason"].as_string(), "stick");
    EXPECT_EQ(after["server"].as_string(), reached) << client_address(c);
    used.insert(reached);
  }
  EXPECT_EQ(used.size(), 3u);
  EXPECT_EQ(tether->get_json("/api/v1/status")["pools"][0]["stick_entries"].as_uint64(), kClients);
}

TEST_F(AdminApi, ExplainUsesTheFrontendsMasksAndFollowsStates) {
  auto tether = start("    affinity: { type: source, ipv4_mask: 24 }\n");
  const std::string pinned = client_on(*tether, "fe03");
  JsonValue answer = tether->get_json("/api/v1/pools/web/affinity?client=" + pinned);
  const std::string network = pinned.substr(0, pinned.rfind('.')) + ".0/24";
  EXPECT_EQ(answer["key"].as_string(), network);
  EXPECT_EQ(answer["server"].as_string(), "fe03");
  EXPECT_EQ(answer["reason"].as_string(), "stick");

  // Maint: the pinned client would be placed anew, as its next connection will be.
  ASSERT_EQ(tether->set_state("fe03", R"({"state":"maint"})").status, 200);
  answer = tether->get_json("/api/v1/pools/web/affinity?client=" + pinned);
  EXPECT_EQ(answer["reason"].as_string(), "hash");
  EXPECT_EQ(answer["server"].as_string(), server_seen_by(pinned, tether->frontend()));

  // Nothing usable: server null, reason none.
  for (const char* name : {"fe01", "fe02"})
    ASSERT_EQ(tether->set_state(name, R"({"state":"maint"})").status, 200);
  answer = tether->get_json("/api/v1/pools/web/affinity?client=10.9.8.7");
  EXPECT_TRUE(answer["server"].is_null());
  EXPECT_EQ(answer["reason"].as_string(), "none");
  // IPv6 (bracketed or percent-encoded) is accepted too.
  EXPECT_EQ(tether->get_json("/api/v1/pools/web/affinity?client=%5B2001%3Adb8%3A%3A1%5D")["key"]
                .as_string(),
            "2001:db8::/64");
}

// http frontends (`frontends`, YAML list items) in front of pool "web" of `servers`.
std::string http_pool_yaml(const std::string& frontends,
                           const std::vector<std::unique_ptr<HttpBackend>>& servers) {
  std::string yaml = "threads: 2\nshutdown_grace: 1s\nlog: { access: off }\nfrontends:\n" +
                     frontends + "pools:\n  - name: web\n    servers:\n";
  for (const auto& b : servers)
    yaml += "      - { name: " + b->name() + ", address: \"" + b->address() + "\" }\n";
  return yaml;
}

TEST(AdminCookieAffinity, ExplainFollowsTheCookieElseTheFallback) {
  const auto servers = backends(3);
  AdminInstance tether(with_admin(
      http_pool_yaml("  - name: web\n    listen: [\"127.0.0.1:0\"]\n    mode: http\n    pool: web\n"
                     "    affinity: { type: cookie, cookie: { name: MS-WSMAN } }\n",
                     servers)));
  const auto explain = [&](const std::string& client, const std::string& cookie = "") {
    return tether.get_json("/api/v1/pools/web/affinity?client=" + client +
                           (cookie.empty() ? "" : "&cookie=" + cookie));
  };

  // Without a cookie: the fallback (source), where a real request from that address goes.
  for (std::size_t c = 0; c < 20; ++c) {
    const JsonValue answer = explain(client_address(c));
    EXPECT_EQ(answer["reason"].as_string(), "fallback");
    EXPECT_EQ(answer["server"].as_string(),
              http_server_seen_by(client_address(c), tether.frontend()))
        << client_address(c);
  }
  // A valid cookie names its server, whatever the address.
  const std::string fe02 = lb::cookie_token("fe02", 0, "");
  JsonValue answer = explain("10.0.0.1", fe02);
  EXPECT_EQ(answer["server"].as_string(), "fe02");
  EXPECT_EQ(answer["reason"].as_string(), "cookie");
  // A tampered one, or one whose server is in maint, falls back.
  EXPECT_EQ(explain("10.0.0.1", "0123456789abcdef")["reason"].as_string(), "fallback");
  ASSERT_EQ(tether.set_state("fe02", R"({"state":"maint"})").status, 200);
  answer = explain("10.0.0.1", fe02);
  EXPECT_EQ(answer["reason"].as_string(), "fallback");
  EXPECT_NE(answer["server"].as_string(), "fe02");
}

TEST(AdminCookieAffinity, APoolFedByCookieAndSourceFrontendsIsExplainedForEach) {
  // The cookie frontend comes first and has masks of its own (it has no stick table to agree on).
  const auto servers = backends(2);
  AdminInstance tether(with_admin(
      http_pool_yaml("  - name: ext\n    listen: [\"127.0.0.1:0\"]\n    mode: http\n    pool: web\n"
                     "    affinity: { type: cookie, ipv4_mask: 24, cookie: { name: MS-WSMAN } }\n"
                     "  - name: int\n    listen: [\"127.0.0.1:0\"]\n    mode: http\n    pool: web\n"
                     "    affinity: { type: source }\n",
                     servers)));
  // An address alone: the source frontend's stick table and masks.
  JsonValue answer = tether.get_json("/api/v1/pools/web/affinity?client=10.1.2.3");
  EXPECT_EQ(answer["key"].as_string(), "10.1.2.3/32");
  EXPECT_EQ(answer["reason"].as_string(), "hash");
  // With a cookie: the cookie frontend's.
  answer = tether.get_json("/api/v1/pools/web/affinity?client=10.1.2.3&cookie=" +
                           lb::cookie_token("fe02", 0, ""));
  EXPECT_EQ(answer["key"].as_string(), "10.1.2.0/24");
  EXPECT_EQ(answer["reason"].as_string(), "cookie");
  EXPECT_EQ(answer["server"].as_string(), "fe02");
}

// Raw bytes on one connection: keep-alive, pipelining, and what a broken request gets.
class AdminWire : public AdminApi {
 protected:
  void SetUp() override { tether = start(); }

  std::string exchange(const std::string& bytes) {
    asio::io_context context;
    tcp::socket socket(context);
    socket.connect(tether->admin());
    asio::write(socket, asio::buffer(bytes));
    const Received received = read_until_closed(socket, 5s);
    EXPECT_TRUE(received.closed) << "still open after 5s";
    return received.data;
  }

  std::unique_ptr<AdminInstance> tether;
};

TEST_F(AdminWire, TwoRequestsOnOneKeepAliveConnection) {
  const std::string reply = exchange(
      "GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n"
      "GET /api/v1/pools/web/affinity?client=10.0.0.1 HTTP/1.1\r\nHost: admin\r\n"
      "Connection: close\r\n\r\n");
  const std::size_t second = reply.find("HTTP/1.1 200 OK", 1);
  ASSERT_NE(second, std::string::npos) << reply;
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("Connection: keep-alive"), std::string::npos);
  EXPECT_NE(reply.find("\r\n\r\nok\n"), std::string::npos);
  EXPECT_NE(reply.find("Connection: close", second), std::string::npos);
  EXPECT_NE(reply.find(R"("client":"10.0.0.1")", second), std::string::npos);
}

TEST_F(AdminWire, MalformedRequestIs400AndClosed) {
  const std::string reply = exchange("GET /healthz HTTP/1.1\nHost: admin\n\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos);
  EXPECT_NE(reply.find(R"({"error":)"), std::string::npos);
}

TEST_F(AdminWire, HugeHeadIs431) {
  const std::string reply = exchange(
      "GET /healthz HTTP/1.1\r\nHost: admin\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 431 ", 0), 0u) << reply.substr(0, 200);
}

TEST_F(AdminWire, LargeBodyIs413AndChunkedIs411) {
  EXPECT_EQ(exchange("POST /api/v1/pools/web/servers/fe01/state HTTP/1.1\r\nHost: a\r\n"
                     "Content-Length: 70000\r\n\r\n")
                .rfind("HTTP/1.1 413 ", 0),
            0u);
  EXPECT_EQ(exchange("POST /api/v1/pools/web/servers/fe01/state HTTP/1.1\r\nHost: a\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .rfind("HTTP/1.1 411 ", 0),
            0u);
}

TEST_F(AdminWire, BodyArrivingInPiecesIsRead) {
  asio::io_context context;
  tcp::socket socket(context);
  socket.connect(tether->admin());
  const std::string body = R"({"state":"drain"})";
  const std::string head =
      "POST /api/v1/pools/web/servers/fe01/state HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  for (const std::string& piece :
       {head.substr(0, 10), head.substr(10), body.substr(0, 5), body.substr(5)}) {
    asio::write(socket, asio::buffer(piece));
    std::this_thread::sleep_for(20ms);
  }
  const std::string reply = read_until_closed(socket, 5s).data;
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find(R"("admin_state":"drain")"), std::string::npos) << reply;
}

TEST_F(AdminWire, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  asio::io_context context;
  tcp::socket socket(context);
  socket.connect(tether->admin());
  const std::string body = R"({"state":"drain"})";
  asio::write(socket, asio::buffer("POST /api/v1/pools/web/servers/fe01/state HTTP/1.1\r\n"
                                   "Host: a\r\nConnection: close\r\nExpect: 100-Continue\r\n"
                                   "Content-Length: " +
                                   std::to_string(body.size()) + "\r\n\r\n"));
  // The client holds its body back: without the interim answer nothing more would happen.
  const Received interim = read_until_closed(socket, 1s);
  EXPECT_FALSE(interim.closed);
  EXPECT_EQ(interim.data, "HTTP/1.1 100 Continue\r\n\r\n");
  asio::write(socket, asio::buffer(body));
  const std::string reply = read_until_closed(socket, 5s).data;
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find(R"("admin_state":"drain")"), std::string::npos) << reply;
}

TEST_F(AdminApi, IdleAndSlowConnectionsAreClosedAfterTheIdleTimeout) {
  admin::AdminServer::Options options;
  options.idle_timeout = 200ms;
  AdminInstance tether(with_admin(single_pool_yaml(servers)), options);
  const auto closes_within = [&](const std::string& sent, std::chrono::milliseconds limit) {
    asio::io_context context;
    tcp::socket socket(context);
    socket.connect(tether.admin());
    asio::write(socket, asio::buffer(sent));
    return read_until_closed(socket, limit).closed;
  };
  EXPECT_TRUE(closes_within("", 2s));                             // says nothing
  EXPECT_TRUE(closes_within("GET /healthz HTTP/1.1\r\nHo", 2s));  // never finishes its head
  // After an answer, a keep-alive connection gets the same time for its next request.
  EXPECT_TRUE(closes_within("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 2s));
}

// EMFILE must not kill a listener (STYLE.md): with no descriptor left, accepts fail; once
// descriptors are back, the waiting clients are served.
TEST_F(AdminApi, AcceptLoopSurvivesRunningOutOfDescriptors) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizer runtimes need descriptors of their own (UBSan checks memory through a pipe), so
  // with none left they report false errors. The normal build runs this test.
  GTEST_SKIP() << "descriptor exhaustion is not testable under sanitizers";
#endif
  auto tether = start();
  asio::io_context context;
  std::vector<tcp::socket> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back(context);
    clients.back().open(tcp::v4());
  }
  // Fill every free descriptor number below the highest in use, so the next one is `limit`.
  int highest = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    highest = std::max(highest, std::stoi(entry.path().filename().string()));
  std::vector<int> fillers;
  int limit;
  do {
    limit = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(limit, 0);
    fillers.push_back(limit);
  } while (limit <= highest);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  ::close(fillers.back());  // `limit` is now the lowest free number
  fillers.pop_back();
  rlimit lowered = saved;
  lowered.rlim_cur = static_cast<rlim_t>(limit);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);

  const std::string request = "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  for (auto& client : clients) {
    client.connect(tether->admin());  // completes in the kernel's backlog
    asio::write(client, asio::buffer(request));
  }
  std::this_thread::sleep_for(300ms);  // accept fails with EMFILE meanwhile
  const std::size_t starved = clients[0].available();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  for (const int fd : fillers)
    ::close(fd);

  EXPECT_EQ(starved, 0u) << "an accept succeeded without a free descriptor";
  for (auto& client : clients)
    EXPECT_EQ(read_until_closed(client, 5s).data.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

}  // namespace
}  // namespace tether::test
