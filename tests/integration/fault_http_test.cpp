// Fault injection in http mode (issue 9): servers that reset, close without answering, never
// read, trickle or die mid-body; clients that vanish, half-close, trickle or say nothing. Each
// ends the documented way (README "HTTP mode" and "Access log": 502/504 with its log line and
// counter, or a closed client connection where a response was already under way) while a client
// of another frontend on the same worker thread is served. Bad requests and slowloris are in
// http_mode_test.cpp.
#include <gtest/gtest.h>

#include <future>

#include "tests/integration/http_fault_fixture.h"
#include "tests/integration/pool_process.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

using HttpFaults = HttpFaultTest;

unsigned short port_of(HttpClient& client) {
  return client.socket().local_endpoint().port();
}

// ---- servers ----------------------------------------------------------------------------------

TEST_F(HttpFaults, ServerResetBeforeTheResponseIs502) {
  start([](auto& c) {
    if (!c.read_head().empty()) c.reset();
  });
  HttpClient client(tether->endpoint("faulty"));
  const auto r = client.get("/");
  EXPECT_EQ(r.status, 502u);
  EXPECT_TRUE(client.closed());
  const auto line = log_line(port_of(client));
  EXPECT_EQ(log_field(line, "status"), "502") << line;
  EXPECT_EQ(responses(502), 1u);
  expect_nothing_left();
  expect_others_served();
}

TEST_F(HttpFaults, ServerResetMidBodyClosesTheClientShortOfTheContentLength) {
  start([](auto& c) {
    if (c.read_head().empty()) return;
    c.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(1000, 'b'));
    if (c.hold(200ms)) c.reset();
  });
  HttpClient client(tether->endpoint("faulty"));
  const auto r = client.get("/");
  // The status line has gone out; what is left is to end the connection early, so the client
  // sees a body shorter than announced instead of a complete-looking one.
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, std::string(1000, 'b'));
  EXPECT_TRUE(client.closed());
  const auto line = log_line(port_of(client));
  EXPECT_EQ(log_field(line, "status"), "200") << line;
  EXPECT_EQ(log_field(line, "server"), "faulty") << line;
  EXPECT_LT(std::stoull(log_field(line, "bytes_out")), 100000u) << line;
  expect_nothing_left();
  expect_others_served();
}

TEST_F(HttpFaults, ServerClosingWithoutAnsweringIs502) {
  start([](auto& c) { c.read_head(); });  // and close
  HttpClient client(tether->endpoint("faulty"));
  EXPECT_EQ(client.get("/").status, 502u);
  EXPECT_EQ(log_field(log_line(port_of(client)), "status"), "502");
  EXPECT_EQ(responses(502), 1u);
  expect_nothing_left();
  expect_others_served();
}

TEST_F(HttpFaults, ServerThatNeverReadsGets504AfterTheServerTimeout) {
  start([](auto& c) { c.hold(20s); });
  HttpClient client(tether->endpoint("faulty"));
  const auto sent = std::chrono::steady_clock::now();
  client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  expect_others_served();  // while the request waits
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(client.read().status, 504u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);  // server_timeout 1s
  // Never early, though deadlines come from the tick-resolution clock.
  EXPECT_GE(std::chrono::steady_clock::now() - sent, 1s);
  EXPECT_EQ(log_field(log_line(port_of(client)), "status"), "504");
  EXPECT_EQ(responses(504), 1u);
  expect_nothing_left();
}

TEST_F(HttpFaults, TricklingBodyArrivesWholeAndItsActivityKeepsTheConnection) {
  const std::string body = "one byte at a time";  // 18 × 50 ms: longer than the idle timeout
  start(
      [&](auto& c) {
        if (c.read_head().empty()) return;
        c.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
        c.trickle(body, 50ms);
        c.hold(5s);  // keep-alive: the connection stays until Tether closes it
      },
      "    idle_timeout: 300ms\n");
  HttpClient client(tether->endpoint("faulty"));
  client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  expect_others_served();
  const auto r = client.read();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, body);
  EXPECT_EQ(log_field(log_line(port_of(client)), "status"), "200");
}

