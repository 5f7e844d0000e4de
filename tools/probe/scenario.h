// The event a scenario run provokes at its scenario point, and who carries it out. The probe only
// measures; changing a peer's configuration is not its business, so beyond the simulator's control
// endpoint and Tether's admin API the general mechanism is a shell command (`--hook`), e.g. a
// script that reloads HAProxy with one more server.
//
//   fail S    --control: POST /servers/S/fail on tether-pool's control endpoint.
//   remove S  --hook; with only --control, the server is failed (to the load balancer a removed
//             server and a dead one look alike, except that a health check must notice the latter).
//   drain S   --admin URL [--pool P]: Tether's POST /api/v1/pools/P/servers/S/state
//             {"state":"drain"}. Without --pool, P is the one pool GET /api/v1/status shows with a
//             server S (names are unique within a pool only: S in several pools needs --pool).
//             HAProxy and NGINX have no drain call the probe knows: use --hook (e.g. HAProxy's
//             runtime API "set server BACKEND/S state drain").
//   add S     --hook; with only --control, S is recovered: start the run with S failed and listed
//             in the load balancer's configuration, and the add is its health check bringing it in.
//
// With --hook the command runs for every kind, with TETHER_PROBE_SCENARIO, TETHER_PROBE_SERVER and
// TETHER_PROBE_TARGET in its environment; exit status 0 means done.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tools/probe/http_call.h"
#include "tools/probe/tally.h"

namespace tether::probe {

struct ScenarioPlan {
  Scenario kind = Scenario::none;
  std::string server;
  std::string target;  // for the hook's environment
  std::optional<ServiceUrl> control;
  std::optional<ServiceUrl> admin;
  std::string pool;         // empty: found by preflight (admin_drain)
  std::string admin_token;  // Bearer token for the admin API's POSTs, when it has one
  std::string hook;
  std::chrono::milliseconds timeout{5000};
};

enum class Mechanism { none, hook, control_fail, control_recover, admin_drain };

// Which mechanism carries out the plan, or nullopt with `error` saying which flags are missing.
// Pure.
std::optional<Mechanism> choose_mechanism(const ScenarioPlan& plan, std::string& error);

// The pool a drain acts on, from Tether's status document (`status`, the body of
// GET /api/v1/status): plan.pool when it has a server named plan.server, or without plan.pool the
// one pool that has it. nullopt, with `error` for the user, when no pool has it, when several do
// (they are listed) or when `status` is not a status document. Pure.
std::optional<std::string> drain_pool(const ScenarioPlan& plan, std::string_view status,
                                      std::string& error);

// Before any client starts: the control endpoint or admin API answers and knows the server (and
// pool), and the admin API takes plan.admin_token, so a typo fails in a second instead of after
// phase one. Nothing is changed. A drain without plan.pool gets it here (drain_pool). A hook is
// not tried in advance.
bool preflight(ScenarioPlan& plan, Mechanism mechanism, std::string& error);

// At the scenario point. On success `done` says what was done ("POST http://.../fail -> 200").
bool perform(const ScenarioPlan& plan, Mechanism mechanism, std::string& done, std::string& error);

}  // namespace tether::probe
