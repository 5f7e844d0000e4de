// Black-box scenarios against whole simulated pools run in-process on loopback: the servers stamp
// their identity and the tests assert who answered and how. Every wait is bounded.
#include "tools/pool/simulated_pool.h"

#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "config/loader.h"
#include "tools/pool/body_pattern.h"
#include "tools/pool/pool_plan.h"

namespace tether::pool {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// How long a hung server is given to (not) answer.
constexpr auto hang_wait = 300ms;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A client whose every operation is bounded in time: async Asio run for at most a deadline.
class Client {
 public:
  std::error_code connect(const tcp::endpoint& endpoint) {
    return run(
        [&](auto done) {
          socket_.async_connect(endpoint, [done](std::error_code ec) { done(ec); });
        },
        1s);
  }

  std::error_code send(std::string_view bytes) {
    return run(
        [&](auto done) {
          asio::async_write(socket_, asio::buffer(bytes),
                            [done](std::error_code ec, std::size_t) { done(ec); });
        },
        1s);
  }

  std::optional<Reply> read_reply(bool head_request = false,
                                  std::chrono::milliseconds timeout = 3000ms) {
    const auto deadline = Clock::now() + timeout;
    std::size_t head_size = 0;
    auto ec = run(
        [&](auto done) {
          asio::async_read_until(socket_, asio::dynamic_buffer(buffer_), "\r\n\r\n",
                                 [done, &head_size](std::error_code ec, std::size_t n) {
                                   head_size = n;
                                   done(ec);
                                 });
        },
        left(deadline));
    if (ec) return std::nullopt;
    Reply reply;
    parse_head(std::string_view(buffer_).substr(0, head_size), reply);
    const std::size_t length =
        head_request || reply.status == 100 ? 0 : std::stoull(reply.header("content-length"));
    const auto total = head_size + length;
    if (buffer_.size() < total) {
      ec = run(
          [&](auto done) {
            asio::async_read(socket_, asio::dynamic_buffer(buffer_),
                             asio::transfer_exactly(total - buffer_.size()),
                             [done](std::error_code ec, std::size_t) { done(ec); });
          },
          left(deadline));
      if (ec) return std::nullopt;
    }
    reply.body = buffer_.substr(head_size, length);
    buffer_.erase(0, total);
    return reply;
  }

  std::optional<Reply> get(const std::string& target, const std::string& extra_headers = "") {
    if (send("GET " + target + " HTTP/1.1\r\nHost: pool\r\n" + extra_headers + "\r\n")) {
      return std::nullopt;
    }
    return read_reply();
  }

  // True when the server ends the connection (EOF or reset) within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = 2000ms) {
    char byte;
    const auto ec = run(
        [&](auto done) {
          socket_.async_read_some(asio::buffer(&byte, 1),
                                  [done](std::error_code ec, std::size_t) { done(ec); });
        },
        timeout);
    return ec && ec != asio::error::timed_out;
  }

  // True when nothing at all arrives within `timeout`.
  bool silent_for(std::chrono::milliseconds timeout) {
    char byte;
    return run(
               [&](auto done) {
                 socket_.async_read_some(asio::buffer(&byte, 1),
                                         [done](std::error_code ec, std::size_t) { done(ec); });
               },
               timeout) == asio::error::timed_out;
  }

