// The tether-pool executable as scripts use it: wait for `ready`, read the printed ports, stop it
// with a signal; bad flags and busy ports exit 2.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/tls/test_certs.h"

extern char** environ;

namespace {

using namespace std::chrono_literals;

const std::string binary = std::string(TETHER_BINARY_DIR) + "/tools/tether-pool";

// A running tether-pool with its stdout captured.
class PoolProcess {
 public:
  explicit PoolProcess(std::vector<std::string> args) {
    int out[2];
    if (pipe(out) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    args.insert(args.begin(), binary);
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    out_ = out[0];
  }

  ~PoolProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }

  // Reads stdout until `line` appears (true), EOF or the deadline (false).
  bool wait_for_line(const std::string& line, std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (output_.find(line + "\n") != std::string::npos) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      pollfd fd{out_, POLLIN, 0};
      if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) return false;
      char buffer[4096];
      const auto n = read(out_, buffer, sizeof buffer);
      if (n <= 0) return false;
      output_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // Exit status, or -1 if it did not exit within `timeout`.
  int wait_exit(std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      usleep(10'000);
    }
    return -1;
  }

  void signal(int sig) { kill(pid_, sig); }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string output_;
};

std::string free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  return std::to_string(acceptor.local_endpoint().port());
}

TEST(TetherPoolCli, PrintsEveryServerThenReadyAndStopsOnSigterm) {
  PoolProcess pool({"--servers", "2", "--base-port", "0", "--control", "127.0.0.1:0"});
  ASSERT_TRUE(pool.wait_for_line("ready")) << pool.output();
  EXPECT_EQ(pool.output().find("fe01 http 127.0.0.1:"), 0u) << pool.output();
  EXPECT_NE(pool.output().find("\nfe02 http 127.0.0.1:"), std::string::npos);
  EXPECT_NE(pool.output().find("\ncontrol 127.0.0.1:"), std::string::npos);
  pool.signal(SIGTERM);
  EXPECT_EQ(pool.wait_exit(), 0);
}

TEST(TetherPoolCli, APortInUseExitsWith2) {
  asio::io_context io;
  asio::ip::tcp::acceptor busy(io, {asio::ip::address_v4::loopback(), 0});
  const auto port = std::to_string(busy.local_endpoint().port());
  PoolProcess pool({"--servers", "1", "--base-port", port});
  EXPECT_EQ(pool.wait_exit(), 2);
}

// The audit's case: a second tether-pool with several threads on the port of a first one (or of
// Tether, whose workers also use SO_REUSEPORT) must not start sharing it.
TEST(TetherPoolCli, APortAnotherPoolHoldsExitsWith2WithSeveralThreads) {
  const auto port = free_port();
  PoolProcess first({"--servers", "1", "--base-port", port, "--threads", "2"});
  ASSERT_TRUE(first.wait_for_line("ready")) << first.output();
  PoolProcess second({"--servers", "1", "--base-port", port, "--threads", "2"});
  EXPECT_EQ(second.wait_exit(), 2);
  EXPECT_EQ(second.output().find("ready"), std::string::npos) << second.output();
}

TEST(TetherPoolCli, BadFlagsExitWith2) {
  EXPECT_EQ(PoolProcess({"--servers", "2"}).wait_exit(), 2);
  EXPECT_EQ(PoolProcess({"--servers", "2", "--base-port", "8000", "--bind", "nowhere"}).wait_exit(),
            2);
  EXPECT_EQ(PoolProcess({"--config", "x.yaml", "--servers", "1", "--base-port", "1"}).wait_exit(),
            2);
  EXPECT_EQ(PoolProcess({"--no-such-flag"}).wait_exit(), 2);
}

// The first "NAME https ADDR:PORT" line's port.
std::string https_port(const std::string& output, const std::string& name) {
  const std::string prefix = name + " https 127.0.0.1:";
  const auto at = output.find(prefix);
  if (at == std::string::npos) return {};
  return output.substr(at + prefix.size(),
                       output.find(' ', at + prefix.size()) - at - prefix.size());
}

