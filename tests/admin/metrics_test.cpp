// GET /metrics: the exposition parses under a strict text-format parser (and promtool, when
// installed), and its counters match the traffic a test sent.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "admin/metrics_text.h"
#include "tests/admin/admin_instance.h"
#include "tests/admin/prometheus_parser.h"
#include "tests/integration/http_backend.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

// ---- the parser refuses what Prometheus refuses ------------------------------------------------

const std::string kGood =
    "# HELP a_total Things.\n# TYPE a_total counter\na_total{x=\"q\\\"\\\\\\n\"} 3\n"
    "# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.3\nh_count 2\n";

TEST(PrometheusParser, AcceptsAWellFormedExpositionAndUnescapesLabels) {
  const auto parsed = parse_exposition(kGood);
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  EXPECT_EQ(parsed.value->value("a_total", {{"x", "q\"\\\n"}}), 3.0);
  EXPECT_EQ(parsed.value->family("a_total")->help, "Things.");
  EXPECT_EQ(parsed.value->family("h")->samples.size(), 4u);
}

TEST(PrometheusParser, RefusesBrokenGrammarAndConventions) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"bad name", "1abc 1\n"},
      {"bad label name", "a{1x=\"v\"} 1\n"},
      {"reserved label name", "a{__x=\"v\"} 1\n"},
      {"unquoted label value", "a{x=v} 1\n"},
      {"unknown escape", "a{x=\"\\t\"} 1\n"},
      {"not UTF-8", "a{x=\"caf\xE9\"} 1\n"},
      {"unterminated value", "a{x=\"v} 1\n"},
      {"label twice", "a{x=\"1\",x=\"2\"} 1\n"},
      {"bad value", "a 1,5\n"},
      {"no line feed at the end", "a 1"},
      {"TYPE after samples", "a 1\n# TYPE a gauge\n"},
      {"HELP twice", "# HELP a x\n# HELP a y\na 1\n"},
      {"TYPE twice", "# TYPE a gauge\n# TYPE a gauge\na 1\n"},
      {"family split", "a 1\nb 1\na{x=\"1\"} 2\n"},
      {"series twice", "a{x=\"1\"} 1\na{x=\"1\"} 2\n"},
      {"negative counter", "# TYPE a_total counter\na_total -1\n"},
      {"le not ascending",
       "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"0.5\"} 1\n"
       "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"},
      {"buckets not cumulative",
       "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"},
      {"no +Inf bucket", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"},
      {"count differs", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n"},
      {"no sum", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n"},
  };
  for (const auto& [why, text] : bad)
    EXPECT_FALSE(parse_exposition(text).ok()) << why << ":\n" << text;
}

// ---- the writer ---------------------------------------------------------------------------------

TEST(MetricsText, EscapesLabelValuesSoAnyNameRoundTrips) {
  admin::MetricsText m;
  m.family("tether_x_total", "counter", "Help with a \\ backslash\nand a line feed.");
  const std::string nasty = "we\"ird\\na\nme";
  m.sample({{"frontend", nasty}}, std::uint64_t{7});
  const auto parsed = parse_exposition(m.text());
  ASSERT_TRUE(parsed.ok()) << parsed.error << "\n" << m.text();
  EXPECT_EQ(parsed.value->value("tether_x_total", {{"frontend", nasty}}), 7.0);
}

// A certificate file named in Latin-1 must not cost the whole scrape: Prometheus refuses text
// that is not UTF-8, so such bytes are replaced, and UTF-8 passes untouched.
TEST(MetricsText, LabelValuesThatAreNotUtf8AreReplacedSoTheScrapeParses) {
  admin::MetricsText m;
  m.family("tether_x", "gauge", "Help.");
  m.sample({{"cert", "/etc/tether/caf\xE9.pem"}}, std::uint64_t{1});
  m.sample({{"cert", "/etc/tether/caf\xC3\xA9.pem"}}, std::uint64_t{2});
  const auto parsed = parse_exposition(m.text());
  ASSERT_TRUE(parsed.ok()) << parsed.error << "\n" << m.text();
  EXPECT_EQ(parsed.value->value("tether_x", {{"cert", "/etc/tether/caf\xEF\xBF\xBD.pem"}}), 1.0);
  EXPECT_EQ(parsed.value->value("tether_x", {{"cert", "/etc/tether/caf\xC3\xA9.pem"}}), 2.0);
}

TEST(MetricsText, HistogramBucketsAreCumulativeInSeconds) {
  lb::LatencyHistogram h;
  h.record(50us);   // ≤ 100 µs
  h.record(700us);  // ≤ 1 ms
  h.record(900us);  // ≤ 1 ms
  h.record(20s);    // +Inf only
  admin::MetricsText m;
  m.family("tether_t_seconds", "histogram", "T.");
  m.histogram({{"pool", "p"}}, h.snapshot());
  const auto parsed = parse_exposition(m.text());
  ASSERT_TRUE(parsed.ok()) << parsed.error << "\n" << m.text();
  const auto& e = *parsed.value;
  EXPECT_EQ(e.value("tether_t_seconds_bucket", {{"le", "0.0001"}}), 1.0);
  EXPECT_EQ(e.value("tether_t_seconds_bucket", {{"le", "0.0005"}}), 1.0);
  EXPECT_EQ(e.value("tether_t_seconds_bucket", {{"le", "0.001"}}), 3.0);
  EXPECT_EQ(e.value("tether_t_seconds_bucket", {{"le", "10"}}), 3.0);
  EXPECT_EQ(e.value("tether_t_seconds_bucket", {{"le", "+Inf"}}), 4.0);
  EXPECT_EQ(e.value("tether_t_seconds_count"), 4.0);
  EXPECT_NEAR(*e.value("tether_t_seconds_sum"), 20.00165, 1e-9);
}

// ---- a running Tether ---------------------------------------------------------------------------

// The exposition of a running Tether, checked by the strict parser and, when it is installed,
// by Prometheus' own promtool.
Exposition scrape(AdminInstance& tether) {
  HttpClient client(tether.admin());
  const auto reply = client.get("/metrics");
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("Content-Type"), admin::kMetricsContentType);
  auto parsed = parse_exposition(reply.body);
  EXPECT_TRUE(parsed.ok()) << parsed.error << "\n" << reply.body;
  if (std::system("command -v promtool >/dev/null 2>&1") == 0) {
    const std::string path = write_temp_file("metrics.txt", reply.body);
    const int status = std::system(("promtool check metrics < " + path + " 2>&1").c_str());
    EXPECT_EQ(status, 0) << "promtool check metrics refused:\n" << reply.body;
  }
  return parsed.ok() ? std::move(*parsed.value) : Exposition{};
}

