// The access log of a real `tether` process: both modes' lines, and logrotate's sequence —
// rename the file, send SIGUSR1 — after which Tether writes to a new file under the old name.
#include <signal.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/harness.h"
#include "tests/integration/http_backend.h"

namespace tether::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::vector<std::string> lines_of(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

TEST(AccessLogProcess, SigusrOneAfterARenameOpensANewFile) {
  const fs::path dir =
      fs::path(::testing::TempDir()) / ("access_log_process_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path log = dir / "access.log";
  auto servers = echo_pool(2);
  HttpBackend web_server("fe01");
  const auto tcp_port = free_port(), http_port = free_port();
  std::string yaml = single_pool_yaml(servers, {"127.0.0.1:" + std::to_string(tcp_port)});
  yaml.replace(yaml.find("access: off"), 11, "access: \"" + log.string() + "\"");
  yaml += "  - name: api\n    servers:\n      - { name: fe01, address: \"" + web_server.address() +
          "\" }\n";
  // The http frontend goes in the frontends list, which single_pool_yaml ends before "pools:".
  yaml.replace(yaml.find("pools:\n"), 0,
               "  - name: api\n    listen: [\"127.0.0.1:" + std::to_string(http_port) +
                   "\"]\n    mode: http\n    pool: api\n    affinity: { type: none }\n");
  const tcp::endpoint tcp_frontend(asio::ip::make_address("127.0.0.1"), tcp_port);
  const tcp::endpoint http_frontend(asio::ip::make_address("127.0.0.1"), http_port);
  TetherProcess tether(write_temp_file("access_log_process.yaml", yaml), tcp_frontend);

  // The readiness probe of TetherProcess is itself a connection: wait for its line first.
  ASSERT_TRUE(wait_until([&] { return lines_of(log).size() == 1; }, 5s));
  for (std::size_t c = 0; c < 3; ++c)
    ASSERT_FALSE(server_seen_by(client_address(c), tcp_frontend).empty());
  {
    HttpClient client(http_frontend);
    ASSERT_EQ(client.get("/before").status, 200u);
  }
  ASSERT_TRUE(wait_until([&] { return lines_of(log).size() == 5; }, 5s));
  const auto before = lines_of(log);
  // Lines come in the order sessions end, which workers decide: look for each one.
  EXPECT_THAT(before, ::testing::Contains(::testing::MatchesRegex(
                          ".* client=127\\.1\\.0\\.1:[0-9]+ frontend=web server=fe0[12] "
                          "bytes_in=0 bytes_out=5 duration_ms=[0-9]+ end=closed affinity=hash")));
  EXPECT_THAT(before, ::testing::Contains(::testing::HasSubstr(
                          " frontend=api server=fe01 method=GET target=/before status=200 ")));

  fs::rename(log, dir / "access.log.1");
  ASSERT_EQ(kill(tether.pid(), SIGUSR1), 0);
  ASSERT_TRUE(wait_until([&] { return fs::exists(log); }, 5s)) << "no new file after SIGUSR1";
  for (std::size_t c = 10; c < 12; ++c)
    ASSERT_FALSE(server_seen_by(client_address(c), tcp_frontend).empty());
  {
    HttpClient client(http_frontend);
    ASSERT_EQ(client.get("/after").status, 200u);
  }
  ASSERT_TRUE(wait_until([&] { return lines_of(log).size() == 3; }, 5s));
  const auto after = lines_of(log);
  EXPECT_THAT(after, ::testing::Contains(::testing::HasSubstr(" client=127.1.0.11:")));
  EXPECT_THAT(after, ::testing::Contains(::testing::HasSubstr(" target=/after ")));
  EXPECT_EQ(lines_of(dir / "access.log.1"), before);  // nothing more went to the rotated file
  EXPECT_EQ(tether.terminate_and_wait(), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tether::test
