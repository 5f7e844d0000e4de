// Which mechanism carries out a scenario, and the sentences that tell a user what is missing.
#include <gtest/gtest.h>

#include <string>

#include "tools/probe/scenario.h"

namespace tether::probe {
namespace {

ServiceUrl url(const std::string& text) {
  std::string error;
  auto parsed = parse_service_url(text, error);
  EXPECT_TRUE(parsed) << error;
  return parsed.value_or(ServiceUrl{});
}

ScenarioPlan plan(Scenario kind, std::string server = "fe02") {
  ScenarioPlan p;
  p.kind = kind;
  p.server = std::move(server);
  return p;
}

TEST(ProbeScenario, FailAndRemoveUseTheSimulatorControl) {
  std::string error;
  auto fail = plan(Scenario::fail);
  fail.control = url("127.0.0.1:9000");
  EXPECT_EQ(choose_mechanism(fail, error), Mechanism::control_fail);
  auto remove = plan(Scenario::remove);
  remove.control = url("http://127.0.0.1:9000/");
  EXPECT_EQ(choose_mechanism(remove, error), Mechanism::control_fail);
  auto add = plan(Scenario::add);
  add.control = url("127.0.0.1:9000");
  EXPECT_EQ(choose_mechanism(add, error), Mechanism::control_recover);
}

TEST(ProbeScenario, DrainNeedsTetherAdminOrAHook) {
  std::string error;
  auto drain = plan(Scenario::drain);
  drain.control = url("127.0.0.1:9000");
  EXPECT_FALSE(choose_mechanism(drain, error));
  EXPECT_NE(error.find("HAProxy and NGINX have no drain API"), std::string::npos) << error;
  // SPEC §7's `--scenario drain --server S --admin URL`: the pool is found at preflight.
  drain.admin = url("127.0.0.1:9901");
  EXPECT_EQ(choose_mechanism(drain, error), Mechanism::admin_drain) << error;
  drain.pool = "web-int";
  EXPECT_EQ(choose_mechanism(drain, error), Mechanism::admin_drain);
  auto hooked = plan(Scenario::drain);
  hooked.hook = "true";
  EXPECT_EQ(choose_mechanism(hooked, error), Mechanism::hook);
}

TEST(ProbeScenario, AHookCarriesOutAnyKind) {
  std::string error;
  for (const auto kind : {Scenario::fail, Scenario::drain, Scenario::add, Scenario::remove}) {
    auto p = plan(kind);
    p.hook = "./reload-haproxy.sh";
    p.control = url("127.0.0.1:9000");
    EXPECT_EQ(choose_mechanism(p, error), Mechanism::hook);
  }
}

TEST(ProbeScenario, MissingPiecesAreNamed) {
  std::string error;
  EXPECT_FALSE(choose_mechanism(plan(Scenario::fail, ""), error));
  EXPECT_NE(error.find("--server"), std::string::npos);
  EXPECT_FALSE(choose_mechanism(plan(Scenario::fail), error));
  EXPECT_NE(error.find("--control"), std::string::npos);
  EXPECT_FALSE(choose_mechanism(plan(Scenario::add), error));
  EXPECT_NE(error.find("--hook"), std::string::npos);
  EXPECT_EQ(choose_mechanism(plan(Scenario::none, ""), error), Mechanism::none);
}

// ---- which pool a drain acts on, from GET /api/v1/status ----

// Two pools as docs/admin-api.md shows them: the example config's pools share server names.
const char* const kStatus = R"({"version": "0.1.0", "frontends": [],
  "pools": [
    {"name": "int-443", "stick_entries": 0,
     "servers": [{"name": "fe01", "address": "127.0.10.1:10443"},
                 {"name": "fe02", "address": "127.0.10.2:10443"}]},
    {"name": "ext-443", "stick_entries": 0,
     "servers": [{"name": "fe01", "address": "127.0.10.1:4443"},
                 {"name": "fe02", "address": "127.0.10.2:4443"},
                 {"name": "fe03", "address": "127.0.10.3:4443"}]},
    {"name": "sip", "servers": [{"name": "edge01", "address": "127.0.11.1:5061"}]}
  ]})";

