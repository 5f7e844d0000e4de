#include "tools/probe/scenario.h"
#include "admin/json_reader.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "tools/probe/text_format.h"

namespace tether::probe {
namespace {

// What came back, for an error message: the status and the start of the body on one line.
std::string came_back(const HttpReply& reply) {
  std::string text = std::to_string(reply.status);
  std::string body = reply.body.substr(0, 120);
  std::ranges::replace_if(
      body, [](char c) { return c == '\r' || c == '\n'; }, ' ');
  while (body.ends_with(' '))
    body.pop_back();
  if (!body.empty()) text += ": " + body + (reply.body.size() > 120 ? "..." : "");
  return text;
}

bool expect_ok(const std::optional<HttpReply>& reply, const std::string& what, std::string& error) {
  if (!reply) return false;  // http_call said why
  if (reply->status / 100 == 2) return true;
  error = what + " answered " + came_back(*reply);
  return false;
}

// tether-pool's control answers GET and POST /servers/S with S's document (tools/pool/control.cpp,
// server_json): {"name": S, "state": "up" | "failed" | "hung", ...}. Anything else on that port
// (a pool server's own HTTP port, a load balancer) answers 200 too, so the status proves nothing.
bool is_control_document(std::string_view body, const std::string& server, std::string_view state) {
  const auto parsed = admin::parse_json(body);
  if (!parsed.ok()) return false;
  const admin::JsonValue& name = (*parsed.value)["name"];
  const admin::JsonValue& now = (*parsed.value)["state"];
  if (!name.is_string() || name.as_string() != server || !now.is_string()) return false;
  if (!state.empty()) return now.as_string() == state;
  return now.as_string() == "up" || now.as_string() == "failed" || now.as_string() == "hung";
}

// Tether's state endpoint for the plan's server, and the headers its POSTs need.
std::string state_path(const ScenarioPlan& plan) {
  return "/api/v1/pools/" + plan.pool + "/servers/" + plan.server + "/state";
}

std::vector<std::string> admin_headers(const ScenarioPlan& plan) {
  if (plan.admin_token.empty()) return {};
  return {"Authorization: Bearer " + plan.admin_token};
}

// The token, checked without changing anything: Tether checks it before the body
// (docs/admin-api.md: 401, then pool and server names 404, then the body 400), so a state change
// that asks for nothing ({}) is a 401 for a missing or wrong token and a 400 otherwise.
bool check_admin_token(const ScenarioPlan& plan, std::string& error) {
  const std::string path = state_path(plan);
  const auto reply =
      http_call(*plan.admin, "POST", path, "{}", admin_headers(plan), plan.timeout, error);
  if (!reply) return false;
  if (reply->status == 400) return true;
  const std::string admin = "the admin API " + plan.admin->text;
  if (reply->status == 401) {
    const auto parsed = admin::parse_json(reply->body);
    const std::string why = parsed.ok() ? (*parsed.value)["error"].as_string() : "";
    error = admin + " refused " +
            (plan.admin_token.empty() ? "a change without a token"
                                      : "the token of --admin-token-file") +
            (why.empty() ? "" : ": " + why) +
            (plan.admin_token.empty() ? "; give it with --admin-token-file FILE" : "");
    return false;
  }
  error = admin + " answered a token check (POST " + plan.admin->url(path) + " {}) with " +
          came_back(*reply);
  return false;
}

// Whether a tether-pool control answer is its "no server named S" 404.
bool is_unknown_server(const HttpReply& reply) {
  if (reply.status != 404) return false;
  const auto parsed = admin::parse_json(reply.body);
  return parsed.ok() && (*parsed.value)["error"].as_string().starts_with("no server named");
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
      const std::string path = "/servers/" + plan.server;
      const auto reply = http_call(*plan.control, "GET", path, "", {}, plan.timeout, error);
      if (!reply) return false;
      if (is_unknown_server(*reply)) {
        error = "the control endpoint " + plan.control->text + " knows no server " + plan.server;
        return false;
      }
      if (reply->status != 200 || !is_control_document(reply->body, plan.server, "")) {
        error = "--control " + plan.control->text + " is not tether-pool's control endpoint: GET " +
                plan.control->url(path) + " answered " + came_back(*reply);
        return false;
      }
      // An action that changes nothing would report a split at which nothing happened.
      const bool recover = mechanism == Mechanism::control_recover;
      if (!is_control_document(reply->body, plan.server, recover ? "up" : "failed")) return true;
      const std::string other = recover ? "/fail" : "/recover";
      error =
          plan.server + " is " + (recover ? "up" : "failed") + " already at the start (GET " +
          plan.control->url(path) + "): the run needs it " +
          (recover ? "failed, to recover it at the split" : "serving, to fail it at the split") +
          "; POST " + plan.control->url(path + other) + " first";
      return false;
    }
    case Mechanism::admin_drain: {
      const auto reply =
          http_call(*plan.admin, "GET", "/api/v1/status", "", {}, plan.timeout, error);
      if (!expect_ok(reply, "the admin API " + plan.admin->text, error)) return false;
      const auto pool = drain_pool(plan, reply->body, error);
      if (!pool) return false;
      plan.pool = *pool;
      return check_admin_token(plan, error);
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
      const std::string_view state = mechanism == Mechanism::control_fail ? "failed" : "up";
      if (!is_control_document(reply->body, plan.server, state)) {
        error = "POST " + plan.control->url(path) + " answered " + came_back(*reply) + ", not " +
                plan.server + " in state " + std::string(state);
        return false;
      }
      done = "POST " + plan.control->url(path) + " -> " + std::to_string(reply->status);
      return true;
    }
    case Mechanism::admin_drain: {
      const std::string path = state_path(plan);
      const auto reply = http_call(*plan.admin, "POST", path, R"({"state":"drain"})",
                                   admin_headers(plan), plan.timeout, error);
      if (!expect_ok(reply, "POST " + plan.admin->url(path), error)) return false;
      // Tether answers with the server's new status (docs/admin-api.md).
      const auto status = admin::parse_json(reply->body);
      if (!status.ok() || (*status.value)["admin_state"].as_string() != "drain") {
        error = "POST " + plan.admin->url(path) + " answered " + came_back(*reply) + ", not " +
                plan.server + " with admin_state drain";
        return false;
      }
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