 private:
  static std::chrono::milliseconds left(Clock::time_point deadline) {
    return std::max(1ms,
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  }

  static void parse_head(std::string_view head, Reply& reply) {
    reply.status = std::stoi(std::string(head.substr(9, 3)));
    auto pos = head.find("\r\n") + 2;
    for (;;) {
      const auto end = head.find("\r\n", pos);
      if (end == pos || end == std::string_view::npos) break;
      const auto line = head.substr(pos, end - pos);
      const auto colon = line.find(':');
      std::string name(line.substr(0, colon));
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[name] = std::string(line.substr(colon + 2));
      pos = end + 2;
    }
  }

  template <class Start>
  std::error_code run(Start start, std::chrono::milliseconds timeout) {
    std::optional<std::error_code> result;
    start([&result](std::error_code ec) { result = ec; });
    io_.restart();
    io_.run_for(timeout);
    if (result) return *result;
    std::error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    io_.run();  // collects the cancelled operation
    return asio::error::timed_out;
  }

  asio::io_context io_;
  tcp::socket socket_{io_};
  std::string buffer_;
};

using Tweak = std::function<void(PoolOptions&)>;

// fe01..feNN on loopback ports chosen by the OS, adjusted by `tweak`.
std::unique_ptr<SimulatedPool> start_pool(unsigned servers, const Tweak& tweak = {}) {
  FlagPlan flags;
  flags.servers = servers;
  PoolOptions options;
  options.servers = plan_from_flags(flags).servers;
  if (tweak) tweak(options);
  std::string error;
  auto pool = SimulatedPool::start(std::move(options), error);
  EXPECT_TRUE(pool) << error;
  return pool;
}

void with_control(PoolOptions& options) {
  options.control = tcp::endpoint(asio::ip::address_v4::loopback(), 0);
}

tcp::endpoint http_of(const SimulatedPool& pool, std::size_t server) {
  return pool.servers().at(server)->http_endpoints().at(0);
}

tcp::endpoint check_of(const SimulatedPool& pool, std::size_t server) {
  return pool.servers().at(server)->check_endpoints().at(0);
}

std::optional<Reply> get_once(const tcp::endpoint& endpoint, const std::string& target,
                              const std::string& extra_headers = "") {
  Client client;
  if (client.connect(endpoint)) return std::nullopt;
  return client.get(target, extra_headers);
}

TEST(SimulatedPool, EachServerStampsItsName) {
  auto pool = start_pool(2);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto reply = get_once(http_of(*pool, i), "/");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->header("x-tether-server"), pool->servers()[i]->name());
    EXPECT_EQ(reply->body, pool->servers()[i]->name() + "\n");
  }
  EXPECT_EQ(pool->servers()[0]->requests_served(), 1u);
}

TEST(SimulatedPool, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto pool = start_pool(1);
  Client client;
  ASSERT_FALSE(client.connect(http_of(*pool, 0)));
  for (int i = 0; i < 5; ++i) {
    const auto reply = client.get("/any/path?i=" + std::to_string(i));
    ASSERT_TRUE(reply) << i;
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->header("connection"), "");
  }
  EXPECT_EQ(pool->servers()[0]->requests_served(), 5u);
}

TEST(SimulatedPool, PipelinedRequestsAreAnsweredInOrder) {
  auto pool = start_pool(1);
  Client client;
  ASSERT_FALSE(client.connect(http_of(*pool, 0)));
  ASSERT_FALSE(
      client.send("GET /bytes/3 HTTP/1.1\r\n\r\n"
                  "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"
                  "GET /bytes/1 HTTP/1.1\r\n\r\n"));
  for (const char* body : {"abc", "fe01\n", "a"}) {
    const auto reply = client.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->body, body);
  }
}

TEST(SimulatedPool, BytesStreamsExactlyThatManyBytesOfThePattern) {
  auto pool = start_pool(1);
  Client client;
  ASSERT_FALSE(client.connect(http_of(*pool, 0)));
  const auto reply = client.get("/bytes/1000000");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("content-length"), "1000000");
  ASSERT_EQ(reply->body.size(), 1'000'000u);
  for (std::size_t i = 0; i < reply->body.size(); ++i) {
    ASSERT_EQ(reply->body[i], pattern_byte(i)) << "at offset " << i;
  }
  // The connection is still usable after a large body.
  const auto next = client.get("/bytes/0");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "");
}

