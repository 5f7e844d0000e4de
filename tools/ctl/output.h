// What tetherctl prints for the admin API's answers (docs/admin-api.md): pure functions from the
// parsed JSON to text, so they are tested without a daemon.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "admin/json_reader.h"

namespace tether::ctl {

// "2026-11-22T04:35:03Z" (optionally with fractional seconds) -> a time point.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// A short human duration: "0s", "42s", "3m05s", "2h07m", "3d04h".
std::string format_age(std::chrono::seconds age);

// GET /api/v1/status as a table: one row per server (pool, server, address, health, admin
// state, active, total, pinned, last check), after one line per frontend and followed by one
// line per pool (stick entries, broken affinities).
std::string render_status(const admin::JsonValue& status,
                          std::chrono::system_clock::time_point now);

// A server's object (the answer to a state change): "web/fe01: drain (maint in 9m59s)".
std::string render_server(std::string_view pool, const admin::JsonValue& server,
                          std::chrono::system_clock::time_point now);

// The affinity explanation: "10.1.2.3 -> fe02 (stick; key 10.1.2.3/32 in pool web)".
std::string render_explanation(const admin::JsonValue& explanation);

// The answer to POST /api/v1/reload that was taken: "reload applied (generation 3); hash space
// moved: web 10.0%" or, for a dry run, "dry run: valid; hash space that would move: ...".
std::string render_reload(const admin::JsonValue& reload);

}  // namespace tether::ctl