ScenarioPlan drain_of(std::string server, std::string pool = "") {
  auto p = plan(Scenario::drain, std::move(server));
  p.admin = url("127.0.0.1:9901");
  p.pool = std::move(pool);
  return p;
}

TEST(ProbeDrainPool, TheOnePoolWithTheServerIsTaken) {
  std::string error;
  EXPECT_EQ(drain_pool(drain_of("fe03"), kStatus, error), "ext-443") << error;
  EXPECT_EQ(drain_pool(drain_of("edge01"), kStatus, error), "sip") << error;
}

TEST(ProbeDrainPool, AServerNoPoolHasIsNamed) {
  std::string error;
  EXPECT_FALSE(drain_pool(drain_of("fe09"), kStatus, error));
  EXPECT_EQ(error,
            "the admin API 127.0.0.1:9901 shows no server fe09 in any pool (pools: int-443, "
            "ext-443, sip)");
  EXPECT_FALSE(drain_pool(drain_of("fe01"), R"({"pools": []})", error));
  EXPECT_EQ(error, "the admin API 127.0.0.1:9901 shows no server fe01 in any pool (pools: none)");
}

TEST(ProbeDrainPool, AServerInSeveralPoolsNeedsPool) {
  std::string error;
  EXPECT_FALSE(drain_pool(drain_of("fe02"), kStatus, error));
  EXPECT_EQ(error,
            "server fe02 is in pools int-443, ext-443 (the admin API 127.0.0.1:9901): "
            "name the one to drain with --pool NAME");
}

TEST(ProbeDrainPool, AGivenPoolMustHaveTheServer) {
  std::string error;
  EXPECT_EQ(drain_pool(drain_of("fe02", "ext-443"), kStatus, error), "ext-443") << error;
  EXPECT_EQ(drain_pool(drain_of("fe02", "int-443"), kStatus, error), "int-443") << error;
  EXPECT_FALSE(drain_pool(drain_of("fe03", "int-443"), kStatus, error));
  EXPECT_EQ(error, "the admin API 127.0.0.1:9901 shows no pool int-443 with a server fe03");
  EXPECT_FALSE(drain_pool(drain_of("fe01", "web"), kStatus, error));
  EXPECT_EQ(error, "the admin API 127.0.0.1:9901 shows no pool web with a server fe01");
}

TEST(ProbeDrainPool, AnAnswerThatIsNoStatusIsRefused) {
  std::string error;
  EXPECT_FALSE(drain_pool(drain_of("fe01"), "<html>Tether</html>", error));
  EXPECT_EQ(error.rfind("the admin API 127.0.0.1:9901 answered GET /api/v1/status with no "
                        "status: ",
                        0),
            0u)
      << error;
  EXPECT_FALSE(drain_pool(drain_of("fe01"), R"({"version": "0.1.0"})", error));
  EXPECT_EQ(error,
            "the admin API 127.0.0.1:9901 answered GET /api/v1/status with no status: "
            "no \"pools\" list");
}

TEST(ProbeScenario, ServiceUrls) {
  const auto a = url("http://localhost:9901/tether/");
  EXPECT_EQ(a.endpoint.port(), 9901);
  EXPECT_EQ(a.base, "/tether");
  EXPECT_EQ(a.url("/api/v1/status"), "http://localhost:9901/tether/api/v1/status");
  const auto b = url("[::1]:9000");
  EXPECT_TRUE(b.endpoint.address().is_v6());
  EXPECT_EQ(b.base, "");
  std::string error;
  EXPECT_FALSE(parse_service_url("https://127.0.0.1:9000", error));
  EXPECT_FALSE(parse_service_url("127.0.0.1", error));
}

}  // namespace
}  // namespace tether::probe
