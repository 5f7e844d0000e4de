// Fault injection in tcp mode (issue 9): servers that reset, close early, never read, trickle or
// die mid-transfer; clients that vanish, half-close, trickle or say nothing. Each fault ends the
// documented way (README "Access log": the `end=` reason, the bytes, the counters) while a client
// of another frontend on the same worker thread is served. Bad input, retries and graceful stop
// are covered in tcp_proxy_test.cpp.
#include <gtest/gtest.h>

#include <future>

#include "tests/integration/fault_fixture.h"
#include "tests/integration/pool_process.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

class TcpFaults : public FaultTest {
 protected:
  TcpFaults() : FaultTest("tcp") {}
  std::string healthy_address() const override { return healthy.address(); }

  tcp::socket connect(const std::string& frontend = "faulty") {
    return connect_from(context, "127.0.0.1", tether->endpoint(frontend));
  }

  // A client of the healthy frontend gets its greeting and its echo.
  void expect_others_served() {
    auto socket = connect("web");
    ASSERT_EQ(read_line(socket), "good");
    asio::write(socket, asio::buffer(std::string("ping")));
    socket.shutdown(tcp::socket::shutdown_send);
    EXPECT_EQ(read_all(socket, 5s), "ping");
  }

  EchoServer healthy{"good"};
  asio::io_context context;
};

// ---- servers ----------------------------------------------------------------------------------

TEST_F(TcpFaults, ServerResetMidResponseIsPassedOnAndLoggedAsServerReset) {
  start([](auto& c) {
    c.write("partial");
    if (c.hold(200ms)) c.reset();
  });
  auto client = connect();
  const auto port = client.local_endpoint().port();
  expect_others_served();
  EXPECT_EQ(read_all(client, 5s), "partial");  // then the connection ends
  const auto line = log_line(port);
  EXPECT_EQ(log_field(line, "end"), "server_reset") << line;
  EXPECT_EQ(log_field(line, "server"), "faulty") << line;
  EXPECT_EQ(log_field(line, "bytes_out"), "7") << line;
  expect_nothing_left();
  expect_others_served();
}

TEST_F(TcpFaults, ServerClosingBeforeAnsweringGivesTheClientAnEndOfStream) {
  start([](auto& c) {
    char buffer[64];
    std::error_code ec;
    c.socket().read_some(asio::buffer(buffer), ec);  // takes the request, answers nothing
  });
  auto client = connect();
  const auto port = client.local_endpoint().port();
  asio::write(client, asio::buffer(std::string("request")));
  EXPECT_EQ(read_all(client, 5s), "");  // a clean end of stream, not a hang
  expect_others_served();
  client.shutdown(tcp::socket::shutdown_send);
  const auto line = log_line(port);
  EXPECT_EQ(log_field(line, "end"), "closed") << line;
  EXPECT_EQ(log_field(line, "bytes_in"), "7") << line;
  EXPECT_EQ(log_field(line, "bytes_out"), "0") << line;
  expect_nothing_left();
}

TEST_F(TcpFaults, ServerThatNeverReadsStallsOnlyItsClientUntilTheIdleTimeout) {
  start([](auto& c) { c.hold(20s); }, "    idle_timeout: 500ms\n");
  auto client = connect();
  const auto port = client.local_endpoint().port();
  timeval send_limit{5, 0};  // bounded: the write stalls, then fails when Tether closes
  setsockopt(client.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &send_limit, sizeof send_limit);
  auto writer = std::async(std::launch::async, [&] {
    const std::string block(1 << 20, 'x');
    std::size_t written = 0;
    std::error_code ec;
    while (!ec && written < (256u << 20))
      written += asio::write(client, asio::buffer(block), ec);
    return written;
  });
  expect_others_served();  // while the stalled transfer holds the worker's other session
  const std::size_t written = writer.get();
  EXPECT_LT(written, 256u << 20) << "the write never stalled";
  const auto line = log_line(port);
  EXPECT_EQ(log_field(line, "end"), "idle_timeout") << line;
  // Tether relays what the kernel buffers took and holds no more than its own buffer.
  EXPECT_LE(std::stoull(log_field(line, "bytes_in")), written) << line;
  expect_nothing_left();
}

TEST_F(TcpFaults, TricklingServerIsRelayedWholeAndItsActivityKeepsTheConnection) {
  const std::string reply = "one byte at a time";  // 18 × 50 ms: longer than the idle timeout
  start([&](auto& c) { c.trickle(reply, 50ms); }, "    idle_timeout: 300ms\n");
  auto client = connect();
  const auto port = client.local_endpoint().port();
  expect_others_served();
  EXPECT_EQ(read_all(client, 5s), reply);
  client.shutdown(tcp::socket::shutdown_send);
  const auto line = log_line(port);
  EXPECT_EQ(log_field(line, "end"), "closed") << line;
  EXPECT_EQ(log_field(line, "bytes_out"), std::to_string(reply.size())) << line;
}