class Metrics : public ::testing::Test {
 protected:
  std::vector<std::unique_ptr<EchoServer>> servers = echo_pool(3);
};

TEST_F(Metrics, CountersMatchTheTcpTrafficSent) {
  AdminInstance tether(with_admin(single_pool_yaml(servers)));
  constexpr std::size_t kClients = 24;
  const std::string payload(1000, 'x');
  std::uint64_t received = 0;
  for (std::size_t c = 0; c < kClients; ++c) {
    asio::io_context context;
    auto socket = connect_from(context, client_address(c), tether.frontend());
    asio::write(socket, asio::buffer(payload));
    socket.shutdown(tcp::socket::shutdown_send);
    const std::string echoed = read_all(socket);
    ASSERT_EQ(echoed.size(), 5 + payload.size());  // "feNN\n" then the echo
    received += echoed.size();
  }
  const auto& frontend = *tether.daemon().frontends()[0];
  ASSERT_TRUE(wait_until([&] { return frontend.active.load() == 0; }, 2s));

  const Exposition e = scrape(tether);
  const std::map<std::string, std::string> web = {{"frontend", "web"}};
  EXPECT_EQ(e.value("tether_frontend_connections_total", web), kClients);
  EXPECT_EQ(e.value("tether_frontend_active_connections", web), 0.0);
  EXPECT_EQ(e.value("tether_frontend_bytes_total", {{"frontend", "web"}, {"direction", "in"}}),
            kClients * payload.size());
  EXPECT_EQ(e.value("tether_frontend_bytes_total", {{"frontend", "web"}, {"direction", "out"}}),
            received);
  EXPECT_EQ(e.value("tether_frontend_errors_total", {{"frontend", "web"}, {"kind", "no_server"}}),
            0.0);
  EXPECT_EQ(e.sum("tether_server_connections_total"), kClients);
  EXPECT_EQ(e.sum("tether_server_bytes_total", {{"direction", "in"}}), kClients * payload.size());
  EXPECT_EQ(e.sum("tether_server_bytes_total", {{"direction", "out"}}), received);
  EXPECT_EQ(e.sum("tether_server_connect_duration_seconds_count"), kClients);
  EXPECT_EQ(e.value("tether_affinity_decisions_total", {{"pool", "web"}, {"reason", "hash"}}),
            kClients);
  EXPECT_EQ(e.value("tether_stick_entries", {{"pool", "web"}}), kClients);
  // Each client made one connection, so each server's pins equal its connections.
  for (const auto& s : servers) {
    const std::map<std::string, std::string> server = {{"pool", "web"}, {"server", s->name()}};
    EXPECT_EQ(e.value("tether_server_pinned_clients", server),
              e.value("tether_server_connections_total", server))
        << s->name();
    EXPECT_EQ(e.value("tether_server_up", server), 1.0);
  }
  EXPECT_EQ(e.value("tether_config_reloads_total", {{"result", "ok"}}), 0.0);
  EXPECT_EQ(e.value("tether_config_generation"), 1.0);
}

