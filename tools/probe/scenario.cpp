#include "tools/probe/scenario.h"
#include "admin/json_reader.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

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

// "a, b, c", or "none".
std::string listed(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names)
    text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

}  // namespace

std::optional<std::string> drain_pool(const ScenarioPlan& plan, std::string_view status,
                                      std::string& error) {
  const std::string admin = "the admin API" + (plan.admin ? " " + plan.admin->text : "");
  const auto parsed = admin::parse_json(status);
  const admin::JsonValue* pools = parsed.ok() ? parsed.value->find("pools") : nullptr;
  if (!pools || !pools->is_array()) {
    error = admin + " answered GET /api/v1/status with no status: " +
            (parsed.ok() ? "no \"pools\" list" : parsed.error);
    return std::nullopt;
  }
  std::vector<std::string> all, holding;  // pool names, in the status's order
  for (const admin::JsonValue& pool : pools->as_array()) {
    const std::string& name = pool["name"].as_string();
    all.push_back(name);
    const auto& servers = pool["servers"].as_array();
    if (std::ranges::any_of(servers, [&](const admin::JsonValue& server) {
          return server["name"].as_string() == plan.server;
        })) {
      holding.push_back(name);
    }
  }
  if (!plan.pool.empty()) {
    if (std::ranges::find(holding, plan.pool) != holding.end()) return plan.pool;
    error = admin + " shows no pool " + plan.pool + " with a server " + plan.server;
    return std::nullopt;
  }
  if (holding.size() == 1) return holding.front();
  if (holding.empty()) {
    error = admin + " shows no server " + plan.server + " in any pool (pools: " + listed(all) + ")";
  } else {
    error = "server " + plan.server + " is in pools " + listed(holding) + " (" + admin +
            "): name the one to drain with --pool NAME";
  }
  return std::nullopt;
}

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
      if (plan.admin) return Mechanism::admin_drain;  // without --pool, preflight finds it
      error =
          "--scenario drain needs --admin URL [--pool NAME] (Tether's admin API). HAProxy and "
          "NGINX have no drain API this probe can call: give --hook CMD that drains the "
          "server (e.g. HAProxy's runtime API: set server BACKEND/SERVER state drain)";
      return std::nullopt;
    case Scenario::none:
      break;
  }
  return Mechanism::none;
}

bool preflight(ScenarioPlan& plan, Mechanism mechanism, std::string& error) {
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
      const auto pool = drain_pool(plan, reply->body, error);
      if (!pool) return false;
      plan.pool = *pool;
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
