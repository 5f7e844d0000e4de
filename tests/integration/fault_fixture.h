// What every fault-injection test shares: Tether on one worker with a "faulty" frontend in front
// of a misbehaving server and a "web" frontend in front of a healthy one, the access log in a
// file, and the checks that follow every fault (its log line, nothing left behind).
#pragma once

#include <gtest/gtest.h>

#include "tests/integration/fault_server.h"
#include "tests/integration/harness.h"

namespace tether::test {

class FaultTest : public ::testing::Test {
 protected:
  explicit FaultTest(std::string mode) : mode_(std::move(mode)) {}

  // Tether with "faulty" in front of a server running `script`.
  void start(ScriptedServer::Script script, const std::string& frontend_extra = "") {
    faulty = std::make_unique<ScriptedServer>("bad", std::move(script));
    start_with(faulty->address(), frontend_extra);
  }
  // Tether with "faulty" in front of the server at `address`.
  void start_with(const std::string& address, const std::string& frontend_extra = "") {
    tether = std::make_unique<TetherInstance>(
        two_frontend_yaml(mode_, address, healthy_address(), log, frontend_extra));
  }
  virtual std::string healthy_address() const = 0;
  // Tether goes first: the servers it talks to outlive it.
  void TearDown() override {
    tether.reset();
    faulty.reset();
  }

  // The access-log line of the client connection from local port `port` (tcp mode: the
  // connection's line; http mode: its only request's line).
  std::string log_line(unsigned short port) {
    return wait_for_log_line(log, "client=127.0.0.1:" + std::to_string(port) + " ");
  }

  lb::Frontend& frontend(const std::string& name = "faulty") {
    for (auto& f : tether->daemon().frontends())
      if (f->name() == name) return *f;
    throw std::logic_error("no frontend " + name);
  }

  // Nothing is left behind: no session of the frontend, no connection counted on the server.
  void expect_nothing_left() {
    EXPECT_TRUE(wait_until([&] { return frontend().active.load() == 0; }, std::chrono::seconds(5)))
        << frontend().active.load() << " sessions left";
    const auto* server = tether->daemon().find_pool("faulty")->find_server("faulty");
    EXPECT_TRUE(wait_until([&] { return server->active.load() == 0; }, std::chrono::seconds(5)))
        << server->active.load() << " server connections left";
  }

  const std::string log = access_log_path(
      std::string(::testing::UnitTest::GetInstance()->current_test_suite()->name()) + "." +
      ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::unique_ptr<ScriptedServer> faulty;
  std::unique_ptr<TetherInstance> tether;

 private:
  std::string mode_;
};

}  // namespace tether::test