TEST(SimulatedPool, HeadAnnouncesTheLengthWithoutABody) {
  auto pool = start_pool(1);
  Client client;
  ASSERT_FALSE(client.connect(http_of(*pool, 0)));
  ASSERT_FALSE(client.send("HEAD /bytes/5000 HTTP/1.1\r\n\r\n"));
  const auto head = client.read_reply(/*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("content-length"), "5000");
  const auto next = client.get("/bytes/2");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "ab");
}

TEST(SimulatedPool, ByteCountsBeyondOneGibibyteAreRefused) {
  auto pool = start_pool(1);
  const auto reply = get_once(http_of(*pool, 0), "/bytes/1073741825");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
}

TEST(SimulatedPool, SessionIsKeptByItsServerAndLostOnAnother) {
  auto pool = start_pool(2);
  const auto created = get_once(http_of(*pool, 0), "/");
  ASSERT_TRUE(created);
  const auto session = created->header("x-session");
  ASSERT_EQ(session.size(), 32u);

  const auto again = get_once(http_of(*pool, 0), "/", "X-Session: " + session + "\r\n");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(again->header("x-session"), session);

  const auto elsewhere = get_once(http_of(*pool, 1), "/", "X-Session: " + session + "\r\n");
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->status, 440);
  EXPECT_EQ(elsewhere->header("x-tether-server"), "fe02");
  EXPECT_EQ(pool->servers()[0]->sessions_held(), 1u);
  EXPECT_EQ(pool->servers()[1]->sessions_held(), 0u);
}

TEST(SimulatedPool, ClearedSessionsAreLost) {
  auto pool = start_pool(1);
  const auto created = get_once(http_of(*pool, 0), "/");
  ASSERT_TRUE(created);
  pool->servers()[0]->clear_sessions();
  const auto after =
      get_once(http_of(*pool, 0), "/", "X-Session: " + created->header("x-session") + "\r\n");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 440);
}

TEST(SimulatedPool, SetCookieServersMirrorTheSessionInTheirOwnCookie) {
  auto pool = start_pool(1, [](PoolOptions& o) { o.server.set_cookie = true; });
  const auto created = get_once(http_of(*pool, 0), "/");
  ASSERT_TRUE(created);
  const auto session = created->header("x-session");
  EXPECT_EQ(created->header("set-cookie"), "ASP.NET_SessionId=" + session + "; path=/");

  const auto by_cookie =
      get_once(http_of(*pool, 0), "/", "Cookie: MS-WSMAN=x; ASP.NET_SessionId=" + session + "\r\n");
  ASSERT_TRUE(by_cookie);
  EXPECT_EQ(by_cookie->status, 200);
  EXPECT_EQ(by_cookie->header("set-cookie"), "");
}

TEST(SimulatedPool, ConnectionCloseAndHttp10AreHonoured) {
  auto pool = start_pool(1);
  for (const char* request :
       {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", "GET / HTTP/1.0\r\n\r\n"}) {
    Client client;
    ASSERT_FALSE(client.connect(http_of(*pool, 0)));
    ASSERT_FALSE(client.send(request));
    const auto reply = client.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->header("connection"), "close");
    EXPECT_TRUE(client.closed_by_peer());
  }
  Client keep;
  ASSERT_FALSE(keep.connect(http_of(*pool, 0)));
  ASSERT_FALSE(keep.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  const auto reply = keep.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->header("connection"), "keep-alive");
  EXPECT_TRUE(keep.get("/"));
}

TEST(SimulatedPool, RequestBodiesAreReadAndDiscarded) {
  auto pool = start_pool(1);
  Client client;
  ASSERT_FALSE(client.connect(http_of(*pool, 0)));
  const std::string big(300'000, 'x');
  ASSERT_FALSE(client.send("POST / HTTP/1.1\r\nContent-Length: 300000\r\n\r\n" + big));
  EXPECT_EQ(client.read_reply()->status, 200);
  ASSERT_FALSE(
      client.send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"));
  EXPECT_EQ(client.read_reply()->status, 200);
  EXPECT_TRUE(client.get("/"));
}

TEST(SimulatedPool, ExpectContinueGetsA100BeforeTheBody) {
  auto pool = start_pool(1);
  Client client;
  ASSERT_FALSE(client.connect(http_of(*pool, 0)));
  ASSERT_FALSE(client.send("PUT / HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = client.read_reply();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_FALSE(client.send("abc"));
  const auto final_reply = client.read_reply();
  ASSERT_TRUE(final_reply);
  EXPECT_EQ(final_reply->status, 200);
}

// Refusals are answers of the server too: they name it, as every other answer does (SPEC §7),
// so a client behind a load balancer can tell which server refused it.
TEST(SimulatedPool, MalformedRequestGets400AndClose) {
  auto pool = start_pool(1);
  Client client;
  ASSERT_FALSE(client.connect(http_of(*pool, 0)));
  ASSERT_FALSE(client.send("THIS IS NOT HTTP\r\n\r\n"));
  const auto reply = client.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(reply->header("x-tether-server"), "fe01");
  EXPECT_TRUE(client.closed_by_peer());
  // The server is unharmed.
  EXPECT_TRUE(get_once(http_of(*pool, 0), "/"));
}

TEST(SimulatedPool, AHugeRequestHeadGets431NamingTheServer) {
  auto pool = start_pool(2);
  Client client;
  ASSERT_FALSE(client.connect(http_of(*pool, 1)));
  ASSERT_FALSE(client.send("GET / HTTP/1.1\r\nX-Big: " + std::string(70'000, 'x') + "\r\n\r\n"));
  const auto reply = client.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 431);
  EXPECT_EQ(reply->header("x-tether-server"), "fe02");
}

TEST(SimulatedPool, FailRefusesConnectionsAndRecoverReopensTheSamePorts) {
  auto pool = start_pool(2);
  auto& fe01 = *pool->servers()[0];
  Client open_before;
  ASSERT_FALSE(open_before.connect(http_of(*pool, 0)));
  ASSERT_TRUE(open_before.get("/"));

  ASSERT_FALSE(fe01.set_state_and_wait(ServerState::failed));
  EXPECT_EQ(fe01.state(), ServerState::failed);
  EXPECT_TRUE(open_before.closed_by_peer());
  EXPECT_EQ(Client().connect(http_of(*pool, 0)), asio::error::connection_refused);
  EXPECT_EQ(Client().connect(check_of(*pool, 0)), asio::error::connection_refused);
  EXPECT_TRUE(get_once(http_of(*pool, 1), "/"));  // only fe01 failed

  ASSERT_FALSE(fe01.set_state_and_wait(ServerState::up));
  const auto reply = get_once(http_of(*pool, 0), "/");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->header("x-tether-server"), "fe01");
  EXPECT_FALSE(Client().connect(check_of(*pool, 0)));
}

TEST(SimulatedPool, HangAcceptsButNeverAnswers) {
  auto pool = start_pool(1);
  auto& fe01 = *pool->servers()[0];
  Client idle_before;
  ASSERT_FALSE(idle_before.connect(http_of(*pool, 0)));
  ASSERT_TRUE(idle_before.get("/"));

  ASSERT_FALSE(fe01.set_state_and_wait(ServerState::hung));
  Client client;
  ASSERT_FALSE(client.connect(http_of(*pool, 0)));
  ASSERT_FALSE(client.send("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(client.read_reply(false, hang_wait));
  ASSERT_FALSE(idle_before.send("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(idle_before.silent_for(hang_wait));

  Client check;
  ASSERT_FALSE(check.connect(check_of(*pool, 0)));
  ASSERT_FALSE(check.send("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(check.silent_for(hang_wait));

  // Recovering cuts the connections that swallowed a request and answers new ones.
  ASSERT_FALSE(fe01.set_state_and_wait(ServerState::up));
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(get_once(http_of(*pool, 0), "/"));
}

TEST(SimulatedPool, CheckPortAcceptsAndAnswersAnHttpCheckWhileUp) {
  auto pool = start_pool(1);
  Client tcp_check;
  EXPECT_FALSE(tcp_check.connect(check_of(*pool, 0)));
  Client http_check;
  ASSERT_FALSE(http_check.connect(check_of(*pool, 0)));
  ASSERT_FALSE(http_check.send("GET /health HTTP/1.1\r\n\r\n"));
  const auto reply = http_check.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("x-tether-server"), "fe01");
  EXPECT_TRUE(http_check.closed_by_peer());
  EXPECT_EQ(pool->servers()[0]->requests_served(), 0u);  // checks are not traffic
}

// Different ports free just now, chosen by the OS: in a configuration port 0 means something
// else.
std::vector<std::uint16_t> unused_ports(std::size_t count) {
  asio::io_context io;
  std::vector<tcp::acceptor> held;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < count; ++i) {
    held.emplace_back(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    ports.push_back(held.back().local_endpoint().port());
  }
  return ports;
}

// The pool `tether-pool --config` starts for this Tether configuration.
std::unique_ptr<SimulatedPool> start_from_config(const std::string& yaml, std::size_t threads) {
  const auto loaded = config::load_string(yaml, "pool.yaml");
  if (!loaded.ok()) {
    ADD_FAILURE() << loaded.errors.at(0);
    return nullptr;
  }
  auto plan = plan_from_config(*loaded.config, std::nullopt);
  if (!plan.ok()) {
    ADD_FAILURE() << plan.error;
    return nullptr;
  }
  PoolOptions options;
  options.servers = std::move(plan.servers);
  options.threads = threads;
  std::string error;
  auto pool = SimulatedPool::start(std::move(options), error);
  EXPECT_TRUE(pool) << error;
  return pool;
}

// A configuration of pools of one Front End, fe01: each pool `name` has it on 127.0.0.1:`port`,
// checked as `health` says (YAML), and a frontend of its own (never bound here).
struct CheckedPool {
  std::string name;
  std::uint16_t port;
  std::string health;
};

std::string config_yaml(const std::vector<CheckedPool>& pools) {
  std::string frontends = "frontends:\n", pool_list = "pools:\n";
  const auto vips = unused_ports(pools.size());
  for (std::size_t i = 0; i < pools.size(); ++i) {
    const auto& p = pools[i];
    frontends += "  - { name: " + p.name + ", listen: [\"127.0.0.1:" + std::to_string(vips[i]) +
                 "\"], mode: http, pool: " + p.name + " }\n";
    pool_list +=
        "  - name: " + p.name + "\n    health: " + p.health +
        "\n    servers:\n      - { name: fe01, address: \"127.0.0.1:" + std::to_string(p.port) +
        "\" }\n";
  }
  return frontends + pool_list;
}

std::string tcp_check(std::uint16_t port) {
  return "{ type: tcp, port: " + std::to_string(port) + " }";
}

// Two pools of the same Front End, checked on two different ports: both must accept, or Tether
// marks the second pool's servers down.
TEST(SimulatedPool, EveryCheckPortOfAConfigAccepts) {
  const auto ports = unused_ports(4);
  const tcp::endpoint check_a(asio::ip::address_v4::loopback(), ports[0]);
  const tcp::endpoint check_b(asio::ip::address_v4::loopback(), ports[1]);
  auto pool = start_from_config(
      config_yaml({{"a", ports[2], tcp_check(ports[0])}, {"b", ports[3], tcp_check(ports[1])}}), 1);
  ASSERT_TRUE(pool);
  auto& fe01 = *pool->servers().at(0);
  EXPECT_EQ(fe01.check_endpoints(), (std::vector{check_a, check_b}));
  for (const auto& check : {check_a, check_b}) {
    const auto reply = get_once(check, "/");
    ASSERT_TRUE(reply) << check;
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->header("x-tether-server"), "fe01");
  }
  ASSERT_FALSE(fe01.set_state_and_wait(ServerState::failed));
  for (const auto& check : {check_a, check_b})
    EXPECT_EQ(Client().connect(check), asio::error::connection_refused) << check;
}

// An http check of the server's own HTTP port: the HTTP port answers it, and every request to
// that port is the server's (no check listener beside it takes a share of them).
TEST(SimulatedPool, AnHttpCheckOfTheServersOwnPortIsAnsweredByThatPort) {
  const auto port = unused_ports(1).at(0);
  auto pool = start_from_config(
      config_yaml({{"web", port, "{ type: http, port: " + std::to_string(port) + " }"}}), 2);
  ASSERT_TRUE(pool);
  const tcp::endpoint http(asio::ip::address_v4::loopback(), port);
  for (const auto& check : pool->servers().at(0)->check_endpoints())
    EXPECT_NE(check, http);
  for (int i = 0; i < 12; ++i) {
    const auto reply = get_once(http, "/health");
    ASSERT_TRUE(reply) << i;
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, "fe01\n") << i;
  }
}

TEST(SimulatedPool, SeveralThreadsServeAndFailTogether) {
  auto pool = start_pool(1, [](PoolOptions& o) { o.threads = 3; });
  auto& fe01 = *pool->servers()[0];
  for (int i = 0; i < 12; ++i)
    ASSERT_TRUE(get_once(http_of(*pool, 0), "/")) << i;
  ASSERT_FALSE(fe01.set_state_and_wait(ServerState::failed));
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(Client().connect(http_of(*pool, 0)), asio::error::connection_refused) << i;
  }
  ASSERT_FALSE(fe01.set_state_and_wait(ServerState::up));
  for (int i = 0; i < 12; ++i)
    ASSERT_TRUE(get_once(http_of(*pool, 0), "/")) << i;
}

// Both pools with this many threads. From 2 on each port is shared by SO_REUSEPORT acceptors,
// which must not share it with another pool (another process) too: the kernel would split the
// connections between the two and no stickiness measurement would mean anything.
class APortInUse : public ::testing::TestWithParam<std::size_t> {};

TEST_P(APortInUse, FailsTheStartAndNamesTheAddress) {
  const auto threads = [](PoolOptions& o) { o.threads = GetParam(); };
  auto first = start_pool(1, threads);
  PoolOptions options;
  threads(options);
  options.servers.push_back(ServerSpec{"fe09", {http_of(*first, 0)}, {}});
  std::string error;
  EXPECT_FALSE(SimulatedPool::start(std::move(options), error));
  EXPECT_NE(
      error.find("fe09: cannot listen on 127.0.0.1:" + std::to_string(http_of(*first, 0).port())),
      std::string::npos)
      << error;
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(Threads, APortInUse, ::testing::Values(1, 2, 4));

TEST(SimulatedPool, ServesOnIpv6Loopback) {
  {
    asio::io_context io;
    tcp::acceptor probe(io);
    std::error_code ec;
    probe.open(tcp::v6(), ec);
    if (!ec) probe.bind(tcp::endpoint(asio::ip::address_v6::loopback(), 0), ec);
    if (ec) GTEST_SKIP() << "no IPv6 loopback here";
  }
  auto pool = start_pool(1, [](PoolOptions& o) {
    FlagPlan flags;
    flags.servers = 1;
    flags.bind = asio::ip::address_v6::loopback();
    o.servers = plan_from_flags(flags).servers;
  });
  const auto reply = get_once(http_of(*pool, 0), "/");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->header("x-tether-server"), "fe01");
}

// The control endpoint, driven over HTTP as scripts and tether-probe do.
std::optional<Reply> control(const SimulatedPool& pool, const std::string& method,
                             const std::string& path) {
  Client client;
  if (client.connect(*pool.control_endpoint())) return std::nullopt;
  if (client.send(method + " " + path + " HTTP/1.1\r\nContent-Length: 0\r\n\r\n")) {
    return std::nullopt;
  }
  return client.read_reply();
}

TEST(PoolControl, ListsServersWithTheirCounters) {
  auto pool = start_pool(2, with_control);
  ASSERT_TRUE(get_once(http_of(*pool, 1), "/"));
  const auto reply = control(*pool, "GET", "/servers");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("content-type"), "application/json");
  EXPECT_NE(
      reply->body.find(R"({"name":"fe01","state":"up","requests_served":0,"sessions_held":0)"),
      std::string::npos)
      << reply->body;
  EXPECT_NE(
      reply->body.find(R"({"name":"fe02","state":"up","requests_served":1,"sessions_held":1)"),
      std::string::npos)
      << reply->body;
}

TEST(PoolControl, FailAndRecoverOneServer) {
  auto pool = start_pool(2, with_control);
  const auto failed = control(*pool, "POST", "/servers/fe02/fail");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 200);
  EXPECT_NE(failed->body.find(R"("state":"failed")"), std::string::npos) << failed->body;
  EXPECT_EQ(Client().connect(http_of(*pool, 1)), asio::error::connection_refused);

  const auto recovered = control(*pool, "POST", "/servers/fe02/recover");
  ASSERT_TRUE(recovered);
  EXPECT_EQ(recovered->status, 200);
  EXPECT_TRUE(get_once(http_of(*pool, 1), "/"));
}

// While fe01 is failed another pool takes its check port. Recovering must neither share the port
// with it (several threads: SO_REUSEPORT) nor leave fe01 half up (its HTTP port bound, one
// thread): fe01 stays failed with every port closed until the port is free again.
class RecoverWhileAnotherPoolHoldsAPort : public ::testing::TestWithParam<std::size_t> {};

TEST_P(RecoverWhileAnotherPoolHoldsAPort, IsRefusedAndTheServerStaysFailed) {
  auto pool = start_pool(1, [](PoolOptions& o) {
    with_control(o);
    o.threads = GetParam();
  });
  ASSERT_EQ(control(*pool, "POST", "/servers/fe01/fail")->status, 200);
  auto stranger = start_pool(1, [&](PoolOptions& o) {
    o.threads = 2;
    o.servers[0].name = "other";
    o.servers[0].http = {check_of(*pool, 0)};
  });
  ASSERT_TRUE(stranger);

  const auto refused = control(*pool, "POST", "/servers/fe01/recover");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 500);
  EXPECT_NE(refused->body.find("in use"), std::string::npos) << refused->body;
  EXPECT_NE(control(*pool, "GET", "/servers/fe01")->body.find(R"("state":"failed")"),
            std::string::npos);
  EXPECT_EQ(Client().connect(http_of(*pool, 0)), asio::error::connection_refused);
  for (int i = 0; i < 8; ++i) {
    const auto reply = get_once(check_of(*pool, 0), "/");
    ASSERT_TRUE(reply) << i;
    EXPECT_EQ(reply->header("x-tether-server"), "other") << i;
  }

  stranger.reset();
  EXPECT_EQ(control(*pool, "POST", "/servers/fe01/recover")->status, 200);
  const auto reply = get_once(http_of(*pool, 0), "/");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->header("x-tether-server"), "fe01");
  EXPECT_FALSE(Client().connect(check_of(*pool, 0)));
}

INSTANTIATE_TEST_SUITE_P(Threads, RecoverWhileAnotherPoolHoldsAPort, ::testing::Values(1, 2));

TEST(PoolControl, HangMakesTheServerSilent) {
  auto pool = start_pool(1, with_control);
  const auto hung = control(*pool, "POST", "/servers/fe01/hang");
  ASSERT_TRUE(hung);
  EXPECT_NE(hung->body.find(R"("state":"hung")"), std::string::npos);
  Client client;
  ASSERT_FALSE(client.connect(http_of(*pool, 0)));
  ASSERT_FALSE(client.send("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(client.silent_for(hang_wait));
}

TEST(PoolControl, ClearsSessions) {
  auto pool = start_pool(1, with_control);
  ASSERT_TRUE(get_once(http_of(*pool, 0), "/"));
  const auto reply = control(*pool, "POST", "/servers/fe01/sessions/clear");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(pool->servers()[0]->sessions_held(), 0u);
}

// The control is no server: its refusals name none.
TEST(PoolControl, MalformedRequestGets400WithoutAServerName) {
  auto pool = start_pool(1, with_control);
  Client client;
  ASSERT_FALSE(client.connect(*pool->control_endpoint()));
  ASSERT_FALSE(client.send("THIS IS NOT HTTP\r\n\r\n"));
  const auto reply = client.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(reply->header("x-tether-server"), "");
}

TEST(PoolControl, UnknownServersPathsAndMethodsAreJsonErrors) {
  auto pool = start_pool(1, with_control);
  const auto unknown = control(*pool, "POST", "/servers/fe09/fail");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(unknown->body, "{\"error\":\"no server named fe09\"}\n");
  EXPECT_EQ(control(*pool, "GET", "/nothing")->status, 404);
  EXPECT_EQ(control(*pool, "POST", "/servers/fe01/explode")->status, 404);
  EXPECT_EQ(control(*pool, "GET", "/servers/fe01/fail")->status, 405);
  EXPECT_EQ(control(*pool, "GET", "/servers/fe01")->status, 200);
}

}  // namespace
}  // namespace tether::pool