TEST_F(Metrics, BulkTransfersAreCountedToTheByte) {
  AdminInstance tether(with_admin(single_pool_yaml(servers)));
  // Large enough for the relay's bulk path; written from a thread while the echo is read back.
  const std::string payload(4 << 20, 'b');
  asio::io_context context;
  auto socket = connect_from(context, client_address(7), tether.frontend());
  std::thread writer([&] {
    asio::write(socket, asio::buffer(payload));
    socket.shutdown(tcp::socket::shutdown_send);
  });
  const std::string echoed = read_all(socket, 20s);
  writer.join();
  ASSERT_EQ(echoed.size(), 5 + payload.size());
  const auto& frontend = *tether.daemon().frontends()[0];
  ASSERT_TRUE(wait_until([&] { return frontend.active.load() == 0; }, 2s));

  const Exposition e = scrape(tether);
  EXPECT_EQ(e.value("tether_frontend_bytes_total", {{"frontend", "web"}, {"direction", "in"}}),
            payload.size());
  EXPECT_EQ(e.value("tether_frontend_bytes_total", {{"frontend", "web"}, {"direction", "out"}}),
            echoed.size());
  EXPECT_EQ(e.sum("tether_server_bytes_total", {{"direction", "in"}}), payload.size());
  EXPECT_EQ(e.sum("tether_server_bytes_total", {{"direction", "out"}}), echoed.size());
}

TEST_F(Metrics, AdminStateAndBreaksFollowAStateChange) {
  AdminInstance tether(with_admin(single_pool_yaml(servers)));
  // A client pinned to fe02, which then goes to maint: its next connection is a counted break.
  std::string client;
  for (std::size_t c = 0; c < 200 && client.empty(); ++c)
    if (server_seen_by(client_address(c), tether.frontend()) == "fe02") client = client_address(c);
  ASSERT_FALSE(client.empty());
  ASSERT_EQ(tether.set_state("fe02", R"({"state":"maint"})").status, 200);
  EXPECT_NE(server_seen_by(client, tether.frontend()), "fe02");

  const Exposition e = scrape(tether);
  const std::map<std::string, std::string> fe02 = {{"server", "fe02"}};
  EXPECT_EQ(e.value("tether_server_admin_state", {{"server", "fe02"}, {"state", "maint"}}), 1.0);
  EXPECT_EQ(e.value("tether_server_admin_state", {{"server", "fe02"}, {"state", "ready"}}), 0.0);
  EXPECT_EQ(e.value("tether_pool_usable_servers", {{"pool", "web"}}), 2.0);
  EXPECT_EQ(e.value("tether_affinity_breaks_total", {{"pool", "web"}, {"cause", "server_maint"}}),
            1.0);
}