// One HTTPS GET with the openssl CLI, verified against the test CA; its output.
std::string openssl_get(const std::string& port) {
  const auto& certs = tether::test::test_certs();
  const std::string command =
      "printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | timeout 10 "
      "openssl s_client -quiet -verify_return_error -alpn http/1.1 -verify_ip 127.0.0.1 "
      "-CAfile " +
      certs.ca() + " -connect 127.0.0.1:" + port + " 2>&1";
  std::string output;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    while (const auto n = fread(buffer, 1, sizeof buffer, pipe))
      output.append(buffer, n);
    pclose(pipe);
  }
  return output;
}

TEST(TetherPoolCli, TlsServesHttpsWithTheGivenCertificate) {
  const auto& certs = tether::test::test_certs();
  PoolProcess pool({"--servers", "2", "--base-port", "0", "--tls-cert", certs.cert("pool"),
                    "--tls-key", certs.key("pool")});
  ASSERT_TRUE(pool.wait_for_line("ready")) << pool.output();
  EXPECT_EQ(pool.output().find("fe01 https 127.0.0.1:"), 0u) << pool.output();
  const auto reply = openssl_get(https_port(pool.output(), "fe02"));
  EXPECT_NE(reply.find("HTTP/1.1 200"), std::string::npos) << reply;
  EXPECT_NE(reply.find("X-Tether-Server: fe02"), std::string::npos) << reply;
  pool.signal(SIGTERM);
  EXPECT_EQ(pool.wait_exit(), 0);
}

TEST(TetherPoolCli, TlsWithAConfigServesItsServersOverHttps) {
  const auto& certs = tether::test::test_certs();
  const auto port = free_port();
  const auto path = std::filesystem::path(::testing::TempDir()) / "pool_cli_tls.yaml";
  std::ofstream(path) << "frontends:\n  - { name: web, listen: [\"127.0.0.1:" << free_port()
                      << "\"], mode: http, pool: web }\npools:\n  - name: web\n    servers:\n"
                      << "      - { name: fe07, address: \"127.0.0.1:" << port << "\" }\n";
  PoolProcess pool({"--config", path.string(), "--tls-cert", certs.cert("pool"), "--tls-key",
                    certs.key("pool")});
  ASSERT_TRUE(pool.wait_for_line("ready")) << pool.output();
  EXPECT_EQ(https_port(pool.output(), "fe07"), port) << pool.output();
  EXPECT_NE(openssl_get(port).find("X-Tether-Server: fe07"), std::string::npos);
}

TEST(TetherPoolCli, TlsUsageErrorsExitWith2) {
  const auto& certs = tether::test::test_certs();
  const std::vector<std::string> servers = {"--servers", "1", "--base-port", "0"};
  auto with = [&](std::vector<std::string> extra) {
    auto args = servers;
    args.insert(args.end(), extra.begin(), extra.end());
    return PoolProcess(args).wait_exit();
  };
  EXPECT_EQ(with({"--tls-cert", certs.cert("pool")}), 2);  // no key
  EXPECT_EQ(with({"--tls-key", certs.key("pool")}), 2);    // no certificate
  EXPECT_EQ(with({"--tls-cert", certs.path("missing.pem"), "--tls-key", certs.key("pool")}), 2);
  EXPECT_EQ(with({"--tls-cert", certs.cert("pool"), "--tls-key", certs.path("missing.key")}), 2);
  EXPECT_EQ(with({"--tls-cert", certs.key("pool"), "--tls-key", certs.key("pool")}), 2);  // no cert
  EXPECT_EQ(with({"--tls-cert", certs.cert("pool"), "--tls-key", certs.key("ext")}),
            2);  // not its key
}

}  // namespace
