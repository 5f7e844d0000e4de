#include "tools/probe/scenario.h"
#include "admin/json_writer.h"

#include <sys/wait.h>

#include <cstdlib>

#include "tools/probe/text_format.h"

namespace tether::probe {
namespace {

bool expect_ok(const std::optional<HttpReply>& reply, const std::string& what, std::string& error) {
  if (!reply) return false;  // http_call said why
  if (reply->status / 100 == 2) return true;
  error = what + " answered " + std::to_string(reply->status);
  if (!reply->body.empty()) error += ": " + reply->body.substr(0, 200);
  while (error.ends_with('\n'))
    error.pop_back();
  return false;
}

}  // namespace

std::optional<Mechanism> choose_mechanism(const ScenarioPlan& plan, std::string& error) {
  const std::string kind(to_string(plan.kind));
  if (plan.kind == Scenario::none) return Mechanism::none;
  if (plan.server.empty()) {
    error = "--scenario " + kind + " needs --server NAME";
    return std::nullopt;
  }
  if (!plan.hook.empty()) return Mechanism::hook;
  switch (plan.kind) {
    case Scenario::fail:
    case Scenario::remove:
      if (plan.control) return Mechanism::control_fail;
      error = "--scenario " + kind +
              " needs --control URL (tether-pool's control endpoint) or --hook CMD";
      return std::nullopt;
    case Scenario::add:
      if (plan.control) return Mechanism::control_recover;
      error =
          "--scenario add needs --hook CMD (a command that adds the server to the load "
          "balancer) or --control URL (recovers a server failed beforehand)";
      return std::nullopt;
    case Scenario::drain:
      if (plan.admin && plan.pool.empty()) {
        error = "--scenario drain with --admin needs --pool NAME";
        return std::nullopt;
      }
      if (plan.admin) return Mechanism::admin_drain;
      error =
          "--scenario drain needs --admin URL --pool NAME (Tether's admin API). HAProxy and "
          "NGINX have no drain API this probe can call: give --hook CMD that drains the "
          "server (e.g. HAProxy's runtime API: set server BACKEND/SERVER state drain)";
      return std::nullopt;
    case Scenario::none:
      break;
  }
  return Mechanism::none;
}

bool preflight(const ScenarioPlan& plan, Mechanism mechanism, std::string& error) {
  switch (mechanism) {
    case Mechanism::none:
    case Mechanism::hook:
      return true;
    case Mechanism::control_fail:
    case Mechanism::control_recover: {
      const auto reply =
          http_call(*plan.control, "GET", "/servers/" + plan.server, "", {}, plan.timeout, error);
      if (reply && reply->status == 404) {
        error = "the control endpoint " + plan.control->text + " knows no server " + plan.server;
        return false;
      }
      return expect_ok(reply, "the control endpoint " + plan.control->text, error);
    }
    case Mechanism::admin_drain: {
      const auto reply =
          http_call(*plan.admin, "GET", "/api/v1/status", "", {}, plan.timeout, error);
      if (!expect_ok(reply, "the admin API " + plan.admin->text, error)) return false;
      // Not a JSON parser: the status names every pool and server as a JSON string.
      if (reply->body.find(admin::json_string(plan.pool)) == std::string::npos ||
          reply->body.find(admin::json_string(plan.server)) == std::string::npos) {
        error = "the admin API " + plan.admin->text + " shows no pool " + plan.pool +
                " with a server " + plan.server;
        return false;
      }
      return true;
    }
  }
  return true;
}

bool perform(const ScenarioPlan& plan, Mechanism mechanism, std::string& done, std::string& error) {
  switch (mechanism) {
    case Mechanism::none:
      return true;
    case Mechanism::control_fail:
    case Mechanism::control_recover: {
      const std::string path =
          "/servers/" + plan.server + (mechanism == Mechanism::control_fail ? "/fail" : "/recover");
      const auto reply = http_call(*plan.control, "POST", path, "", {}, plan.timeout, error);
      if (!expect_ok(reply, "POST " + plan.control->url(path), error)) return false;
      done = "POST " + plan.control->url(path) + " -> " + std::to_string(reply->status);
      return true;
    }
    case Mechanism::admin_drain: {
      const std::string path = "/api/v1/pools/" + plan.pool + "/servers/" + plan.server + "/state";
      std::vector<std::string> headers;
      if (!plan.admin_token.empty()) headers.push_back("Authorization: Bearer " + plan.admin_token);
      const auto reply = http_call(*plan.admin, "POST", path, R"({"state":"drain"})", headers,
                                   plan.timeout, error);
      if (!expect_ok(reply, "POST " + plan.admin->url(path), error)) return false;
      done = "POST " + plan.admin->url(path) + " {\"state\":\"drain\"} -> " +
             std::to_string(reply->status);
      return true;
    }
    case Mechanism::hook: {
      setenv("TETHER_PROBE_SCENARIO", std::string(to_string(plan.kind)).c_str(), 1);
      setenv("TETHER_PROBE_SERVER", plan.server.c_str(), 1);
      setenv("TETHER_PROBE_TARGET", plan.target.c_str(), 1);
      const int status = std::system(plan.hook.c_str());
      if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        error = "the hook \"" + plan.hook + "\" failed (" +
                (status != -1 && WIFEXITED(status)
                     ? "exit status " + std::to_string(WEXITSTATUS(status))
                     : std::string("did not exit normally")) +
                ")";
        return false;
      }
      done = "hook \"" + plan.hook + "\" -> exit 0";
      return true;
    }
  }
  return true;
}

}  // namespace tether::probe
