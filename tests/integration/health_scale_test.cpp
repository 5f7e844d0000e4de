// 100 servers checked every second for 30 s by one Tether process: no thread per server, and
// what it costs (issue #3). The checks' own count shows they ran on schedule.
#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <sstream>

#include "tests/integration/harness.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;

// Accepts and closes on many ports: 100 "SIP" check ports.
class CheckPorts {
 public:
  explicit CheckPorts(int n) {
    for (int i = 0; i < n; ++i) {
      acceptors_.emplace_back(context_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      accept(acceptors_.back());
    }
    thread_ = std::thread([this] { context_.run(); });
  }
  ~CheckPorts() {
    context_.stop();
    thread_.join();
  }
  std::uint16_t port(int i) const { return acceptors_[i].local_endpoint().port(); }
  std::size_t accepted() const { return accepted_.load(); }

 private:
  void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](std::error_code ec, tcp::socket) {
      if (ec) return;
      ++accepted_;
      accept(acceptor);
    });
  }
  asio::io_context context_;
  std::deque<tcp::acceptor> acceptors_;
  std::atomic<std::size_t> accepted_{0};
  std::thread thread_;
};

struct ProcessUsage {
  double cpu_seconds;
  int threads;
};

ProcessUsage usage_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), {});
  // Fields after the command name, which is in parentheses and may contain spaces.
  std::istringstream fields(content.substr(content.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  int threads = 0;
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Threads:", 0) == 0) threads = std::stoi(line.substr(8));
  return {double(utime + stime) / sysconf(_SC_CLK_TCK), threads};
}

TEST(HealthScale, HundredServersCheckedEverySecondFromOneProcess) {
  constexpr int kServers = 100;
  CheckPorts checks(kServers);
  const auto listen_port = free_port();
  // Each server's check port differs here (one address); a real pool would use 5061 on each host.
  std::string yaml =
      "threads: 2\nlog: { access: off, level: warn }\nfrontends:\n"
      "  - name: web\n    listen: [\"127.0.0.1:" +
      std::to_string(listen_port) + "\"]\n    pool: web\npools:\n";
  yaml +=
      "  - name: web\n    health: { type: tcp, interval: 1s, timeout: 500ms, observe: false }\n"
      "    servers:\n";
  for (int i = 0; i < kServers; ++i)
    yaml += "      - { name: fe" + std::to_string(i) +
            ", address: \"127.0.0.1:" + std::to_string(checks.port(i)) + "\" }\n";
  TetherProcess tether(write_temp_file("hundred.yaml", yaml),
                       tcp::endpoint(asio::ip::make_address("127.0.0.1"), listen_port));

  const auto start = usage_of(tether.pid());
  const std::size_t accepted_before = checks.accepted();
  std::this_thread::sleep_for(30s);
  const auto end = usage_of(tether.pid());
  const std::size_t performed = checks.accepted() - accepted_before;

  const double cpu = end.cpu_seconds - start.cpu_seconds;
  std::printf(
      "  %d servers, 1 s interval, 30 s: %zu checks, %d threads, CPU %.2f s (%.1f%% of a core, "
      "%.0f us per check)\n",
      kServers, performed, end.threads, cpu, cpu / 30 * 100,
      performed ? cpu / performed * 1e6 : 0.0);
  // No thread per server: the workers, the control thread, and nothing that grows with servers.
  EXPECT_LT(end.threads, 10);
  // Every server about once a second (the spread makes intervals up to 10% shorter).
  EXPECT_GE(performed, std::size_t(kServers * 29));
  EXPECT_LE(performed, std::size_t(kServers * 34));
  EXPECT_LT(cpu / 30, 0.05) << "more than 5% of a core for 100 checks a second";
}

}  // namespace
}  // namespace tether::test
