// The tether-probe executable as scripts use it: exit 2 on bad flags, an unreachable target or a
// scenario that cannot be carried out; exit 0 and a JSON report with the contract's fields.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/tls/test_certs.h"
#include "tools/pool/pool_plan.h"
#include "tools/pool/simulated_pool.h"

extern char** environ;

namespace {

using namespace std::chrono_literals;

const std::string binary = std::string(TETHER_BINARY_DIR) + "/tools/tether-probe";

// A running tether-probe, its output discarded or its stderr written to `stderr_path`.
class ProbeProcess {
 public:
  explicit ProbeProcess(std::vector<std::string> args,
                        const std::string& stderr_path = "/dev/null") {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    // The in-process pool's sockets stay ours: a listener inherited by the child would outlive
    // its closing by a "fail" and swallow connections instead of refusing them.
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    args.insert(args.begin(), binary);
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }

  ~ProbeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  void signal(int sig) { kill(pid_, sig); }

  // Exit status, or -1 if it did not exit within `timeout`.
  int wait_exit(std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      usleep(10'000);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

int run_probe(std::vector<std::string> args) {
  return ProbeProcess(std::move(args)).wait_exit();
}

std::unique_ptr<tether::pool::SimulatedPool> start_pool(unsigned servers) {
  tether::pool::FlagPlan flags;
  flags.servers = servers;
  tether::pool::PoolOptions options;
  options.servers = tether::pool::plan_from_flags(flags).servers;
  options.control = asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0);
  std::string error;
  auto pool = tether::pool::SimulatedPool::start(std::move(options), error);
  EXPECT_TRUE(pool) << error;
  return pool;
}

std::string text_of(const asio::ip::tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs tether-probe to its exit; `errors` gets what it printed on stderr.
int run_probe(std::vector<std::string> args, std::string& errors) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "probe_cli_stderr.txt";
  const int status = ProbeProcess(std::move(args), path.string()).wait_exit();
  errors = read_file(path);
  return status;
}

TEST(ProbeCli, HelpExitsZero) {
  EXPECT_EQ(run_probe({"--help"}), 0);
}

TEST(ProbeCli, BadFlagsExitWith2) {
  const std::vector<std::vector<std::string>> bad = {
      {"--clients", "5"},  // no target
      {"--no-such-flag"},
      {"--target", "127.0.0.1"},
      {"--target", "127.0.0.1:80", "--roam", "1.5"},
      {"--target", "127.0.0.1:80", "--clients", "0"},
      {"--target", "127.0.0.1:80", "--sources", "127.1.0.0/33"},
      {"--target", "127.0.0.1:80", "--sources", "127.1.0.0/24", "--clients", "300"},
      {"--target", "127.0.0.1:80", "--sources", "fd00::/64"},
      {"--target", "127.0.0.1:80", "--scenario", "explode", "--server", "fe01"},
      {"--target", "127.0.0.1:80", "--scenario", "fail"},
      {"--target", "127.0.0.1:80", "--scenario", "fail", "--server", "fe02"},
      {"--target", "127.0.0.1:80", "--scenario", "drain", "--server", "fe02", "--control",
       "127.0.0.1:9"},
      {"--target", "127.0.0.1:80", "--duration", "5"},
      {"--target", "127.0.0.1:80", "--roam", "0.5", "--requests", "1"},
  };
  for (const auto& args : bad) {
    std::string line;
    for (const auto& arg : args)
      line += arg + " ";
    EXPECT_EQ(run_probe(args), 2) << line;
  }
}

// A scenario's flags without --scenario would be ignored, and the run would look like a fail or
// drain that moved nobody: refused, against a target that would otherwise run.
TEST(ProbeCli, ScenarioFlagsWithoutAScenarioAreRefused) {
  auto pool = start_pool(1);
  ASSERT_TRUE(pool);
  const auto target = text_of(pool->servers()[0]->http_endpoints()[0]);
  const auto token = std::filesystem::path(::testing::TempDir()) / "probe_cli_token";
  std::ofstream(token) << "s3cret\n";
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--server", "fe01"},
           {"--control", text_of(*pool->control_endpoint())},
           {"--admin", "127.0.0.1:9901"},
           {"--pool", "web"},
           {"--admin-token-file", token.string()},
           {"--hook", "true"},
           {"--settle", "1s"}}) {
    std::string errors;
    EXPECT_EQ(
        run_probe({"--target", target, "--clients", "1", "--requests", "2", flag, value}, errors),
        2)
        << flag;
    EXPECT_NE(errors.find(flag + " requires --scenario"), std::string::npos) << errors;
  }
  EXPECT_EQ(pool->servers()[0]->state(), tether::pool::ServerState::up);
}

TEST(ProbeCli, UnreachableTargetExitsWith2) {
  asio::io_context io;
  asio::ip::tcp::acceptor closed(io, {asio::ip::address_v4::loopback(), 0});
  const auto target = text_of(closed.local_endpoint());
  closed.close();
  EXPECT_EQ(run_probe({"--target", target, "--clients", "3"}), 2);
}

// A target whose every answer is an error without the identity header (here tether-pool's
// control port: 404 to GET /): the probe says what came back, not "use --server-header".
TEST(ProbeCli, AnswersThatAreAllErrorsAreNamedNotBlamedOnTheHeader) {
  auto pool = start_pool(1);
  ASSERT_TRUE(pool);
  std::string errors;
  EXPECT_EQ(run_probe({"--target", text_of(*pool->control_endpoint()), "--clients", "2",
                       "--requests", "2"},
                      errors),
            0);
  EXPECT_NE(errors.find("no response was successful or carried X-Tether-Server: 404 x 4"),
            std::string::npos)
      << errors;
  EXPECT_EQ(errors.find("--server-header"), std::string::npos) << errors;
}

TEST(ProbeCli, JsonAndSvgReportAgainstOneTetherPoolServer) {
  auto pool = start_pool(1);
  ASSERT_TRUE(pool);
  const auto dir = std::filesystem::path(::testing::TempDir());
  const auto json_path = dir / "probe_cli_report.json";
  const auto svg_path = dir / "probe_cli_report.svg";
  std::filesystem::remove(json_path);
  std::filesystem::remove(svg_path);
  ASSERT_EQ(
      run_probe({"--target", text_of(pool->servers()[0]->http_endpoints()[0]), "--clients", "20",
                 "--requests", "5", "--json", json_path.string(), "--svg", svg_path.string()}),
      0);
  const auto json = read_file(json_path);
  for (const char* field :
       {"\"clients\": 20,", "\"clients_single_server\": 20,", "\"sessions_lost\": 0,",
        "\"servers\": {\n    \"fe01\": 20\n  },", "\"max_over_mean\": 1.0000,", "\"cov\": 0.0000,",
        "\"latency_ms\": {\n    \"p50\": ", "\"p90\": ", "\"p99\": ",
        "\"moves\": {\n    \"required\": 0,\n    \"needless\": 0,", "\"errors\": 0,",
        "\"requests\": 100,", "\"scenario\": null,"}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in\n" << json;
  }
  const auto svg = read_file(svg_path);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("fe01: 20 clients"), std::string::npos);
}

