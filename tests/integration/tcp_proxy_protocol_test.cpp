// The PROXY protocol in tcp mode, and connects that time out: what a client behind a load
// balancer (accept_proxy) and a server behind Tether (send_proxy) see on the wire.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "tests/integration/harness.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

// Connects from `source`, sends `bytes` at once and returns the lines that come back, up to
// `lines` of them or the end of the stream.
std::vector<std::string> exchange(const std::string& source, const tcp::endpoint& target,
                                  const std::string& bytes, int lines) {
  asio::io_context context;
  auto socket = connect_from(context, source, target);
  asio::write(socket, asio::buffer(bytes));
  std::vector<std::string> got;
  std::error_code ec;
  asio::streambuf buffer;
  for (int i = 0; i < lines; ++i) {
    asio::read_until(socket, buffer, '\n', ec);
    if (ec) break;
    std::istream in(&buffer);
    std::string line;
    std::getline(in, line);
    got.push_back(line);
  }
  return got;
}

TEST(TcpProxyProtocol, AcceptedHeaderPlacesTheClientByTheAddressItCarries) {
  auto servers = echo_pool(3);
  TetherInstance tether(single_pool_yaml(
      servers, {"127.0.0.1:0"}, "    accept_proxy: true\n    affinity: { type: source }\n"));
  // The same original client through two different proxies reaches one server, and the bytes
  // that came with the header in the same segment are relayed after it.
  std::set<std::string> servers_seen;
  for (int c = 0; c < 30; ++c) {
    const std::string header = "PROXY TCP4 10.9." + std::to_string(c) + ".1 10.0.0.1 40000 443\r\n";
    const auto first = exchange(client_address(2 * c), tether.endpoint(), header + "hello\n", 2);
    const auto second =
        exchange(client_address(2 * c + 1), tether.endpoint(), header + "again\n", 2);
    ASSERT_EQ(first.size(), 2u);
    ASSERT_EQ(second.size(), 2u);
    EXPECT_EQ(first[0], second[0]) << "client 10.9." << c << ".1 moved";
    EXPECT_EQ(first[1], "hello");
    EXPECT_EQ(second[1], "again");
    servers_seen.insert(first[0]);
  }
  EXPECT_EQ(servers_seen.size(), 3u) << "the header's addresses did not spread";
}

TEST(TcpProxyProtocol, AHeaderFromAnUntrustedOrWithoutAHeaderIsRefused) {
  auto servers = echo_pool(1);
  TetherInstance tether(single_pool_yaml(
      servers, {"127.0.0.1:0"},
      "    accept_proxy: true\n    affinity: { trusted_proxies: [127.0.0.2/32] }\n"));
  // Trusted, with a v2 header split over two writes.
  {
    asio::io_context context;
    auto socket = connect_from(context, "127.0.0.2", tether.endpoint());
    const std::string v2(
        "\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\x0a\x00\x00\x07\x0a\x00\x00\x01\x9c\x40\x01\xbb", 28);
    asio::write(socket, asio::buffer(v2.substr(0, 10)));
    std::this_thread::sleep_for(50ms);
    asio::write(socket, asio::buffer(v2.substr(10) + "ping\n"));
    EXPECT_EQ(read_line(socket), "fe01");
    EXPECT_EQ(read_line(socket), "ping");
  }
  // Untrusted source, and a trusted one that sends no header: both closed without a byte.
  for (const auto& [source, bytes] :
       {std::pair<std::string, std::string>{"127.0.0.3", "PROXY TCP4 10.1.1.1 10.0.0.1 1 2\r\n"},
        {"127.0.0.2", "GET / HTTP/1.1\r\nHost: a\r\n\r\n"}}) {
    asio::io_context context;
    auto socket = connect_from(context, source, tether.endpoint());
    std::error_code ignored;
    asio::write(socket, asio::buffer(bytes), ignored);
    EXPECT_EQ(read_all(socket, 5s), "") << source;
  }
  EXPECT_EQ(tether.daemon().frontends()[0]->refused.load(), 2u);
}

TEST(TcpProxyProtocol, SendProxyPutsTheClientAddressBeforeItsFirstByte) {
  auto servers = echo_pool(1);
  std::string yaml = single_pool_yaml(servers);
  const auto at = yaml.rfind(" }\n");
  yaml.insert(at, ", send_proxy: v1");
  TetherInstance tether(yaml);
  // The echo server speaks first, then returns what it received: our header, then the client's.
  asio::io_context context;
  auto socket = connect_from(context, "127.0.0.7", tether.endpoint());
  EXPECT_EQ(read_line(socket), "fe01");
  asio::write(socket, asio::buffer(std::string("data\n")));
  const std::string header = read_line(socket);
  EXPECT_EQ(header.rfind("PROXY TCP4 127.0.0.7 127.0.0.1 ", 0), 0u) << header;
  EXPECT_EQ(read_line(socket), "data");
  // Bytes are counted without our header.
  socket.shutdown(tcp::socket::shutdown_send);
  EXPECT_EQ(read_all(socket, 5s), "");
  EXPECT_TRUE(wait_until([&] { return tether.daemon().frontends()[0]->bytes_in.load() == 5; }, 5s))
      << tether.daemon().frontends()[0]->bytes_in.load();
}

TEST(TcpProxyProtocol, AConnectThatTimesOutRetriesTheNextServer) {
  auto servers = echo_pool(1);
  // A server whose accept queue is full: the kernel drops further SYNs, so connects hang.
  asio::io_context context;
  tcp::acceptor full(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  full.listen(0);
  std::vector<int> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    const auto target = full.local_endpoint();
    ::connect(queued.back(), target.data(), static_cast<socklen_t>(target.size()));
  }
  std::this_thread::sleep_for(100ms);
  std::string yaml = single_pool_yaml(servers, {"127.0.0.1:0"}, "",
                                      "    connect_timeout: 300ms\n    retries: 1\n");
  yaml +=
      "      - { name: fe02, address: \"127.0.0.1:" + std::to_string(full.local_endpoint().port()) +
      "\" }\n";
  TetherInstance tether(yaml);
  const auto* fe02 = tether.daemon().find_pool("web")->find_server("fe02");
  const auto started = std::chrono::steady_clock::now();
  int c = 0;
  for (; c < 40 && fe02->connect_failures.load() == 0; ++c)
    EXPECT_EQ(server_seen_by(client_address(c), tether.endpoint()), "fe01");
  EXPECT_GT(fe02->connect_failures.load(), 0u) << "no client was hashed to the full server";
  // Each client hashed to it waited one connect timeout, not the kernel's minutes of SYNs.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s) << c << " clients";
  for (int fd : queued)
    ::close(fd);
}

}  // namespace
}  // namespace tether::test