TEST_F(HttpFaults, ServerTricklingItsHeadPastTheServerTimeoutGets504) {
  // The head must be complete within server_timeout (1s) of the request; 40 bytes × 50 ms is 2s.
  start([](auto& c) {
    if (!c.read_head().empty())
      c.trickle("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 50ms);
  });
  HttpClient client(tether->endpoint("faulty"));
  EXPECT_EQ(client.get("/").status, 504u);
  EXPECT_EQ(log_field(log_line(port_of(client)), "status"), "504");
  expect_nothing_left();
  expect_others_served();
}

TEST_F(HttpFaults, ServerProcessKilledMidBodyClosesTheClientShortOfTheContentLength) {
  PoolProcess pool;
  start_with(pool.server_address());
  HttpClient client(tether->endpoint("faulty"));
  client.send("GET /bytes/1073741824 HTTP/1.1\r\nHost: a\r\n\r\n");
  std::string received(1 << 20, '\0');
  asio::read(client.socket(), asio::buffer(received));
  ASSERT_EQ(received.rfind("HTTP/1.1 200", 0), 0u);
  pool.kill();
  const std::size_t total = received.size() + read_all(client.socket(), 10s).size();
  EXPECT_LT(total, 1u << 30);
  const auto line = log_line(port_of(client));
  EXPECT_EQ(log_field(line, "status"), "200") << line;
  EXPECT_EQ(log_field(line, "bytes_out"), std::to_string(total)) << line;
  expect_nothing_left();
  expect_others_served();
}

// ---- clients ----------------------------------------------------------------------------------

TEST_F(HttpFaults, ClientVanishingMidBodyEndsItsServerConnectionToo) {
  start([](auto& c) {
    c.read_head();
    char buffer[16384];
    std::error_code ec;
    while (!ec)  // the body, until Tether closes this connection
      c.socket().read_some(asio::buffer(buffer), ec);
  });
  HttpClient client(tether->endpoint("faulty"));
  client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n" +
              std::string(100000, 'p'));
  const auto port = port_of(client);
  std::this_thread::sleep_for(100ms);
  reset(client.socket());
  // The server's connection is closed at once, not parked or left for the server timeout.
  EXPECT_TRUE(wait_until([&] { return faulty->finished() == 1; }, 500ms));
  const auto line = log_line(port);
  EXPECT_EQ(log_field(line, "end"), "client_gone") << line;
  expect_nothing_left();
  expect_others_served();
}

TEST_F(HttpFaults, ClientVanishingWhileItsResponseIsAwaitedFreesTheSession) {
  start([](auto& c) {
    if (!c.read_head().empty() && c.hold(500ms)) c.write(kOk);
    c.hold(5s);
  });
  {
    HttpClient client(tether->endpoint("faulty"));
    client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    std::this_thread::sleep_for(100ms);
    reset(client.socket());
  }
  expect_nothing_left();
  expect_others_served();
}

TEST_F(HttpFaults, HalfClosedClientStillGetsItsResponse) {
  start([](auto& c) {
    if (!c.read_head().empty() && c.hold(300ms)) c.write(kOk);
    c.hold(5s);
  });
  HttpClient client(tether->endpoint("faulty"));
  client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  client.socket().shutdown(tcp::socket::shutdown_send);
  const auto r = client.read();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(client.closed());
  EXPECT_EQ(log_field(log_line(port_of(client)), "status"), "200");
  expect_nothing_left();
}

TEST_F(HttpFaults, SlowClientBodyIsDeliveredWhileItKeepsSending) {
  start_with(healthy.address(), "    idle_timeout: 300ms\n");
  HttpClient client(tether->endpoint("faulty"));
  const std::string body = "slowly but surely";  // 17 × 50 ms
  client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n\r\n");
  for (const char c : body) {
    client.send(std::string(1, c));
    std::this_thread::sleep_for(50ms);
  }
  const auto r = client.read();
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("body-bytes: 17"), std::string::npos) << r.body;
}

TEST_F(HttpFaults, SilentConnectionsAreClosedAtTheIdleTimeoutWhileOthersAreServed) {
  start_with(healthy.address(), "    idle_timeout: 500ms\n");
  std::vector<std::unique_ptr<HttpClient>> silent;
  for (int i = 0; i < 200; ++i)
    silent.push_back(std::make_unique<HttpClient>(tether->endpoint("faulty")));
  EXPECT_TRUE(wait_until([&] { return frontend().active.load() == 200; }, 5s));
  expect_others_served();
  const auto started = std::chrono::steady_clock::now();
  for (auto& s : silent)
    EXPECT_TRUE(s->closed());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  // No request was answered, but each connection that timed out leaves one line (README, access
  // log): an operator sees idle connections being shed.
  EXPECT_TRUE(wait_until([&] { return log_lines(log, "frontend=faulty").size() == 200; }, 5s))
      << log_lines(log, "frontend=faulty").size() << " lines";
  for (const auto& line : log_lines(log, "frontend=faulty")) {
    EXPECT_NE(line.find("server=-"), std::string::npos) << line;
    EXPECT_NE(line.find("end=idle_timeout"), std::string::npos) << line;
  }
  expect_nothing_left();
}

}  // namespace
}  // namespace tether::test
