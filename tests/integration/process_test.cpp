// The `tether` binary as an operator runs it: exit codes, --check, a port already taken, and two
// instances with the same configuration agreeing on every client without sharing state.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "tests/integration/harness.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

struct Run {
  int status;
  std::string output;  // stdout and stderr
};

Run run_tether(const std::string& arguments) {
  const std::string command = tether_binary() + " " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  Run run{-1, ""};
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe))
    run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string data(const std::string& name) {
  return std::string(TETHER_TEST_DATA) + "/" + name;
}

TEST(TetherProcess, CheckPrintsASummaryOfAGoodConfig) {
  const auto run = run_tether("--check -c " + data("good_full.yaml"));
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("frontend"), std::string::npos) << run.output;
}

TEST(TetherProcess, TheExampleLyncPoolConfigIsValid) {
  const auto run =
      run_tether("--check -c " + std::string(TETHER_TEST_DATA) + "/../../examples/tether.yaml");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("health tcp port 15061"), std::string::npos) << run.output;
}

TEST(TetherProcess, CheckRefusesABadConfigWithFileAndLine) {
  const auto run = run_tether("--check -c " + data("bad_unknown_key.yaml"));
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("bad_unknown_key.yaml:"), std::string::npos) << run.output;
}

TEST(TetherProcess, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run_tether("--no-such-flag").status, 2);
  EXPECT_EQ(run_tether("").status, 2);
}

// The summary is what this command line would run with: --threads and --log-level override the
// file.
TEST(TetherProcess, CheckShowsTheCommandLineOverrides) {
  const auto run = run_tether("--check --threads 3 --log-level warn -c " + data("good_full.yaml"));
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("\nthreads 3  "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("  log warn  "), std::string::npos) << run.output;
}

// The config's 0..1024 holds for the flag too: 2000 workers is a typo, 100000 dies at start.
TEST(TetherProcess, ThreadsOutOfRangeIsAUsageError) {
  for (const char* threads : {"1025", "2000", "100000", "-1"}) {
    const auto run = run_tether("--check --threads " + std::string(threads) + " -c " +
                                data("good_minimal.yaml"));
    EXPECT_EQ(run.status, 2) << threads << ": " << run.output;
    EXPECT_NE(run.output.find("--threads"), std::string::npos) << run.output;
  }
  const auto run = run_tether("--check --threads 2000 -c " + data("good_minimal.yaml"));
  EXPECT_NE(run.output.find("1024"), std::string::npos) << run.output;
  EXPECT_EQ(run_tether("--check --threads 1024 -c " + data("good_minimal.yaml")).status, 0);
}

TEST(TetherProcess, PrintsItsVersion) {
  const auto run = run_tether("--version");
  EXPECT_EQ(run.status, 0);
  EXPECT_EQ(run.output.rfind("tether ", 0), 0u);
}

TEST(TetherProcess, APortThatCannotBeBoundIsNamedAndExitsTwo) {
  asio::io_context context;
  tcp::acceptor taken(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = std::to_string(taken.local_endpoint().port());
  auto servers = echo_pool(1);
  const auto path = write_temp_file("taken.yaml", single_pool_yaml(servers, {"127.0.0.1:" + port}));
  const auto run = run_tether("-c " + path);
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.output.find("127.0.0.1:" + port), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("in use"), std::string::npos) << run.output;
}

TEST(TetherProcess, SigusrTwoIsRefusedAloudAndSigquitStopsGracefully) {
  // An HAProxy operator reloads with SIGUSR2, an NGINX one stops with SIGQUIT: the first must not
  // kill the process (its default action), the second stops as SIGTERM does.
  auto servers = echo_pool(2);
  const auto port = free_port();
  const auto config = write_temp_file(
      "signals.yaml", single_pool_yaml(servers, {"127.0.0.1:" + std::to_string(port)}));
  const std::string output = write_temp_file("signals.out", "");
  const tcp::endpoint frontend(asio::ip::make_address("127.0.0.1"), port);
  TetherProcess tether(config, frontend, output);
  ASSERT_EQ(kill(tether.pid(), SIGUSR2), 0);
  auto said = [&] {
    std::ifstream in(output);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  ASSERT_TRUE(wait_until([&] { return said().find("SIGUSR2 ignored") != std::string::npos; }, 5s))
      << said();
  EXPECT_FALSE(server_seen_by(client_address(1), frontend).empty()) << "still serving";
  EXPECT_EQ(tether.terminate_and_wait(SIGQUIT), 0);
  EXPECT_NE(said().find("SIGQUIT received"), std::string::npos) << said();
}

TEST(TetherProcess, TwoInstancesWithTheSameConfigChooseTheSameServers) {
  auto servers = echo_pool(3);
  // Identical configurations but for the port each listens on (two VIPs on one machine).
  const auto port_a = free_port(), port_b = free_port();
  const auto config_a =
      write_temp_file("a.yaml", single_pool_yaml(servers, {"127.0.0.1:" + std::to_string(port_a)}));
  const auto config_b =
      write_temp_file("b.yaml", single_pool_yaml(servers, {"127.0.0.1:" + std::to_string(port_b)}));
  const tcp::endpoint a(asio::ip::make_address("127.0.0.1"), port_a);
  const tcp::endpoint b(asio::ip::make_address("127.0.0.1"), port_b);
  TetherProcess first(config_a, a), second(config_b, b);
  int agreed = 0;
  for (std::size_t c = 0; c < 500; ++c) {
    const auto via_a = server_seen_by(client_address(c), a);
    ASSERT_FALSE(via_a.empty());
    agreed += via_a == server_seen_by(client_address(c), b);
  }
  EXPECT_EQ(agreed, 500);
  EXPECT_EQ(first.terminate_and_wait(), 0);
  EXPECT_EQ(second.terminate_and_wait(), 0);
}

}  // namespace
}  // namespace tether::test