TEST(ProbeCli, FailScenarioThroughTheSimulatorControl) {
  auto pool = start_pool(1);
  ASSERT_TRUE(pool);
  const auto target = text_of(pool->servers()[0]->http_endpoints()[0]);
  const auto control = text_of(*pool->control_endpoint());
  EXPECT_EQ(run_probe({"--target", target, "--scenario", "fail", "--server", "fe09", "--control",
                       control}),
            2);  // the control knows no fe09: refused before the run

  const auto json_path = std::filesystem::path(::testing::TempDir()) / "probe_cli_fail.json";
  ASSERT_EQ(run_probe({"--target", target, "--clients", "10", "--requests", "4", "--scenario",
                       "fail", "--server", "fe01", "--control", control, "--settle", "0",
                       "--timeout", "1s", "--json", json_path.string()}),
            0);
  // With no load balancer in front, nobody can move: every client is unserved after the fail.
  const auto json = read_file(json_path);
  EXPECT_NE(json.find("\"performed\": true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"unserved\": 10,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"connect\": 20,"), std::string::npos) << json;
  EXPECT_EQ(pool->servers()[0]->state(), tether::pool::ServerState::failed);
}

// A pool server's own HTTP port answers GET /servers/fe02 with 200 too: taken for the control,
// the probe would print "performed" for a fail that never happened. Refused before the run.
TEST(ProbeCli, AControlThatIsNotTetherPoolsIsRefusedBeforeTheRun) {
  auto pool = start_pool(2);
  ASSERT_TRUE(pool);
  const auto not_control = text_of(pool->servers()[1]->http_endpoints()[0]);
  std::string errors;
  EXPECT_EQ(run_probe({"--target", text_of(pool->servers()[0]->http_endpoints()[0]), "--clients",
                       "2", "--requests", "2", "--scenario", "fail", "--server", "fe02",
                       "--control", not_control, "--settle", "0"},
                      errors),
            2);
  EXPECT_NE(errors.find("--control " + not_control + " is not tether-pool's control endpoint"),
            std::string::npos)
      << errors;
  EXPECT_EQ(pool->servers()[1]->state(), tether::pool::ServerState::up);
}

