// Health checks and admin states end to end (issue #3): a simulated Front End pool whose check
// ("SIP") ports can fail, and clients that must move only when they have to.
#include <gtest/gtest.h>

#include <map>

#include "tests/integration/harness.h"
#include "tools/pool/simulated_pool.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;
using pool::ServerState;

// fe01..feNN on 127.0.20.1..N, each with its HTTP port and the same check port on its own
// address, as a real pool's Front Ends all listen on 5061.
struct FrontEndPool {
  explicit FrontEndPool(int n) {
    check_port = free_port();
    pool::PoolOptions options;
    for (int i = 1; i <= n; ++i) {
      const auto address = asio::ip::make_address("127.0.20." + std::to_string(i));
      options.servers.push_back({"fe0" + std::to_string(i),
                                 {tcp::endpoint(address, 0)},
                                 {tcp::endpoint(address, check_port)}});
    }
    std::string error;
    simulated = pool::SimulatedPool::start(std::move(options), error);
    if (!simulated) throw std::runtime_error(error);
  }

  std::string yaml(const std::string& health, const std::string& affinity = "") const {
    std::string y =
        "threads: 2\nshutdown_grace: 1s\nlog: { access: off }\nfrontends:\n"
        "  - name: web\n    listen: [\"127.0.0.1:0\"]\n    pool: web\n" +
        affinity + "pools:\n  - name: web\n    health:\n" + health + "    servers:\n";
    for (const auto& s : simulated->servers()) {
      const auto e = s->http_endpoints()[0];
      y += "      - { name: " + s->name() + ", address: \"" + e.address().to_string() + ":" +
           std::to_string(e.port()) + "\" }\n";
    }
    return y;
  }

  std::uint16_t check_port;
  std::unique_ptr<pool::SimulatedPool> simulated;
};

std::string tcp_health(std::uint16_t port, const char* interval = "200ms", bool observe = false) {
  return "      type: tcp\n      port: " + std::to_string(port) + "\n      interval: " + interval +
         "\n      timeout: 100ms\n      rise: 2\n      fall: 3\n      observe: " +
         (observe ? "true" : "false") + "\n";
}

lb::Server& server(TetherInstance& tether, const std::string& name) {
  return *tether.daemon().find_pool("web")->find_server(name);
}

std::map<std::size_t, std::string> placements(TetherInstance& tether, std::size_t clients) {
  std::map<std::size_t, std::string> seen;
  for (std::size_t c = 0; c < clients; ++c)
    seen[c] = http_server_seen_by(client_address(c), tether.endpoint());
  return seen;
}

TEST(HealthChecks, DeadCheckPortTakesTheServerOutAndOnlyItsClientsMove) {
  FrontEndPool fe(3);
  TetherInstance tether(fe.yaml(tcp_health(fe.check_port)));
  const auto before = placements(tether, 150);

  // fe02's machine goes away: its HTTP and check ports refuse connections.
  const auto failed_at = std::chrono::steady_clock::now();
  fe.simulated->find("fe02")->set_state_and_wait(ServerState::failed);
  ASSERT_TRUE(wait_until([&] { return !server(tether, "fe02").healthy.load(); }, 5s));
  const auto detection = std::chrono::steady_clock::now() - failed_at;
  const auto bound = 3 * 200ms + 100ms;  // fall × interval + timeout
  std::printf(
      "  fe02 marked down after %lld ms (bound %lld ms)\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(detection).count()),
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(bound).count()));
  EXPECT_LE(detection, bound + 300ms);  // + scheduling slack on a loaded or sanitized run

  const auto during = placements(tether, 150);
  int moved = 0;
  for (const auto& [c, name] : before) {
    ASSERT_FALSE(during.at(c).empty());
    if (name == "fe02") {
      EXPECT_NE(during.at(c), "fe02");
      ++moved;
    } else {
      EXPECT_EQ(during.at(c), name) << "client " << client_address(c) << " moved needlessly";
    }
  }
  EXPECT_GT(moved, 0);

  // fe02 comes back: up after `rise` good checks, and nobody who moved is moved back.
  fe.simulated->find("fe02")->set_state_and_wait(ServerState::up);
  ASSERT_TRUE(wait_until([&] { return server(tether, "fe02").healthy.load(); }, 5s));
  EXPECT_EQ(placements(tether, 150), during);
  EXPECT_EQ(tether.daemon().find_pool("web")->breaks(lb::BreakCause::server_down),
            static_cast<std::uint64_t>(moved));
}

TEST(HealthChecks, ObservedConnectFailuresTakeAServerOutBeforeTheChecksDo) {
  FrontEndPool fe(3);
  // Checks every 10 s would need 30 s; failed connects of real traffic count too.
  TetherInstance tether(fe.yaml(tcp_health(fe.check_port, "10s", true)));
  placements(tether, 30);  // let the first checks pass
  fe.simulated->find("fe01")->set_state_and_wait(ServerState::failed);
  for (std::size_t c = 0; c < 60 && server(tether, "fe01").healthy.load(); ++c)
    EXPECT_FALSE(http_server_seen_by(client_address(c), tether.endpoint()).empty());
  EXPECT_TRUE(wait_until([&] { return !server(tether, "fe01").healthy.load(); }, 2s));
}