TEST_F(Metrics, HealthChecksAreCountedWithTheirLatency) {
  // fe04 points at a port nobody listens on: its checks fail and it is down.
  std::string yaml = single_pool_yaml(
      servers, {"127.0.0.1:0"}, "",
      "    health: { type: tcp, interval: 100ms, timeout: 50ms, rise: 1, fall: 1 }\n");
  yaml += "      - { name: fe04, address: \"127.0.0.1:" + std::to_string(free_port()) + "\" }\n";
  AdminInstance tether(with_admin(yaml));
  Exposition e;
  ASSERT_TRUE(wait_until(
      [&] {
        e = scrape(tether);
        return e.value("tether_server_checks_total", {{"server", "fe01"}, {"result", "passed"}})
                       .value_or(0) >= 2 &&
               e.value("tether_server_checks_total", {{"server", "fe04"}, {"result", "failed"}})
                       .value_or(0) >= 2;
      },
      5s));
  EXPECT_EQ(e.value("tether_server_up", {{"server", "fe04"}}), 0.0);
  EXPECT_EQ(e.value("tether_server_up", {{"server", "fe01"}}), 1.0);
  EXPECT_EQ(e.value("tether_server_checks_total", {{"server", "fe01"}, {"result", "failed"}}), 0.0);
  const auto latency = e.value("tether_server_check_duration_seconds", {{"server", "fe01"}});
  ASSERT_TRUE(latency.has_value());
  EXPECT_GT(*latency, 0.0);
  EXPECT_LT(*latency, 0.05);  // within the check timeout
}

TEST(HttpMetrics, ResponsesByCodeAndClassAndRequestLatency) {
  HttpBackend backend("fe01");
  const std::string yaml =
      "threads: 1\nshutdown_grace: 1s\nlog: { access: off }\nfrontends:\n"
      "  - name: api\n    listen: [\"127.0.0.1:0\"]\n    mode: http\n    pool: web\n"
      "    affinity: { type: none }\n"
      "pools:\n  - name: web\n    servers:\n      - { name: fe01, address: \"" +
      backend.address() + "\" }\n";
  AdminInstance tether(with_admin(yaml));
  HttpClient client(tether.frontend("api"));
  constexpr int kOk = 5, kNotFound = 3;
  for (int i = 0; i < kOk; ++i)
    ASSERT_EQ(client.get("/").status, 200u);
  for (int i = 0; i < kNotFound; ++i)
    ASSERT_EQ(client.get("/status/404").status, 404u);

  const auto api = [](std::map<std::string, std::string> labels) {
    labels["frontend"] = "api";
    return labels;
  };
  // The worker counts a request once its response is written, which may be just after the
  // client has read it: scrape until the last one is in.
  Exposition e;
  ASSERT_TRUE(wait_until(
      [&] {
        e = scrape(tether);
        return e.value("tether_http_request_duration_seconds_count", api({})).value_or(0) ==
               kOk + kNotFound;
      },
      5s));
  EXPECT_EQ(e.value("tether_http_responses_total", api({{"code", "200"}})), kOk);
  EXPECT_EQ(e.value("tether_http_responses_total", api({{"code", "404"}})), kNotFound);
  EXPECT_EQ(e.value("tether_http_responses_by_class_total", api({{"class", "2xx"}})), kOk);
  EXPECT_EQ(e.value("tether_http_responses_by_class_total", api({{"class", "4xx"}})), kNotFound);
  EXPECT_EQ(e.value("tether_http_responses_by_class_total", api({{"class", "5xx"}})), 0.0);
  EXPECT_EQ(e.value("tether_http_request_duration_seconds_count", api({})), kOk + kNotFound);
  // One keep-alive connection: one connect, reused for every request.
  EXPECT_EQ(e.value("tether_server_connect_duration_seconds_count", {{"server", "fe01"}}), 1.0);
  EXPECT_EQ(e.value("tether_frontend_connections_total", api({})), 1.0);
}

}  // namespace
}  // namespace tether::test
