// The probe against pools whose right answer is known: scripted load balancers that stamp a
// chosen server name (every 7th request elsewhere, cookie affinity), and a source-routing TCP
// proxy in front of real tether-pool servers (one server, round robin, source hash, a server
// that fails or joins midway), and the same over HTTPS (tether-pool --tls-cert, tether-probe
// --tls). Everything runs in-process on loopback with bounded waits.
#include <gtest/gtest.h>

#include <openssl/ssl.h>
#include <algorithm>
#include <array>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/tls/test_certs.h"
#include "tools/pool/pool_plan.h"
#include "tools/pool/simulated_pool.h"
#include "tools/probe/runner.h"
#include "tools/probe/scenario.h"

namespace tether::probe {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

const std::vector<std::string> names = {"fe01", "fe02", "fe03"};

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// ---------------------------------------------------------------------------------------------
// A scripted HTTP/1.1 server on its own thread. It stands in for a load balancer and the servers
// behind it: for each request a script says which server "answers" and how.

struct ScriptedRequest {
  asio::ip::address source;
  std::uint64_t nth = 0;  // 1-based: the nth request from this source address
  std::string method;
  std::string target;
  std::string session;        // X-Session
  std::string cookie;         // the Cookie header
  std::string authorization;  // the Authorization header
  std::string body;
};

struct ScriptedReply {
  int status = 200;
  std::string server = {};  // X-Tether-Server; empty: none
  std::string set_cookie = {};
  std::string body = "ok\n";
  bool close = false;           // "Connection: close", then close
  bool close_silently = false;  // close after the response without announcing it
  bool hang = false;            // never answer
};

class ScriptedPool {
 public:
  using Script = std::function<ScriptedReply(const ScriptedRequest&)>;

  explicit ScriptedPool(Script script)
      : acceptor_(io_, {asio::ip::address_v4::loopback(), 0}), script_(std::move(script)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedPool() {
    io_.stop();
    thread_.join();
  }

  tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }

 private:
  struct Connection : std::enable_shared_from_this<Connection> {
    Connection(ScriptedPool& pool, tcp::socket s) : pool(pool), socket(std::move(s)) {}

    void read() {
      asio::async_read_until(socket, asio::dynamic_buffer(buffer), "\r\n\r\n",
                             [self = shared_from_this()](std::error_code ec, std::size_t n) {
                               if (!ec) self->on_head(n);
                             });
    }

    void on_head(std::size_t n) {
      request = {};
      std::size_t length = 0;
      const std::string head = buffer.substr(0, n);
      buffer.erase(0, n);
      std::size_t start = 0;
      for (std::size_t end; (end = head.find("\r\n", start)) != std::string::npos;
           start = end + 2) {
        const std::string line = head.substr(start, end - start);
        if (start == 0) {
          request.method = line.substr(0, line.find(' '));
          request.target = line.substr(line.find(' ') + 1);
          request.target = request.target.substr(0, request.target.find(' '));
          continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const auto name = lower(line.substr(0, colon));
        const auto value = line.substr(line.find_first_not_of(' ', colon + 1));
        if (name == "x-session") request.session = value;
        if (name == "cookie") request.cookie = value;
        if (name == "authorization") request.authorization = value;
        if (name == "content-length") length = std::stoul(value);
      }
      const auto missing = length > buffer.size() ? length - buffer.size() : 0;
      asio::async_read(socket, asio::dynamic_buffer(buffer), asio::transfer_exactly(missing),
                       [self = shared_from_this(), length](std::error_code ec, std::size_t) {
                         if (ec) return;
                         self->request.body = self->buffer.substr(0, length);
                         self->buffer.erase(0, length);
                         self->answer();
                       });
    }

    void answer() {
      std::error_code ec;
      request.source = socket.remote_endpoint(ec).address();
      request.nth = ++pool.requests_from_[request.source];
      const ScriptedReply reply = pool.script_(request);
      if (reply.hang) {
        pool.hung_.push_back(shared_from_this());
        return;
      }
      out = "HTTP/1.1 " + std::to_string(reply.status) + " Scripted\r\n";
      if (!reply.server.empty()) out += "X-Tether-Server: " + reply.server + "\r\n";
      if (!reply.set_cookie.empty()) out += "Set-Cookie: " + reply.set_cookie + "\r\n";
      if (reply.close) out += "Connection: close\r\n";
      out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body;
      const bool closes = reply.close || reply.close_silently;
      asio::async_write(socket, asio::buffer(out),
                        [self = shared_from_this(), closes](std::error_code ec, std::size_t) {
                          if (ec) return;
                          if (!closes) return self->read();
                          self->socket.shutdown(tcp::socket::shutdown_both, ec);
                          self->socket.close(ec);
                        });
    }

    ScriptedPool& pool;
    tcp::socket socket;
    std::string buffer;
    std::string out;
    ScriptedRequest request;
  };

  void accept() {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
      if (ec) return;
      std::make_shared<Connection>(*this, std::move(socket))->read();
      accept();
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  Script script_;
  std::thread thread_;
  // Touched on the pool's thread only.
  std::map<asio::ip::address, std::uint64_t> requests_from_;
  std::vector<std::shared_ptr<Connection>> hung_;
};

// ---------------------------------------------------------------------------------------------
// A TCP proxy on its own thread that routes each connection by its source address: a route
// lists backends in order of preference, and the proxy takes the first that accepts.

class SourceRoutingProxy {
 public:
  // `nth` is 1-based: the nth connection from this source address.
  using Route =
      std::function<std::vector<tcp::endpoint>(const asio::ip::address& source, std::uint64_t nth)>;

  explicit SourceRoutingProxy(Route route)
      : acceptor_(io_, {asio::ip::address_v4::loopback(), 0}), route_(std::move(route)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~SourceRoutingProxy() {
    io_.stop();
    thread_.join();
  }

  tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }

 private:
  struct Link : std::enable_shared_from_this<Link> {
    Link(asio::io_context& io, tcp::socket c, std::vector<tcp::endpoint> choices)
        : client(std::move(c)), server(io), choices(std::move(choices)) {}

    void connect() {
      if (next == choices.size()) {
        std::error_code ignored;
        client.close(ignored);
        return;
      }
      server.async_connect(choices[next++], [self = shared_from_this()](std::error_code ec) {
        if (ec) {
          self->server.close(ec);
          return self->connect();
        }
        self->pump(self->client, self->server, self->up);
        self->pump(self->server, self->client, self->down);
      });
    }

