// The tetherctl binary against a Tether in this process: what it prints and how it exits.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>

#include "tests/admin/admin_instance.h"

namespace tether::test {
namespace {

struct Outcome {
  int status = -1;
  std::string output;  // stdout and stderr
};

Outcome tetherctl(const std::string& arguments) {
  const std::string command =
      std::string(TETHER_BINARY_DIR) + "/tools/tetherctl --timeout 5s " + arguments + " 2>&1";
  Outcome run;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return run;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    run.output.append(buffer, n);
  const int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class Tetherctl : public ::testing::Test {
 protected:
  void SetUp() override {
    tether = std::make_unique<AdminInstance>(with_admin(single_pool_yaml(servers), token_file));
    admin = "--admin " + ctl::endpoint_text(tether->admin()) + " ";
  }

  // The output line that mentions `server`.
  static std::string line_of(const std::string& output, const std::string& server) {
    const std::size_t at = output.find("  " + server + "  ");
    if (at == std::string::npos) return "";
    const std::size_t begin = output.rfind('\n', at) + 1;
    return output.substr(begin, output.find('\n', at) - begin);
  }

  std::vector<std::unique_ptr<EchoServer>> servers = echo_pool(3);
  const std::string token_file = write_temp_file("tetherctl_token", "tok3n\n");
  const std::string token = "--token-file " + token_file + " ";
  std::unique_ptr<AdminInstance> tether;
  std::string admin;
};

TEST_F(Tetherctl, StatusPrintsEveryServer) {
  const Outcome run = tetherctl(admin + "status");
  EXPECT_EQ(run.status, 0) << run.output;
  for (const auto& s : servers) {
    const std::string line = line_of(run.output, s->name());
    EXPECT_NE(line.find(s->address()), std::string::npos) << run.output;
    EXPECT_NE(line.find(" up "), std::string::npos) << line;
    EXPECT_NE(line.find(" ready "), std::string::npos) << line;
  }
  EXPECT_NE(run.output.find("PINNED"), std::string::npos) << run.output;
}

TEST_F(Tetherctl, DrainShowsInStatus) {
  Outcome run = tetherctl(admin + token + "drain web fe02 --deadline 10m");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.output.rfind("web/fe02: drain (maint in ", 0), 0u) << run.output;

  run = tetherctl(admin + "status");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(line_of(run.output, "fe02").find(" drain (maint in "), std::string::npos) << run.output;
  EXPECT_NE(line_of(run.output, "fe01").find(" ready "), std::string::npos) << run.output;

  EXPECT_EQ(tetherctl(admin + token + "ready web fe02").status, 0);
  EXPECT_EQ(tetherctl(admin + token + "maint web fe03").status, 0);
  run = tetherctl(admin + "--json status");
  EXPECT_EQ(run.status, 0);
  const auto status = admin::parse_json(run.output);
  ASSERT_TRUE(status.ok()) << status.error << ": " << run.output;
  EXPECT_EQ(server_in(*status.value, "fe02")["admin_state"].as_string(), "ready");
  EXPECT_EQ(server_in(*status.value, "fe03")["admin_state"].as_string(), "maint");
}

TEST_F(Tetherctl, ExplainNamesTheServer) {
  const std::string reached = server_seen_by("127.1.0.9", tether->frontend());
  const Outcome run = tetherctl(admin + "explain web 127.1.0.9");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.output, "127.1.0.9 -> " + reached + " (stick; key 127.1.0.9/32 in pool web)\n");
}

TEST_F(Tetherctl, ApiErrorsExitOneWithTheirMessage) {
  Outcome run = tetherctl(admin + token + "drain nope fe01");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("unknown pool \"nope\""), std::string::npos) << run.output;

  run = tetherctl(admin + "drain web fe01");  // no token
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("missing bearer token (HTTP 401)"), std::string::npos) << run.output;

  run = tetherctl(admin + "explain web not-an-address");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("invalid client address"), std::string::npos) << run.output;
}

TEST_F(Tetherctl, UsageErrorsAndAnUnreachableAdminExitTwo) {
  const std::string closed = "--admin 127.0.0.1:" + std::to_string(free_port()) + " ";
  Outcome run = tetherctl(closed + "status");
  EXPECT_EQ(run.status, 2);
  EXPECT_NE(run.output.find("cannot connect to 127.0.0.1:"), std::string::npos) << run.output;

  EXPECT_EQ(tetherctl(admin).status, 2);                // no command
  EXPECT_EQ(tetherctl(admin + "drain web").status, 2);  // no server
  EXPECT_EQ(tetherctl(admin + "ready web fe01 --deadline 1m").status, 2);
  EXPECT_EQ(tetherctl(admin + "drain web fe01 --deadline 10").status, 2);
  EXPECT_EQ(tetherctl("--admin nowhere status").status, 2);
  EXPECT_EQ(tetherctl(admin + "--token-file /nonexistent drain web fe01").status, 2);
}

TEST(TetherctlVersion, PrintsItsVersionLikeTether) {
  const Outcome run = tetherctl("--version");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.output.rfind("tetherctl ", 0), 0u) << run.output;
  EXPECT_TRUE(run.output.size() > 10 && std::isdigit(static_cast<unsigned char>(run.output[10])))
      << run.output;
}

}  // namespace
}  // namespace tether::test