// --duration 2s with --settle 10s cannot reach a second half: the probe does not fail fe01 for
// nothing, and says so.
TEST(ProbeCli, AScenarioThatDurationLeavesNoTimeForIsNotPerformed) {
  auto pool = start_pool(1);
  ASSERT_TRUE(pool);
  const auto json_path = std::filesystem::path(::testing::TempDir()) / "probe_cli_skipped.json";
  std::string errors;
  ASSERT_EQ(run_probe({"--target", text_of(pool->servers()[0]->http_endpoints()[0]), "--clients",
                       "10", "--requests", "4", "--scenario", "fail", "--server", "fe01",
                       "--control", text_of(*pool->control_endpoint()), "--duration", "2s",
                       "--settle", "10s", "--json", json_path.string()},
                      errors),
            0);
  EXPECT_NE(errors.find("scenario fail fe01 not performed: --duration left "), std::string::npos)
      << errors;
  const auto json = read_file(json_path);
  EXPECT_NE(json.find("\"performed\": false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"unserved\": 0,"), std::string::npos) << json;
  EXPECT_EQ(pool->servers()[0]->state(), tether::pool::ServerState::up);
}

TEST(ProbeCli, ASignalStopsTheRunAndTheReportCoversWhatWasMeasured) {
  auto pool = start_pool(1);
  ASSERT_TRUE(pool);
  const auto json_path = std::filesystem::path(::testing::TempDir()) / "probe_cli_signal.json";
  std::filesystem::remove(json_path);
  ProbeProcess probe({"--target", text_of(pool->servers()[0]->http_endpoints()[0]), "--clients",
                      "4", "--requests", "1000000", "--json", json_path.string()});
  std::this_thread::sleep_for(500ms);
  probe.signal(SIGINT);
  EXPECT_EQ(probe.wait_exit(5s), 0);
  const auto json = read_file(json_path);
  EXPECT_NE(json.find("\"stopped_by\": \"a signal\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"clients\": 4,"), std::string::npos) << json;
}

std::unique_ptr<tether::pool::SimulatedPool> start_tls_pool() {
  const auto& certs = tether::test::test_certs();
  tether::pool::FlagPlan flags;
  flags.servers = 1;
  tether::pool::PoolOptions options;
  options.servers = tether::pool::plan_from_flags(flags).servers;
  options.server.tls = {read_file(certs.cert("pool")), read_file(certs.key("pool"))};
  std::string error;
  auto pool = tether::pool::SimulatedPool::start(std::move(options), error);
  EXPECT_TRUE(pool) << error;
  return pool;
}

TEST(ProbeCli, TlsRunReportsHandshakesAndAWrongCaAsHandshakeErrors) {
  const auto& certs = tether::test::test_certs();
  auto pool = start_tls_pool();
  ASSERT_TRUE(pool);
  const auto target = text_of(pool->servers()[0]->http_endpoints()[0]);
  const auto json_path = std::filesystem::path(::testing::TempDir()) / "probe_cli_tls.json";
  ASSERT_EQ(run_probe({"--target", target, "--tls", "--ca", certs.ca(), "--clients", "6",
                       "--requests", "3", "--json", json_path.string()}),
            0);
  auto json = read_file(json_path);
  for (const char* field :
       {"\"tls\": true,", "\"clients_single_server\": 6,", "\"errors\": 0,",
        "\"handshake_ms\": {\n    \"p50\": ", "\"samples\": 6\n", "\"tls_error\": null,"}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in\n" << json;
  }

  // The run completes (exit 0, SPEC §7): every request is a handshake error, and why is said.
  ASSERT_EQ(run_probe({"--target", target, "--tls", "--ca", certs.path("other-ca.pem"), "--clients",
                       "4", "--requests", "2", "--json", json_path.string()}),
            0);
  json = read_file(json_path);
  for (const char* field : {"\"errors\": 8,", "\"tls_handshake\": 8,", "\"answered\": 0,",
                            "\"tls_error\": \"certificate refused: "}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in\n" << json;
  }
}

TEST(ProbeCli, TlsUsageErrorsExitWith2) {
  const auto& certs = tether::test::test_certs();
  const std::vector<std::vector<std::string>> bad = {
      {"--target", "127.0.0.1:80", "--ca", certs.ca()},  // --ca without --tls
      {"--target", "127.0.0.1:80", "--insecure"},
      {"--target", "127.0.0.1:80", "--sni", "x.test"},
      {"--target", "127.0.0.1:80", "--tls", "--ca", certs.ca(), "--insecure"},
      {"--target", "127.0.0.1:80", "--tls", "--ca", certs.path("missing.pem")},
      {"--target", "127.0.0.1:80", "--tls", "--ca", certs.key("ca")},  // no certificate in it
  };
  for (const auto& args : bad) {
    std::string line;
    for (const auto& arg : args)
      line += arg + " ";
    EXPECT_EQ(run_probe(args), 2) << line;
  }
}

}  // namespace