    void pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buffer) {
      from.async_read_some(asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer](
                                                     std::error_code ec, std::size_t n) {
        if (ec) return self->pump_ended(from, to);
        asio::async_write(to, asio::buffer(buffer.data(), n),
                          [self, &from, &to, &buffer](std::error_code ec, std::size_t) {
                            if (ec) return self->pump_ended(from, to);
                            self->pump(from, to, buffer);
                          });
      });
    }

    void pump_ended(tcp::socket& from, tcp::socket& to) {
      std::error_code ignored;
      to.shutdown(tcp::socket::shutdown_send, ignored);
      if (--open_pumps == 0) {
        from.close(ignored);
        to.close(ignored);
      }
    }

    tcp::socket client;
    tcp::socket server;
    std::vector<tcp::endpoint> choices;
    std::size_t next = 0;
    int open_pumps = 2;
    std::array<char, 16384> up;
    std::array<char, 16384> down;
  };

  void accept() {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
      if (ec) return;
      const auto source = socket.remote_endpoint(ec).address();
      if (!ec) {
        auto choices = route_(source, ++connections_from_[source]);
        std::make_shared<Link>(io_, std::move(socket), std::move(choices))->connect();
      }
      accept();
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  Route route_;
  std::thread thread_;
  std::map<asio::ip::address, std::uint64_t> connections_from_;  // the proxy's thread only
};

// ---------------------------------------------------------------------------------------------
// Helpers.

// The simulated pool: `servers` tether-pool servers fe01.. on loopback and a control endpoint.
std::unique_ptr<pool::SimulatedPool> start_pool(unsigned servers) {
  pool::FlagPlan flags;
  flags.servers = servers;
  pool::PoolOptions options;
  options.servers = pool::plan_from_flags(flags).servers;
  options.control = tcp::endpoint(asio::ip::address_v4::loopback(), 0);
  std::string error;
  auto started = pool::SimulatedPool::start(std::move(options), error);
  EXPECT_TRUE(started) << error;
  return started;
}

std::vector<tcp::endpoint> endpoints_of(const pool::SimulatedPool& pool) {
  std::vector<tcp::endpoint> endpoints;
  for (const auto& server : pool.servers())
    endpoints.push_back(server->http_endpoints().at(0));
  return endpoints;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string text_of(const tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

ProbeOptions options_for(const tcp::endpoint& target, std::size_t clients, std::size_t requests) {
  ProbeOptions options;
  options.target = target;
  options.target_text = text_of(target);
  std::string error;
  options.sources = *SourceRange::parse("127.1.0.0/16", error);
  options.clients = clients;
  options.requests = requests;
  options.concurrency = 16;
  options.timeout = 3s;
  options.settle = 0ms;
  return options;
}

Report probe(const ProbeOptions& options, const ScenarioAction& action = {}) {
  EXPECT_EQ(validate(options), "");
  EXPECT_EQ(check_reachable(options), "");
  const auto result = run_probe(options, action);
  EXPECT_TRUE(result.ok) << result.error;
  return result.report;
}

// The hash the fake source-affinity load balancers use: the IPv4 address modulo `n`.
std::size_t source_hash(const asio::ip::address& source, std::size_t n) {
  return source.to_v4().to_uint() % n;
}

std::size_t clients_of(const Report& report, const std::string& server) {
  for (const auto& share : report.servers)
    if (share.name == server) return share.clients;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

// A load balancer with source affinity that deliberately sends every 7th request of each client
// to the next server: the probe must report exactly that many requests off home, and which
// clients never saw it.
TEST(ProbeRun, EverySeventhRequestElsewhereIsReportedExactly) {
  for (const bool new_connections : {false, true}) {
    SCOPED_TRACE(new_connections ? "new connections" : "keep-alive");
    ScriptedPool lb([](const ScriptedRequest& r) {
      const auto home = source_hash(r.source, 3);
      return ScriptedReply{.server = names[r.nth % 7 == 0 ? (home + 1) % 3 : home]};
    });
    auto options = options_for(lb.endpoint(), 60, 20);
    options.new_connections = new_connections;
    const auto report = probe(options);

    std::map<std::string, std::size_t> homes;
    for (std::size_t i = 0; i < 60; ++i)
      ++homes[names[source_hash(options.sources.from_bottom(i), 3)]];
    EXPECT_EQ(report.clients, 60u);
    EXPECT_EQ(report.requests, 1200u);
    EXPECT_EQ(report.answered, 1200u);
    EXPECT_EQ(report.errors.total(), 0u);
    EXPECT_EQ(report.clients_single_server, 0u);
    EXPECT_EQ(report.requests_off_home, 60u * 2);  // requests 7 and 14 of each client
    EXPECT_EQ(report.sessions_lost, 0u);
    for (std::size_t s = 0; s < 3; ++s) {
      const auto& name = names[s];
      EXPECT_EQ(clients_of(report, name), homes[name]) << name;
      // Its clients' 18 requests at home, and 2 each of the previous server's clients.
      const auto& share = *std::find_if(report.servers.begin(), report.servers.end(),
                                        [&](const ServerShare& x) { return x.name == name; });
      EXPECT_EQ(share.requests, 18 * homes[name] + 2 * homes[names[(s + 2) % 3]]) << name;
    }
  }
}

TEST(ProbeRun, SessionsShorterThanSevenRequestsAllStay) {
  ScriptedPool lb([](const ScriptedRequest& r) {
    const auto home = source_hash(r.source, 3);
    return ScriptedReply{.server = names[r.nth % 7 == 0 ? (home + 1) % 3 : home]};
  });
  const auto report = probe(options_for(lb.endpoint(), 50, 6));
  EXPECT_EQ(report.clients_single_server, 50u);
  EXPECT_EQ(report.requests_off_home, 0u);
}

TEST(ProbeRun, OneTetherPoolServerKeepsEveryClientAndSession) {
  auto pool = start_pool(1);
  ASSERT_TRUE(pool);
  const auto report = probe(options_for(endpoints_of(*pool)[0], 50, 10));
  EXPECT_EQ(report.clients, 50u);
  EXPECT_EQ(report.clients_single_server, 50u);
  EXPECT_EQ(report.sessions_lost, 0u);
  EXPECT_EQ(report.errors.total(), 0u);
  EXPECT_EQ(report.statuses.at(200), 500u);
  ASSERT_EQ(report.servers.size(), 1u);
  EXPECT_EQ(report.servers[0].name, "fe01");
  EXPECT_EQ(report.servers[0].clients, 50u);
  EXPECT_EQ(report.max_over_mean, 1.0);
  EXPECT_EQ(report.cov, 0.0);
  EXPECT_EQ(report.latency.samples, 500u);
  EXPECT_GT(report.latency.p50, 0.0);
  EXPECT_LE(report.latency.p50, report.latency.p99);
}

// --check-body: tether-pool's patterned bodies arrive intact and are all counted; a load
// balancer that damages one byte, or cuts the body short under a matching Content-Length, is
// caught on every response.
TEST(ProbeRun, CheckedBodiesFromTetherPoolAreIntactAndDamagedOnesAreCaught) {
  auto pool = start_pool(1);
  ASSERT_TRUE(pool);
  auto options = options_for(endpoints_of(*pool)[0], 20, 5);
  options.path = "/bytes/100000";
  options.check_body = true;
  const auto intact = probe(options);
  EXPECT_EQ(intact.bodies_checked, 100u);
  EXPECT_EQ(intact.bodies_corrupt, 0u);

  std::string damaged(100000, 'a');
  for (std::size_t i = 0; i < damaged.size(); ++i)
    damaged[i] = static_cast<char>('a' + i % 26);
  damaged[70000] = '!';
  ScriptedPool bad_byte(
      [&](const ScriptedRequest&) { return ScriptedReply{.server = "fe01", .body = damaged}; });
  const auto bad = probe([&] {
    auto o = options_for(bad_byte.endpoint(), 10, 2);
    o.path = "/bytes/100000";
    o.check_body = true;
    return o;
  }());
  EXPECT_EQ(bad.bodies_checked, 20u);
  EXPECT_EQ(bad.bodies_corrupt, 20u);

  ScriptedPool short_body([&](const ScriptedRequest&) {
    return ScriptedReply{.server = "fe01", .body = damaged.substr(0, 26)};
  });
  const auto cut = probe([&] {
    auto o = options_for(short_body.endpoint(), 10, 2);
    o.path = "/bytes/100000";
    o.check_body = true;
    return o;
  }());
  EXPECT_EQ(cut.bodies_corrupt, 20u);
}

TEST(ProbeRun, CheckBodyNeedsABytesPath) {
  auto options = options_for(tcp::endpoint(asio::ip::address_v4::loopback(), 1), 1, 1);
  options.check_body = true;
  EXPECT_NE(validate(options), "");
  options.path = "/bytes/1024";
  EXPECT_EQ(validate(options), "");
  EXPECT_EQ(pattern_length("/bytes/1024"), 1024u);
  EXPECT_FALSE(pattern_length("/bytes/"));
  EXPECT_FALSE(pattern_length("/bytes/12x"));
}

// Round robin per request (each request on a new connection, alternating per client) over two
// tether-pool servers: the second request of every client reaches the server that does not hold
// its session.
TEST(ProbeRun, AlternatingServersLoseEverySession) {
  auto pool = start_pool(2);
  ASSERT_TRUE(pool);
  const auto backends = endpoints_of(*pool);
  SourceRoutingProxy lb([&](const asio::ip::address&, std::uint64_t nth) {
    return std::vector<tcp::endpoint>{backends[nth % 2]};
  });
  auto options = options_for(lb.endpoint(), 40, 6);
  options.new_connections = true;
  const auto report = probe(options);
  EXPECT_EQ(report.sessions_lost, 40u);
  EXPECT_EQ(report.clients_single_server, 0u);
  EXPECT_EQ(report.statuses.at(440), 40u * 3);  // requests 2, 4 and 6 of each client
  EXPECT_EQ(report.statuses.at(200), 40u * 3);
  EXPECT_EQ(report.requests_off_home, 40u * 3);
  EXPECT_EQ(report.errors.total(), 0u);
}

// How many of the first `clients` roaming clients a source hash over 3 servers moves: those
// whose address after roaming (from the top of the range) hashes elsewhere than before.
std::size_t roaming_moves(const ProbeOptions& options, std::size_t clients) {
  std::size_t moves = 0;
  for (std::size_t i = 0; i < clients; ++i)
    moves += source_hash(options.sources.from_bottom(i), 3) !=
             source_hash(options.sources.from_top(i), 3);
  return moves;
}

// Source affinity cannot follow a roaming client: every client roams, and those whose new
// address hashes elsewhere are reported as moved and lose their session.
TEST(ProbeRun, RoamingUnderSourceAffinityIsReported) {
  auto pool = start_pool(3);
  ASSERT_TRUE(pool);
  const auto backends = endpoints_of(*pool);
  SourceRoutingProxy lb([&](const asio::ip::address& source, std::uint64_t) {
    return std::vector<tcp::endpoint>{backends[source_hash(source, 3)]};
  });
  auto options = options_for(lb.endpoint(), 30, 6);
  options.roam = 1.0;
  const auto report = probe(options);

  const std::size_t expected_moves = roaming_moves(options, 30);
  ASSERT_GT(expected_moves, 0u);
  EXPECT_EQ(report.roamed, 30u);
  EXPECT_EQ(report.roamed_moved, expected_moves);
  EXPECT_EQ(report.sessions_lost, expected_moves);
  EXPECT_EQ(report.clients_single_server, 30 - expected_moves);
  EXPECT_EQ(report.moves.considered, 0u);  // no scenario
}

// Cookie affinity follows the client to its new address, as long as the client keeps the cookie.
TEST(ProbeRun, ACookieKeepsRoamingClientsWhereSourceAffinityCannot) {
  ScriptedPool lb([](const ScriptedRequest& r) {
    const auto at = r.cookie.find("MS-WSMAN=");
    if (at != std::string::npos) return ScriptedReply{.server = r.cookie.substr(at + 9, 4)};
    const auto& server = names[source_hash(r.source, 3)];
    return ScriptedReply{.server = server, .set_cookie = "MS-WSMAN=" + server + "; path=/"};
  });
  auto options = options_for(lb.endpoint(), 30, 6);
  options.roam = 1.0;
  options.cookie = "MS-WSMAN";
  const auto with_cookie = probe(options);
  EXPECT_EQ(with_cookie.roamed, 30u);
  EXPECT_EQ(with_cookie.roamed_moved, 0u);
  EXPECT_EQ(with_cookie.clients_single_server, 30u);

  options.cookie.clear();
  const auto without = probe(options);
  EXPECT_EQ(without.roamed, 30u);
  EXPECT_GT(without.roamed_moved, 0u);
}

// A load balancer that fails over along a ring: only the failed server's clients move.
TEST(ProbeRun, FailMovesOnlyTheFailedServersClients) {
  auto pool = start_pool(3);
  ASSERT_TRUE(pool);
  const auto backends = endpoints_of(*pool);
  SourceRoutingProxy lb([&](const asio::ip::address& source, std::uint64_t) {
    const auto first = source_hash(source, 3);
    return std::vector<tcp::endpoint>{backends[first], backends[(first + 1) % 3],
                                      backends[(first + 2) % 3]};
  });
  ScenarioPlan plan;
  plan.kind = Scenario::fail;
  plan.server = "fe02";
  std::string error;
  plan.control = parse_service_url(text_of(*pool->control_endpoint()), error);
  ASSERT_TRUE(plan.control) << error;
  ASSERT_TRUE(preflight(plan, Mechanism::control_fail, error)) << error;

  auto options = options_for(lb.endpoint(), 60, 8);
  options.scenario = Scenario::fail;
  options.scenario_server = "fe02";
  const auto report = probe(options, [&](std::string& done, std::string& why) {
    return perform(plan, Mechanism::control_fail, done, why);
  });
  EXPECT_TRUE(report.scenario.performed);
  EXPECT_NE(report.scenario.action.find("/servers/fe02/fail -> 200"), std::string::npos);
  const auto on_fe02 = clients_of(report, "fe02");
  ASSERT_GT(on_fe02, 0u);
  EXPECT_EQ(report.moves.required, on_fe02);
  EXPECT_EQ(report.moves.needless, 0u);
  EXPECT_EQ(report.moves.unserved, 0u);
  EXPECT_EQ(report.moves.considered, 60u);
  EXPECT_EQ(report.sessions_lost, on_fe02);  // the new server does not hold their sessions
  EXPECT_EQ(report.errors.total(), 0u);
}

// The live servers of a fake load balancer that hashes modulo their number: changing the set
// moves clients that had no reason to move.
class ModuloBalancer {
 public:
  ModuloBalancer(std::vector<tcp::endpoint> backends, std::vector<std::size_t> live)
      : backends_(std::move(backends)), live_(std::move(live)) {}

  std::vector<tcp::endpoint> route(const asio::ip::address& source) {
    std::lock_guard lock(mutex_);
    return {backends_[live_[source_hash(source, live_.size())]]};
  }
  void set_live(std::vector<std::size_t> live) {
    std::lock_guard lock(mutex_);
    live_ = std::move(live);
  }

 private:
  std::vector<tcp::endpoint> backends_;
  std::mutex mutex_;
  std::vector<std::size_t> live_;  // indexes into backends_
};

// The server index a modulo balancer over `live` picks for `source`.
std::size_t modulo_pick(const asio::ip::address& source, const std::vector<std::size_t>& live) {
  return live[source_hash(source, live.size())];
}

TEST(ProbeRun, AModuloHashMovesClientsNeedlesslyWhenAServerFails) {
  auto pool = start_pool(3);
  ASSERT_TRUE(pool);
  ModuloBalancer balancer(endpoints_of(*pool), {0, 1, 2});
  SourceRoutingProxy lb(
      [&](const asio::ip::address& source, std::uint64_t) { return balancer.route(source); });
  auto options = options_for(lb.endpoint(), 60, 6);
  options.scenario = Scenario::fail;
  options.scenario_server = "fe02";
  const auto report = probe(options, [&](std::string& done, std::string& error) {
    balancer.set_live({0, 2});
    done = "fe02 out of the modulo";
    if (const auto ec = pool->find("fe02")->set_state_and_wait(pool::ServerState::failed)) {
      error = ec.message();
      return false;
    }
    return true;
  });

  std::size_t required = 0, needless = 0;
  for (std::size_t i = 0; i < 60; ++i) {
    const auto source = options.sources.from_bottom(i);
    const auto before = modulo_pick(source, {0, 1, 2});
    const auto after = modulo_pick(source, {0, 2});
    if (before == 1)
      ++required;
    else if (before != after)
      ++needless;
  }
  ASSERT_GT(needless, 0u);
  EXPECT_EQ(report.moves.required, required);
  EXPECT_EQ(report.moves.needless, needless);
  EXPECT_EQ(report.moves.considered, 60u);
}

// Nobody has to move when a server is added: a modulo hash moves clients to it and between the
// old servers, and all of them are needless; to_added tells the first kind apart.
TEST(ProbeRun, AddingAServerToAModuloHashMovesClientsNeedlessly) {
  auto pool = start_pool(3);
  ASSERT_TRUE(pool);
  ModuloBalancer balancer(endpoints_of(*pool), {0, 1});
  SourceRoutingProxy lb(
      [&](const asio::ip::address& source, std::uint64_t) { return balancer.route(source); });
  auto options = options_for(lb.endpoint(), 60, 6);
  options.scenario = Scenario::add;
  options.scenario_server = "fe03";
  const auto report = probe(options, [&](std::string& done, std::string&) {
    balancer.set_live({0, 1, 2});
    done = "fe03 into the modulo";
    return true;
  });

  std::size_t to_added = 0, needless = 0;
  for (std::size_t i = 0; i < 60; ++i) {
    const auto source = options.sources.from_bottom(i);
    const auto before = modulo_pick(source, {0, 1});
    const auto after = modulo_pick(source, {0, 1, 2});
    needless += after != before;
    to_added += after == 2;
  }
  ASSERT_GT(to_added, 0u);
  ASSERT_GT(needless, to_added);
  EXPECT_EQ(report.moves.required, 0u);
  EXPECT_EQ(report.moves.to_added, to_added);
  EXPECT_EQ(report.moves.needless, needless);
  EXPECT_EQ(report.distribution_servers, 2u);  // fe03 joined after the scenario point
  EXPECT_EQ(clients_of(report, "fe03"), 0u);
}

TEST(ProbeRun, KeepAliveRecoversFromServersThatClose) {
  ScriptedPool announced([](const ScriptedRequest& r) {
    return ScriptedReply{.server = "fe01", .close = r.nth % 3 == 0};
  });
  const auto a = probe(options_for(announced.endpoint(), 10, 10));
  EXPECT_EQ(a.errors.total(), 0u);
  EXPECT_EQ(a.answered, 100u);

  // Closing without "Connection: close" (an idle timeout racing the next request): the probe
  // retries once on a new connection, as browsers do, and nothing is lost.
  ScriptedPool silent([](const ScriptedRequest&) {
    return ScriptedReply{.server = "fe01", .close_silently = true};
  });
  const auto b = probe(options_for(silent.endpoint(), 10, 10));
  EXPECT_EQ(b.errors.total(), 0u);
  EXPECT_EQ(b.answered, 100u);
  EXPECT_EQ(b.clients_single_server, 10u);
}

TEST(ProbeRun, ASilentServerIsATimeoutAndTheClientGoesOn) {
  ScriptedPool lb(
      [](const ScriptedRequest& r) { return ScriptedReply{.server = "fe01", .hang = r.nth == 2}; });
  auto options = options_for(lb.endpoint(), 4, 3);
  options.timeout = 300ms;
  const auto started = std::chrono::steady_clock::now();
  const auto report = probe(options);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_EQ(report.errors.timeout, 4u);
  EXPECT_EQ(report.answered, 8u);
  EXPECT_EQ(report.clients_single_server, 4u);
}

TEST(ProbeRun, DurationStopsStartingRequests) {
  ScriptedPool lb([](const ScriptedRequest&) {
    std::this_thread::sleep_for(1ms);
    return ScriptedReply{.server = "fe01"};
  });
  auto options = options_for(lb.endpoint(), 5, 1000);
  options.duration = 300ms;
  const auto started = std::chrono::steady_clock::now();
  const auto report = probe(options);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_TRUE(report.run.stopped_early);
  EXPECT_EQ(report.clients, 5u);
  EXPECT_LT(report.requests, 5000u);
  EXPECT_EQ(report.errors.total(), 0u);
}

// --duration that ends within --settle of the split: failing the server would measure nothing
// after it (every client would look unserved) and leave the server failed. The action is not
// started, and the report says why.
TEST(ProbeRun, ADurationThatLeavesNoTimeForTheSettleSkipsTheAction) {
  ScriptedPool lb([](const ScriptedRequest&) { return ScriptedReply{.server = "fe01"}; });
  auto options = options_for(lb.endpoint(), 5, 4);
  options.scenario = Scenario::fail;
  options.scenario_server = "fe01";
  options.duration = 3s;
  options.settle = 10s;
  bool acted = false;
  const auto started = std::chrono::steady_clock::now();
  const auto report = probe(options, [&](std::string&, std::string&) { return acted = true; });
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_FALSE(acted);
  EXPECT_FALSE(report.scenario.performed);
  EXPECT_NE(report.scenario.skipped_because.find("no time for --settle (10.0 s) and a second half"),
            std::string::npos)
      << report.scenario.skipped_because;
  EXPECT_TRUE(report.run.stopped_early);
  EXPECT_EQ(report.requests, 10u);  // the first halves
  EXPECT_EQ(report.moves.unserved, 0u);
}

// The deadline passes while the action runs (a slow hook): nobody is sent a second half, and
// nobody is reported unserved for it.
TEST(ProbeRun, ClientsTheProbeSentNothingAfterTheSplitAreNotUnserved) {
  ScriptedPool lb([](const ScriptedRequest&) { return ScriptedReply{.server = "fe01"}; });
  auto options = options_for(lb.endpoint(), 5, 4);
  options.scenario = Scenario::fail;
  options.scenario_server = "fe01";
  options.duration = 1s;
  const auto report = probe(options, [](std::string& done, std::string&) {
    std::this_thread::sleep_for(1500ms);
    done = "slow hook";
    return true;
  });
  EXPECT_TRUE(report.scenario.performed);
  EXPECT_EQ(report.requests, 10u);
  EXPECT_EQ(report.moves.unserved, 0u);
  EXPECT_EQ(report.moves.considered, 0u);
}

TEST(ProbeRun, UnreachableTargetAndUnusableSourcesAreReported) {
  asio::io_context io;
  tcp::acceptor closed(io, {asio::ip::address_v4::loopback(), 0});
  const auto endpoint = closed.local_endpoint();
  closed.close();
  auto options = options_for(endpoint, 1, 1);
  EXPECT_NE(check_reachable(options).find("cannot reach the target"), std::string::npos);

  std::string error;
  options.sources = *SourceRange::parse("192.0.2.0/24", error);  // TEST-NET-1: not ours
  EXPECT_NE(check_reachable(options).find("cannot use source address 192.0.2.1"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Scenario mechanisms against their real or scripted peers.

// Tether's admin API as docs/admin-api.md describes it: GET /api/v1/status answers `status`; a
// POST is checked for the token first (401 when `token` is set and not presented), then for its
// body (400 without a state); a state change is recorded and answered with `answer`.
class ScriptedAdmin {
 public:
  explicit ScriptedAdmin(std::string status, std::string token = "",
                         std::string answer = R"({"name": "fe02", "admin_state": "drain"})")
      : status_(std::move(status)),
        token_(std::move(token)),
        answer_(std::move(answer)),
        pool_([this](const ScriptedRequest& r) { return reply(r); }) {}

  ServiceUrl url() const {
    std::string error;
    auto url = parse_service_url("http://" + text_of(pool_.endpoint()), error);
    EXPECT_TRUE(url) << error;
    return url.value_or(ServiceUrl{});
  }
  std::vector<ScriptedRequest> changes() {
    std::lock_guard lock(mutex_);
    return changes_;
  }

 private:
  ScriptedReply reply(const ScriptedRequest& r) {
    if (r.method == "GET" && r.target == "/api/v1/status") return {.body = status_};
    if (!token_.empty() && r.authorization != "Bearer " + token_) {
      return {.status = 401,
              .body = r.authorization.empty() ? R"({"error": "missing bearer token"})"
                                              : R"({"error": "wrong token"})"};
    }
    if (r.body.find("\"state\"") == std::string::npos)
      return {.status = 400, .body = R"({"error": "missing \"state\": ready, drain or maint"})"};
    std::lock_guard lock(mutex_);
    changes_.push_back(r);
    return {.body = answer_};
  }

  std::string status_, token_, answer_;
  std::mutex mutex_;
  std::vector<ScriptedRequest> changes_;
  ScriptedPool pool_;  // last: its thread calls reply(), which reads the members above
};

TEST(ProbeScenarioMechanism, DrainThroughTetherAdminApi) {
  ScriptedAdmin admin(R"({"pools": [{"name": "web-int", "servers": [{"name": "fe02"}]}]})",
                      "s3cret");
  ScenarioPlan plan;
  plan.kind = Scenario::drain;
  plan.server = "fe02";
  plan.pool = "web-int";
  plan.admin_token = "s3cret";
  plan.admin = admin.url();
  std::string error;
  ASSERT_EQ(choose_mechanism(plan, error), Mechanism::admin_drain);
  ASSERT_TRUE(preflight(plan, Mechanism::admin_drain, error)) << error;
  EXPECT_TRUE(admin.changes().empty());  // the preflight changes nothing
  std::string done;
  ASSERT_TRUE(perform(plan, Mechanism::admin_drain, done, error)) << error;
  EXPECT_NE(done.find("/api/v1/pools/web-int/servers/fe02/state"), std::string::npos) << done;
  const auto changes = admin.changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].method, "POST");
  EXPECT_EQ(changes[0].target, "/api/v1/pools/web-int/servers/fe02/state");
  EXPECT_EQ(changes[0].body, R"({"state":"drain"})");
  EXPECT_EQ(changes[0].authorization, "Bearer s3cret");

  plan.server = "fe09";
  EXPECT_FALSE(preflight(plan, Mechanism::admin_drain, error));
  EXPECT_NE(error.find("no pool web-int with a server fe09"), std::string::npos) << error;
}

// A missing or wrong token is found before the run, in the admin's own words, not at the split
// after the first half of every session ran; and nothing is drained.
TEST(ProbeScenarioMechanism, AMissingOrWrongAdminTokenFailsThePreflight) {
  ScriptedAdmin admin(R"({"pools": [{"name": "web", "servers": [{"name": "fe02"}]}]})", "s3cret");
  ScenarioPlan plan;
  plan.kind = Scenario::drain;
  plan.server = "fe02";
  plan.admin = admin.url();
  std::string error;
  EXPECT_FALSE(preflight(plan, Mechanism::admin_drain, error));
  EXPECT_EQ(error, "the admin API " + plan.admin->text +
                       " refused a change without a token: missing bearer token; give it with "
                       "--admin-token-file FILE");
  plan.admin_token = "guess";
  EXPECT_FALSE(preflight(plan, Mechanism::admin_drain, error));
  EXPECT_EQ(error, "the admin API " + plan.admin->text +
                       " refused the token of --admin-token-file: wrong token");
  plan.admin_token = "s3cret";
  EXPECT_TRUE(preflight(plan, Mechanism::admin_drain, error)) << error;
  EXPECT_TRUE(admin.changes().empty());
}

// SPEC §7's `--scenario drain --server S --admin URL`, without --pool: the preflight finds the
// pool S is in, and the drain is posted there; a server in several pools is refused.
TEST(ProbeScenarioMechanism, DrainWithoutAPoolFindsItInTheStatus) {
  ScriptedAdmin admin(R"({"pools": [
        {"name": "web-int", "servers": [{"name": "fe01"}, {"name": "fe02"}]},
        {"name": "web-ext", "servers": [{"name": "fe01"}, {"name": "fe03"}]}]})");
  ScenarioPlan plan;
  plan.kind = Scenario::drain;
  plan.server = "fe03";
  plan.admin = admin.url();
  std::string error;
  ASSERT_EQ(choose_mechanism(plan, error), Mechanism::admin_drain) << error;
  ASSERT_TRUE(preflight(plan, Mechanism::admin_drain, error)) << error;
  EXPECT_EQ(plan.pool, "web-ext");
  std::string done;
  ASSERT_TRUE(perform(plan, Mechanism::admin_drain, done, error)) << error;
  ASSERT_EQ(admin.changes().size(), 1u);
  EXPECT_EQ(admin.changes()[0].target, "/api/v1/pools/web-ext/servers/fe03/state");

  plan.pool.clear();
  plan.server = "fe01";
  EXPECT_FALSE(preflight(plan, Mechanism::admin_drain, error));
  EXPECT_NE(error.find("server fe01 is in pools web-int, web-ext"), std::string::npos) << error;
  EXPECT_NE(error.find("--pool NAME"), std::string::npos) << error;
  plan.server = "fe09";
  EXPECT_FALSE(preflight(plan, Mechanism::admin_drain, error));
  EXPECT_NE(error.find("shows no server fe09 in any pool"), std::string::npos) << error;
}

TEST(ProbeScenarioMechanism, ControlPreflightKnowsTheServers) {
  auto pool = start_pool(2);
  ASSERT_TRUE(pool);
  ScenarioPlan plan;
  plan.kind = Scenario::fail;
  std::string error;
  plan.control = parse_service_url(text_of(*pool->control_endpoint()), error);
  plan.server = "fe02";
  EXPECT_TRUE(preflight(plan, Mechanism::control_fail, error)) << error;
  plan.server = "fe09";
  EXPECT_FALSE(preflight(plan, Mechanism::control_fail, error));
  EXPECT_NE(error.find("knows no server fe09"), std::string::npos) << error;
}

// `--control` pointed at something else that answers 200 to anything (a pool server's own HTTP
// port, HAProxy in front of the pool) must not pass for the control: the run would go on and
// report a fail or add that never happened.
TEST(ProbeScenarioMechanism, ControlPreflightRefusesWhatIsNotTetherPoolsControl) {
  auto pool = start_pool(2);
  ASSERT_TRUE(pool);
  ScriptedPool balancer([](const ScriptedRequest&) { return ScriptedReply{.server = "fe01"}; });
  ScriptedPool not_found([](const ScriptedRequest&) {
    return ScriptedReply{.status = 404, .body = "<html>404 Not Found</html>"};
  });
  for (const auto& wrong : {endpoints_of(*pool)[1], balancer.endpoint(), not_found.endpoint()}) {
    SCOPED_TRACE(text_of(wrong));
    ScenarioPlan plan;
    plan.kind = Scenario::fail;
    plan.server = "fe02";
    std::string error;
    plan.control = parse_service_url(text_of(wrong), error);
    EXPECT_FALSE(preflight(plan, Mechanism::control_fail, error));
    EXPECT_NE(error.find("is not tether-pool's control endpoint: GET http://" + text_of(wrong) +
                         "/servers/fe02 answered "),
              std::string::npos)
        << error;
  }
  EXPECT_EQ(pool->find("fe02")->state(), pool::ServerState::up);
}

// The action's answer must be the server in its new state, or the scenario was not performed.
TEST(ProbeScenarioMechanism, AnActionAnsweredWithoutTheNewStateFails) {
  const std::string up = R"({"name": "fe02", "state": "up"})";
  std::string post_answer;
  ScriptedPool control([&](const ScriptedRequest& r) {
    return ScriptedReply{.body = r.method == "GET" ? up : post_answer};
  });
  ScenarioPlan plan;
  plan.kind = Scenario::fail;
  plan.server = "fe02";
  std::string error, done;
  plan.control = parse_service_url(text_of(control.endpoint()), error);
  ASSERT_TRUE(preflight(plan, Mechanism::control_fail, error)) << error;
  for (const std::string& answer :
       {std::string("ok\n"), up, std::string(R"({"state": "failed"})")}) {
    post_answer = answer;
    EXPECT_FALSE(perform(plan, Mechanism::control_fail, done, error)) << answer;
    EXPECT_NE(error.find("/servers/fe02/fail answered 200"), std::string::npos) << error;
    EXPECT_NE(error.find("not fe02 in state failed"), std::string::npos) << error;
  }
  post_answer = R"({"name": "fe02", "state": "failed"})";
  EXPECT_TRUE(perform(plan, Mechanism::control_fail, done, error)) << error;
  post_answer = R"({"name": "fe02", "state": "failed"})";
  EXPECT_FALSE(perform(plan, Mechanism::control_recover, done, error));
  EXPECT_NE(error.find("not fe02 in state up"), std::string::npos) << error;

  ScriptedAdmin admin(R"({"pools": [{"name": "web", "servers": [{"name": "fe02"}]}]})", "",
                      R"({"name": "fe02", "admin_state": "ready"})");
  plan.kind = Scenario::drain;
  plan.admin = admin.url();
  ASSERT_TRUE(preflight(plan, Mechanism::admin_drain, error)) << error;
  EXPECT_FALSE(perform(plan, Mechanism::admin_drain, done, error));
  EXPECT_NE(error.find("not fe02 with admin_state drain"), std::string::npos) << error;
}

// A fail of a server failed already, or an add of one serving already, would report a split at
// which nothing happened: refused before the run, saying what to do first.
TEST(ProbeScenarioMechanism, AControlActionThatWouldChangeNothingIsRefusedFirst) {
  std::string state;
  ScriptedPool control([&](const ScriptedRequest&) {
    return ScriptedReply{.body = R"({"name": "fe02", "state": ")" + state + R"("})"};
  });
  ScenarioPlan plan;
  plan.server = "fe02";
  std::string error;
  plan.control = parse_service_url(text_of(control.endpoint()), error);
  state = "failed";
  EXPECT_FALSE(preflight(plan, Mechanism::control_fail, error));
  EXPECT_NE(error.find("fe02 is failed already at the start"), std::string::npos) << error;
  EXPECT_NE(error.find("/servers/fe02/recover first"), std::string::npos) << error;
  EXPECT_TRUE(preflight(plan, Mechanism::control_recover, error)) << error;
  state = "up";
  EXPECT_FALSE(preflight(plan, Mechanism::control_recover, error));
  EXPECT_NE(error.find("fe02 is up already at the start"), std::string::npos) << error;
  EXPECT_NE(error.find("/servers/fe02/fail first"), std::string::npos) << error;
  EXPECT_TRUE(preflight(plan, Mechanism::control_fail, error)) << error;
  state = "hung";  // either action changes it
  EXPECT_TRUE(preflight(plan, Mechanism::control_fail, error)) << error;
  EXPECT_TRUE(preflight(plan, Mechanism::control_recover, error)) << error;
}

TEST(ProbeScenarioMechanism, AHookRunsWithTheScenarioInItsEnvironment) {
  const auto marker = std::filesystem::path(::testing::TempDir()) / "probe_hook_ran";
  std::filesystem::remove(marker);
  ScenarioPlan plan;
  plan.kind = Scenario::remove;
  plan.server = "fe02";
  plan.target = "127.0.0.1:8443";
  plan.hook =
      "test \"$TETHER_PROBE_SCENARIO $TETHER_PROBE_SERVER $TETHER_PROBE_TARGET\" = "
      "\"remove fe02 127.0.0.1:8443\" && touch " +
      marker.string();
  std::string done, error;
  EXPECT_TRUE(perform(plan, Mechanism::hook, done, error)) << error;
  EXPECT_TRUE(std::filesystem::exists(marker));
  plan.hook = "exit 3";
  EXPECT_FALSE(perform(plan, Mechanism::hook, done, error));
  EXPECT_NE(error.find("exit status 3"), std::string::npos) << error;
}

// ---------------------------------------------------------------------------------------------
// HTTPS: tether-pool's servers with the test pool certificate, the probe with --tls. A TCP proxy
// in front passes TLS through untouched, so the figures must be those of plain HTTP.

std::unique_ptr<pool::SimulatedPool> start_tls_pool(unsigned servers) {
  const auto& certs = test::test_certs();
  pool::FlagPlan flags;
  flags.servers = servers;
  pool::PoolOptions options;
  options.servers = pool::plan_from_flags(flags).servers;
  options.threads = 2;
  options.server.tls =
      pool::TlsIdentity{read_text(certs.cert("pool")), read_text(certs.key("pool"))};
  std::string error;
  auto started = pool::SimulatedPool::start(std::move(options), error);
  EXPECT_TRUE(started) << error;
  return started;
}

ProbeOptions tls_options_for(const tcp::endpoint& target, std::size_t clients, std::size_t requests,
                             const std::string& ca = "ca") {
  auto options = options_for(target, clients, requests);
  options.tls.enabled = true;
  options.tls.ca_pem = read_text(test::test_certs().path(ca + ".pem"));
  options.tls.server_name = "127.0.0.1";  // the pool certificate's IP address
  return options;
}

std::uint64_t handshakes_of(const pool::SimulatedPool& pool) {
  std::uint64_t total = 0;
  for (const auto& server : pool.servers())
    total += server->tls_handshakes();
  return total;
}

TEST(ProbeRunTls, OneServerKeepsEveryClientAndSessionWithAHandshakePerConnection) {
  auto pool = start_tls_pool(1);
  ASSERT_TRUE(pool);
  const auto report = probe(tls_options_for(endpoints_of(*pool)[0], 20, 5));
  EXPECT_TRUE(report.run.tls);
  EXPECT_EQ(report.clients_single_server, 20u);
  EXPECT_EQ(report.sessions_lost, 0u);
  EXPECT_EQ(report.errors.total(), 0u);
  EXPECT_EQ(report.statuses.at(200), 100u);
  EXPECT_EQ(clients_of(report, "fe01"), 20u);
  // Keep-alive: one handshake per client, none resumed (the probe never resumes).
  EXPECT_EQ(report.handshake.samples, 20u);
  EXPECT_GT(report.handshake.p50, 0.0);
  EXPECT_EQ(pool->servers()[0]->tls_handshakes(), 20u);
  EXPECT_EQ(pool->servers()[0]->tls_resumed(), 0u);

  auto options = tls_options_for(endpoints_of(*pool)[0], 10, 4);
  options.new_connections = true;
  const auto fresh = probe(options);
  EXPECT_EQ(fresh.errors.total(), 0u);
  EXPECT_EQ(fresh.sessions_lost, 0u);
  EXPECT_EQ(fresh.handshake.samples, 40u);
  EXPECT_EQ(pool->servers()[0]->tls_handshakes(), 60u);
}

TEST(ProbeRunTls, AlternatingServersLoseEverySession) {
  auto pool = start_tls_pool(2);
  ASSERT_TRUE(pool);
  const auto backends = endpoints_of(*pool);
  SourceRoutingProxy lb([&](const asio::ip::address&, std::uint64_t nth) {
    return std::vector<tcp::endpoint>{backends[nth % 2]};
  });
  auto options = tls_options_for(lb.endpoint(), 20, 6);
  options.new_connections = true;
  const auto report = probe(options);
  EXPECT_EQ(report.sessions_lost, 20u);
  EXPECT_EQ(report.clients_single_server, 0u);
  EXPECT_EQ(report.statuses.at(440), 20u * 3);
  EXPECT_EQ(report.statuses.at(200), 20u * 3);
  EXPECT_EQ(report.errors.total(), 0u);
  EXPECT_EQ(handshakes_of(*pool), 20u * 6);
}

TEST(ProbeRunTls, RoamingUnderSourceAffinityIsReportedAndEachAddressHandshakes) {
  auto pool = start_tls_pool(3);
  ASSERT_TRUE(pool);
  const auto backends = endpoints_of(*pool);
  SourceRoutingProxy lb([&](const asio::ip::address& source, std::uint64_t) {
    return std::vector<tcp::endpoint>{backends[source_hash(source, 3)]};
  });
  auto options = tls_options_for(lb.endpoint(), 30, 6);
  options.roam = 1.0;
  const auto report = probe(options);
  const std::size_t expected_moves = roaming_moves(options, 30);
  ASSERT_GT(expected_moves, 0u);
  EXPECT_EQ(report.errors.total(), 0u);
  EXPECT_EQ(report.roamed_moved, expected_moves);
  EXPECT_EQ(report.sessions_lost, expected_moves);
  EXPECT_EQ(report.clients_single_server, 30 - expected_moves);
  EXPECT_EQ(handshakes_of(*pool), 60u);  // keep-alive: one per address, the roaming one new
}

TEST(ProbeRunTls, AnUntrustedCertificateIsAHandshakeErrorOnEveryRequest) {
  auto pool = start_tls_pool(1);
  ASSERT_TRUE(pool);
  const auto report = probe(tls_options_for(endpoints_of(*pool)[0], 5, 3, "other-ca"));
  EXPECT_EQ(report.requests, 15u);
  EXPECT_EQ(report.answered, 0u);
  EXPECT_EQ(report.errors.tls_handshake, 15u);
  EXPECT_EQ(report.errors.total(), 15u);
  EXPECT_EQ(report.handshake.samples, 0u);
  EXPECT_NE(report.tls_error.find("certificate refused"), std::string::npos) << report.tls_error;
  EXPECT_EQ(pool->servers()[0]->tls_handshakes(), 0u);

  // The right CA but another name: refused too, since the name is verified.
  auto options = tls_options_for(endpoints_of(*pool)[0], 2, 1);
  options.tls.server_name = "ext.contoso.test";
  const auto wrong_name = probe(options);
  EXPECT_EQ(wrong_name.errors.tls_handshake, 2u);
  EXPECT_NE(wrong_name.tls_error.find("hostname mismatch"), std::string::npos)
      << wrong_name.tls_error;

  options.tls.insecure = true;  // tests only: no verification at all
  const auto insecure = probe(options);
  EXPECT_EQ(insecure.errors.total(), 0u);
  EXPECT_EQ(insecure.answered, 2u);
}

// What Tether's re-encryption relies on to show that it resumes sessions to servers: a second
// connection that presents the first one's session is counted as resumed by that server only.
TEST(ProbeRunTls, ThePoolCountsResumedSessionsPerServer) {
  auto pool = start_tls_pool(2);
  ASSERT_TRUE(pool);
  asio::io_context io;
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.set_verify_mode(asio::ssl::verify_none);
  SSL_CTX_set_session_cache_mode(context.native_handle(), SSL_SESS_CACHE_CLIENT);
  const auto request = std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n");

  // One request on a new connection to `server`, presenting `session` when given; returns the
  // session to resume next time.
  auto exchange = [&](const tcp::endpoint& server, SSL_SESSION* session) {
    asio::ssl::stream<tcp::socket> stream(io, context);
    stream.lowest_layer().connect(server);
    if (session) SSL_set_session(stream.native_handle(), session);
    stream.handshake(asio::ssl::stream_base::client);
    asio::write(stream, asio::buffer(request));
    std::string reply;
    asio::read_until(stream, asio::dynamic_buffer(reply), "\r\n\r\n");
    SSL_SESSION* next = SSL_get1_session(stream.native_handle());
    // Marked as shut down: OpenSSL makes the session of a connection freed without it
    // unresumable (the close_notify itself stays in the memory BIO; the server need not see it).
    SSL_shutdown(stream.native_handle());
    std::error_code ignored;
    stream.lowest_layer().close(ignored);
    return next;
  };
  const auto fe01 = endpoints_of(*pool)[0];
  const auto fe02 = endpoints_of(*pool)[1];
  SSL_SESSION* first = exchange(fe01, nullptr);
  ASSERT_NE(first, nullptr);
  SSL_SESSION* second = exchange(fe01, first);
  SSL_SESSION* elsewhere = exchange(fe02, first);  // fe02 never issued it: a full handshake
  EXPECT_EQ(pool->servers()[0]->tls_handshakes(), 2u);
  EXPECT_EQ(pool->servers()[0]->tls_resumed(), 1u);
  EXPECT_EQ(pool->servers()[1]->tls_handshakes(), 1u);
  EXPECT_EQ(pool->servers()[1]->tls_resumed(), 0u);
  SSL_SESSION_free(first);
  SSL_SESSION_free(second);
  SSL_SESSION_free(elsewhere);
}

// Bytes that are not TLS close the connection; the server goes on serving HTTPS.
TEST(ProbeRunTls, PlainHttpToATlsPortIsClosedAndTheServerCarriesOn) {
  auto pool = start_tls_pool(1);
  ASSERT_TRUE(pool);
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(endpoints_of(*pool)[0]);
  asio::write(socket, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  std::string reply;
  std::error_code ec;
  asio::read(socket, asio::dynamic_buffer(reply), ec);  // until the server closes
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_EQ(reply.find("HTTP/1.1 200"), std::string::npos);

  const auto report = probe(tls_options_for(endpoints_of(*pool)[0], 2, 2));
  EXPECT_EQ(report.errors.total(), 0u);
  EXPECT_EQ(report.answered, 4u);
}

}  // namespace
}  // namespace tether::probe