TEST(AdminStates, DrainKeepsPinnedClientsAndOpenConnectionsAndMaintMovesThem) {
  FrontEndPool fe(3);
  TetherInstance tether(fe.yaml(tcp_health(fe.check_port, "1s")));
  const auto pinned = placements(tether, 200);
  std::vector<std::size_t> on_fe03;
  for (const auto& [c, name] : pinned)
    if (name == "fe03") on_fe03.push_back(c);
  ASSERT_FALSE(on_fe03.empty());

  // A keep-alive connection to fe03, open across the drain.
  asio::io_context context;
  auto open = connect_from(context, client_address(on_fe03[0]), tether.endpoint());
  const std::string request = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
  asio::write(open, asio::buffer(request));
  char buffer[4096];
  EXPECT_GT(open.read_some(asio::buffer(buffer)), 0u);

  auto& pool = *tether.daemon().find_pool("web");
  run_on_control(tether.daemon(), [&] {
    tether.daemon().set_server_state(pool, server(tether, "fe03"), lb::AdminState::drain);
  });

  for (std::size_t c : on_fe03)
    EXPECT_EQ(http_server_seen_by(client_address(c), tether.endpoint()), "fe03");
  for (std::size_t c = 1000; c < 1300; ++c)
    EXPECT_NE(http_server_seen_by(client_address(c), tether.endpoint()), "fe03") << "a new client";
  asio::write(open, asio::buffer(request));
  const std::size_t n = open.read_some(asio::buffer(buffer));
  EXPECT_NE(std::string(buffer, n).find("X-Tether-Server: fe03"), std::string::npos);

  run_on_control(tether.daemon(), [&] {
    tether.daemon().set_server_state(pool, server(tether, "fe03"), lb::AdminState::maint);
  });
  for (std::size_t c : on_fe03)
    EXPECT_NE(http_server_seen_by(client_address(c), tether.endpoint()), "fe03");
  EXPECT_EQ(pool.breaks(lb::BreakCause::server_maint), on_fe03.size());
  // maint leaves open connections to finish.
  asio::write(open, asio::buffer(request));
  EXPECT_GT(open.read_some(asio::buffer(buffer)), 0u);
}

TEST(AdminStates, DrainDeadlineTurnsIntoMaint) {
  FrontEndPool fe(2);
  TetherInstance tether(fe.yaml(tcp_health(fe.check_port, "1s")));
  auto& pool = *tether.daemon().find_pool("web");
  run_on_control(tether.daemon(), [&] {
    tether.daemon().set_server_state(pool, server(tether, "fe01"), lb::AdminState::drain, 200ms);
  });
  EXPECT_EQ(server(tether, "fe01").admin_state.load(), lb::AdminState::drain);
  EXPECT_TRUE(wait_until(
      [&] { return server(tether, "fe01").admin_state.load() == lb::AdminState::maint; }, 2s));
}

// A server that answers every HTTP request with a fixed status, or never answers at all.
class FixedStatusServer {
 public:
  explicit FixedStatusServer(int status)  // 0: accept and never answer
      : acceptor_(context_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        status_(status) {
    accept();
    thread_ = std::thread([this] { context_.run(); });
  }
  ~FixedStatusServer() {
    context_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void accept() {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto s = std::make_shared<tcp::socket>(std::move(socket));
      held_.push_back(s);
      if (status_ != 0) {
        auto answer = std::make_shared<std::string>("HTTP/1.1 " + std::to_string(status_) +
                                                    " X\r\nContent-Length: 0\r\n\r\n");
        asio::async_write(*s, asio::buffer(*answer), [s, answer](std::error_code, std::size_t) {});
      }
      accept();
    });
  }
  asio::io_context context_;
  tcp::acceptor acceptor_;
  int status_;
  std::vector<std::shared_ptr<tcp::socket>> held_;
  std::thread thread_;
};

class HttpChecks : public ::testing::TestWithParam<std::pair<int, bool>> {};

TEST_P(HttpChecks, StatusDecidesHealth) {
  const auto [status, healthy] = GetParam();
  FixedStatusServer check(status);
  auto servers = echo_pool(1);
  const std::string health =
      "    health:\n      type: http\n      port: " + std::to_string(check.port()) +
      "\n      path: /healthcheck\n      host: pool.contoso.net\n"
      "      interval: 200ms\n      timeout: 100ms\n      rise: 1\n      fall: 1\n";
  TetherInstance tether(single_pool_yaml(servers, {"127.0.0.1:0"}, "", health));
  auto& fe01 = *tether.daemon().find_pool("web")->find_server("fe01");
  // The first verdict comes within one interval.
  std::this_thread::sleep_for(450ms);
  EXPECT_EQ(fe01.healthy.load(), healthy) << "status " << status;
  run_on_control(tether.daemon(), [&] {
    const auto* checker = tether.daemon().health().checker(*tether.daemon().find_pool("web"), fe01);
    ASSERT_NE(checker, nullptr);
    std::printf("  status %d: last check %s (%s)\n", status, checker->last().ok ? "ok" : "failed",
                checker->last().detail.c_str());
  });
}

INSTANTIATE_TEST_SUITE_P(Statuses, HttpChecks,
                         ::testing::Values(std::pair{200, true}, std::pair{500, false},
                                           std::pair{0, false}));

}  // namespace
}  // namespace tether::test
