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
  drain.admin = url("127.0.0.1:9901");
  EXPECT_FALSE(choose_mechanism(drain, error));
  EXPECT_NE(error.find("--pool"), std::string::npos);
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