TEST_F(TcpFaults, ServerProcessKilledMidTransferEndsTheStreamAndTheLogCountsWhatArrived) {
  PoolProcess pool;
  start_with(pool.server_address());
  auto client = connect();
  const auto port = client.local_endpoint().port();
  asio::write(client,
              asio::buffer(std::string("GET /bytes/1073741824 HTTP/1.1\r\nHost: a\r\n\r\n")));
  // Read a little of the gigabyte, then the server dies.
  std::string received(1 << 20, '\0');
  asio::read(client, asio::buffer(received));
  pool.kill();
  const std::size_t total = received.size() + read_all(client, 10s).size();
  EXPECT_LT(total, 1u << 30);
  expect_others_served();
  client.shutdown(tcp::socket::shutdown_send);
  const auto line = log_line(port);
  EXPECT_EQ(log_field(line, "end"), "closed") << line;  // a FIN: tcp mode cannot tell a death
  EXPECT_EQ(log_field(line, "bytes_out"), std::to_string(total)) << line;
  expect_nothing_left();
}

// ---- clients ----------------------------------------------------------------------------------

TEST_F(TcpFaults, ClientVanishingWithAResetIsLoggedAsClientReset) {
  start([](auto& c) {
    c.write("hello\n");
    char buffer[64];
    std::error_code ec;
    while (!ec)
      c.socket().read_some(asio::buffer(buffer), ec);
  });
  auto client = connect();
  const auto port = client.local_endpoint().port();
  EXPECT_EQ(read_line(client), "hello");
  asio::write(client, asio::buffer(std::string("bye")));
  std::this_thread::sleep_for(100ms);
  reset(client);
  const auto line = log_line(port);
  EXPECT_EQ(log_field(line, "end"), "client_reset") << line;
  EXPECT_EQ(log_field(line, "bytes_in"), "3") << line;
  // The server's side is closed too: its script sees the end of stream and returns.
  EXPECT_TRUE(wait_until([&] { return faulty->finished() == 1; }, 5s));
  expect_nothing_left();
  expect_others_served();
}

TEST_F(TcpFaults, HalfClosedClientGetsAReplyTheServerSendsLater) {
  start([](auto& c) {
    const std::string request = read_all(c.socket(), 5s);  // until the client's FIN
    if (c.hold(300ms)) c.write("reply to " + request);
  });
  auto client = connect();
  const auto port = client.local_endpoint().port();
  asio::write(client, asio::buffer(std::string("question")));
  client.shutdown(tcp::socket::shutdown_send);
  EXPECT_EQ(read_all(client, 5s), "reply to question");
  const auto line = log_line(port);
  EXPECT_EQ(log_field(line, "end"), "closed") << line;
  EXPECT_EQ(log_field(line, "bytes_in"), "8") << line;
  EXPECT_EQ(log_field(line, "bytes_out"), "17") << line;
}

TEST_F(TcpFaults, SlowClientKeepsItsConnectionWhileItSends) {
  start_with(healthy.address(), "    idle_timeout: 300ms\n");
  auto client = connect();
  EXPECT_EQ(read_line(client), "good");
  const std::string message = "slowly but surely";  // 17 × 50 ms
  for (const char c : message) {
    asio::write(client, asio::buffer(&c, 1));
    std::this_thread::sleep_for(50ms);
  }
  client.shutdown(tcp::socket::shutdown_send);
  EXPECT_EQ(read_all(client, 5s), message);
}

TEST_F(TcpFaults, SilentClientsAreClosedAtTheIdleTimeoutWhileOthersAreServed) {
  start_with(healthy.address(), "    idle_timeout: 500ms\n");
  std::vector<tcp::socket> silent;
  for (int i = 0; i < 200; ++i)
    silent.push_back(connect());
  EXPECT_TRUE(wait_until([&] { return frontend().active.load() == 200; }, 5s));
  expect_others_served();
  const auto started = std::chrono::steady_clock::now();
  for (auto& s : silent)
    EXPECT_EQ(read_all(s, 5s), "good\n");  // the greeting, then the close
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_TRUE(wait_until([&] { return log_lines(log, "end=idle_timeout").size() == 200; }, 5s));
  expect_nothing_left();
}

}  // namespace
}  // namespace tether::test
