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
#include <string>
#include <vector>

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

TEST(TetherPoolCli, BadFlagsExitWith2) {
  EXPECT_EQ(PoolProcess({"--servers", "2"}).wait_exit(), 2);
  EXPECT_EQ(PoolProcess({"--servers", "2", "--base-port", "8000", "--bind", "nowhere"}).wait_exit(),
            2);
  EXPECT_EQ(PoolProcess({"--config", "x.yaml", "--servers", "1", "--base-port", "1"}).wait_exit(),
            2);
  EXPECT_EQ(PoolProcess({"--no-such-flag"}).wait_exit(), 2);
}

}  // namespace
