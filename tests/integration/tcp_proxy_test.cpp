// Tether in tcp mode on loopback, seen from clients: affinity, balance, byte-exact relay,
// half-close, a server that speaks first, IPv6, retries, timeouts and graceful stop.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <set>

#include "tests/integration/harness.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

TEST(TcpProxy, EveryClientStaysOnOneServerAndClientsSpreadEvenly) {
  auto servers = echo_pool(3);
  TetherInstance tether(single_pool_yaml(servers));
  constexpr std::size_t kClients = 500, kConnections = 5;

  std::vector<std::set<std::string>> seen(kClients);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t c = t; c < kClients; c += 8)
        for (std::size_t k = 0; k < kConnections; ++k)
          seen[c].insert(server_seen_by(client_address(c), tether.endpoint()));
    });
  for (auto& t : threads)
    t.join();

  std::map<std::string, int> clients_per_server;
  for (std::size_t c = 0; c < kClients; ++c) {
    ASSERT_EQ(seen[c].size(), 1u) << client_address(c) << " reached several servers";
    ++clients_per_server[*seen[c].begin()];
  }
  ASSERT_EQ(clients_per_server.size(), 3u);
  const double mean = double(kClients) / 3;
  for (const auto& [server, clients] : clients_per_server) {
    EXPECT_NEAR(clients, mean, mean * 0.2) << server;
    std::printf("  %s: %d clients\n", server.c_str(), clients);
  }
}

TEST(TcpProxy, MegabytesArriveByteExactOnFiftyParallelConnections) {
  auto servers = echo_pool(3);
  TetherInstance tether(single_pool_yaml(servers));
  constexpr std::size_t kBytes = 1 << 20;
  std::vector<std::future<bool>> results;
  for (int c = 0; c < 50; ++c)
    results.push_back(std::async(std::launch::async, [&, c] {
      std::string payload(kBytes, '\0');
      for (std::size_t i = 0; i < kBytes; ++i)
        payload[i] = static_cast<char>((i * 31 + c) & 0xFF);
      asio::io_context context;
      auto socket = connect_from(context, client_address(c), tether.endpoint());
      const std::string name = read_line(socket);
      // Write from another thread while reading, so neither side's buffers fill up and stall.
      std::thread writer([&] {
        asio::write(socket, asio::buffer(payload));
        socket.shutdown(tcp::socket::shutdown_send);
      });
      const std::string echoed = read_all(socket);
      writer.join();
      return !name.empty() && echoed == payload;
    }));
  for (auto& r : results)
    EXPECT_TRUE(r.get());
}

// A bulk transfer switches to splice(2) and a receiver that stops reading pushes back on the
// sender instead of making Tether buffer: both directions must still arrive byte-exact, and the
// server's byte counters must say exactly what was relayed.
TEST(TcpProxy, BulkTransferToAStalledReaderArrivesByteExactAndIsCounted) {
  auto servers = echo_pool(1);
  TetherInstance tether(single_pool_yaml(servers));
  constexpr std::size_t kBytes = 24 << 20;
  std::string payload(kBytes, '\0');
  for (std::size_t i = 0; i < kBytes; ++i)
    payload[i] = static_cast<char>((i * 131 + i / 4099) & 0xFF);
  asio::io_context context;
  auto socket = connect_from(context, "127.0.0.1", tether.endpoint());
  ASSERT_EQ(read_line(socket), "fe01");
  std::thread writer([&] {
    asio::write(socket, asio::buffer(payload));
    socket.shutdown(tcp::socket::shutdown_send);
  });
  // Nobody reads for a while: every buffer on the way fills up and the writer blocks.
  std::this_thread::sleep_for(300ms);
  const std::string echoed = read_all(socket);
  writer.join();
  ASSERT_EQ(echoed.size(), payload.size());
  EXPECT_TRUE(echoed == payload) << "bytes changed on the way";

  const lb::Server& fe01 = *tether.daemon().pools()[0]->servers()[0];
  ASSERT_TRUE(wait_until([&] { return fe01.active.load() == 0; }, 5s));
  EXPECT_EQ(fe01.bytes_in.load(), kBytes);
  EXPECT_EQ(fe01.bytes_out.load(), kBytes + 5);  // "fe01\n" first
}

TEST(TcpProxy, HalfCloseStillDeliversTheReply) {
  auto servers = echo_pool(1);
  TetherInstance tether(single_pool_yaml(servers));
  asio::io_context context;
  auto socket = connect_from(context, "127.0.0.1", tether.endpoint());
  EXPECT_EQ(read_line(socket), "fe01");
  asio::write(socket, asio::buffer(std::string("last words")));
  socket.shutdown(tcp::socket::shutdown_send);  // done writing, still reading
  EXPECT_EQ(read_all(socket), "last words");
}

// The server connection is opened with delayed ACKs, so that the handshake's last ACK rides on
// the client's first bytes. A client that says nothing must not leave its server waiting for
// that ACK (up to 200 ms in the kernel): a server that speaks first is heard at once.
TEST(TcpProxy, AServerThatSpeaksFirstIsHeardAtOnce) {
  auto servers = echo_pool(1);  // each EchoServer connection begins with the server's name
  TetherInstance tether(single_pool_yaml(servers));
  asio::io_context context;
  auto fastest = std::chrono::steady_clock::duration::max();
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto socket = connect_from(context, "127.0.0.1", tether.endpoint());
    EXPECT_EQ(read_line(socket), "fe01");
    fastest = std::min(fastest, std::chrono::steady_clock::now() - start);
  }
  EXPECT_LT(fastest, 100ms);
}

TEST(TcpProxy, ServesIpv6Clients) {
  auto servers = echo_pool(2, "::1");
  TetherInstance tether(single_pool_yaml(servers, {"[::1]:0"}));
  const auto first = server_seen_by("::1", tether.endpoint());
  EXPECT_FALSE(first.empty());
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(server_seen_by("::1", tether.endpoint()), first);
}

TEST(TcpProxy, DualStackListenersGiveAClientOneKey) {
  auto servers = echo_pool(3);
  TetherInstance tether(single_pool_yaml(servers, {"127.0.0.1:0", "[::1]:0"}));
  EXPECT_FALSE(server_seen_by("::1", tether.endpoint("web", 1)).empty());
  for (std::size_t c = 0; c < 20; ++c)
    EXPECT_EQ(server_seen_by(client_address(c), tether.endpoint("web", 0)),
              server_seen_by(client_address(c), tether.endpoint("web", 0)));
}

TEST(TcpProxy, FailedConnectRetriesTheNextServer) {
  auto servers = echo_pool(2);
  // A third server nobody listens on: its clients must still be served, by a retry.
  std::string yaml = single_pool_yaml(servers);
  yaml += "      - { name: fe03, address: \"127.0.0.1:" + std::to_string(free_port()) + "\" }\n";
  TetherInstance tether(yaml);
  for (std::size_t c = 0; c < 60; ++c)
    EXPECT_FALSE(server_seen_by(client_address(c), tether.endpoint()).empty());
  const auto* fe03 = tether.daemon().find_pool("web")->find_server("fe03");
  EXPECT_GT(fe03->connect_failures.load(), 0u) << "no client was hashed to the dead server";
}

TEST(TcpProxy, ClientIsClosedAtOnceWhenNoServerAnswers) {
  std::vector<std::unique_ptr<EchoServer>> none;
  std::string yaml = single_pool_yaml(none, {"127.0.0.1:0"}, "", "    retries: 1\n");
  yaml += "      - { name: fe01, address: \"127.0.0.1:" + std::to_string(free_port()) + "\" }\n";
  TetherInstance tether(yaml);
  asio::io_context context;
  auto socket = connect_from(context, "127.0.0.1", tether.endpoint());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(read_all(socket, 5s), "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(tether.daemon().frontends()[0]->connect_failed.load(), 1u);
}

TEST(TcpProxy, IdleConnectionIsClosedAfterIdleTimeout) {
  auto servers = echo_pool(1);
  TetherInstance tether(single_pool_yaml(servers, {"127.0.0.1:0"}, "    idle_timeout: 300ms\n"));
  asio::io_context context;
  auto socket = connect_from(context, "127.0.0.1", tether.endpoint());
  EXPECT_EQ(read_line(socket), "fe01");
  // Activity keeps it open past the timeout...
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(150ms);
    asio::write(socket, asio::buffer(std::string("x")));
    char c;
    asio::read(socket, asio::buffer(&c, 1));
  }
  // ...silence closes it.
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(read_all(socket, 5s), "");
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2s);
}

TEST(TcpProxy, AClientWhoseServerIsFullGoesElsewhereOnceAndKeepsItsServer) {
  auto servers = echo_pool(3);
  TetherInstance tether(single_pool_yaml(servers, {"127.0.0.1:0"}, "", "    max_connections: 1\n"));
  asio::io_context context;
  auto first = connect_from(context, "127.0.0.1", tether.endpoint());
  const std::string home = read_line(first);
  ASSERT_FALSE(home.empty());
  // Its server is full (this client's own first connection): the second goes elsewhere...
  auto second = connect_from(context, "127.0.0.1", tether.endpoint());
  const std::string overflow = read_line(second);
  EXPECT_FALSE(overflow.empty());
  EXPECT_NE(overflow, home);
  lb::Pool& pool = *tether.daemon().find_pool("web");
  EXPECT_EQ(pool.breaks(lb::BreakCause::server_full), 1u);
  // ...and the client is still pinned where it was: once there is room, it goes home.
  first.close();
  second.close();
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& s : pool.servers())
          if (s->active.load() != 0) return false;
        return true;
      },
      5s));
  auto third = connect_from(context, "127.0.0.1", tether.endpoint());
  EXPECT_EQ(read_line(third), home);
}

TEST(TcpProxy, GracefulStopRefusesNewConnectionsAndLetsOpenOnesFinish) {
  auto servers = echo_pool(1);
  auto tether = std::make_unique<TetherInstance>(single_pool_yaml(servers));
  const auto endpoint = tether->endpoint();
  asio::io_context context;
  auto open = connect_from(context, "127.0.0.1", endpoint);
  EXPECT_EQ(read_line(open), "fe01");
  tether->shutdown();
  std::this_thread::sleep_for(100ms);
  std::error_code ec;
  tcp::socket late(context);
  late.connect(endpoint, ec);
  EXPECT_EQ(ec, asio::error::connection_refused);
  // The open connection still works, and the daemon stops as soon as it ends.
  asio::write(open, asio::buffer(std::string("still here")));
  open.shutdown(tcp::socket::shutdown_send);
  EXPECT_EQ(read_all(open), "still here");
  const auto started = std::chrono::steady_clock::now();
  tether.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST(TcpProxy, GracefulStopClosesWhatIsLeftAtTheGraceDeadline) {
  auto servers = echo_pool(1);
  auto yaml = single_pool_yaml(servers);
  yaml.replace(yaml.find("shutdown_grace: 2s"), 18, "shutdown_grace: 300ms");
  auto tether = std::make_unique<TetherInstance>(yaml);
  asio::io_context context;
  auto open = connect_from(context, "127.0.0.1", tether->endpoint());
  EXPECT_EQ(read_line(open), "fe01");
  const auto started = std::chrono::steady_clock::now();
  tether.reset();  // shutdown and wait
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
  EXPECT_EQ(read_all(open, 2s), "");
}

}  // namespace
}  // namespace tether::test
