#include "tools/ctl/output.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

namespace tether::ctl {

namespace {

using admin::JsonValue;

std::string number(const JsonValue& value) {
  return value.is_number() ? value.as_string() : "-";
}

std::string text(const JsonValue& value) {
  return value.is_string() ? value.as_string() : "-";
}

// "drain (maint in 9m59s)" while a drain deadline runs; the admin state otherwise.
std::string admin_state(const JsonValue& server, std::chrono::system_clock::time_point now) {
  std::string state = text(server["admin_state"]);
  const JsonValue& deadline = server["drain_deadline"];
  if (deadline.is_string()) {
    if (const auto at = parse_rfc3339(deadline.as_string())) {
      const auto left = std::chrono::ceil<std::chrono::seconds>(*at - now);
      state += " (maint in " + format_age(std::max(left, std::chrono::seconds(0))) + ")";
    } else {
      state += " (maint at " + deadline.as_string() + ")";
    }
  }
  return state;
}

// "ok 2s ago", "FAIL 2s ago: connection refused", "-" without checks.
std::string last_check(const JsonValue& check, std::chrono::system_clock::time_point now) {
  if (!check.is_object()) return "-";
  const bool ok = check["ok"].as_bool();
  std::string out = ok ? "ok" : "FAIL";
  if (const auto at = parse_rfc3339(text(check["at"]))) {
    const auto age = std::chrono::floor<std::chrono::seconds>(now - *at);
    out += " " + format_age(std::max(age, std::chrono::seconds(0))) + " ago";
  }
  if (!ok && check["detail"].is_string()) out += ": " + check["detail"].as_string();
  return out;
}

// Columns padded to their widest cell; the last column is not padded.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  if (text.size() < 20 || text.back() != 'Z') return std::nullopt;
  std::tm tm{};
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != 19)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t seconds = timegm(&tm);
  if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(seconds);
}

std::string format_age(std::chrono::seconds age) {
  const long long s = age.count();
  char out[32];
  if (s < 60) {
    std::snprintf(out, sizeof out, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(out, sizeof out, "%lldm%02llds", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(out, sizeof out, "%lldh%02lldm", s / 3600, s % 3600 / 60);
  } else {
    std::snprintf(out, sizeof out, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
  }
  return out;
}

std::string render_status(const JsonValue& status, std::chrono::system_clock::time_point now) {
  std::string out;
  for (const auto& frontend : status["frontends"].as_array()) {
    std::string listen;
    for (const auto& address : frontend["listen"].as_array())
      listen += (listen.empty() ? "" : ",") + text(address);
    out += "frontend " + text(frontend["name"]) + " " + listen + " " + text(frontend["mode"]) +
           " -> pool " + text(frontend["pool"]) + ": " + number(frontend["active"]) + " active, " +
           number(frontend["accepted"]) + " accepted\n";
  }
  if (!out.empty()) out += "\n";

  std::vector<std::vector<std::string>> rows = {
      {"POOL", "SERVER", "ADDRESS", "HEALTH", "STATE", "ACTIVE", "TOTAL", "PINNED", "LAST CHECK"}};
  for (const auto& pool : status["pools"].as_array())
    for (const auto& server : pool["servers"].as_array())
      rows.push_back({text(pool["name"]), text(server["name"]), text(server["address"]),
                      text(server["health"]), admin_state(server, now), number(server["active"]),
                      number(server["total"]), number(server["pinned"]),
                      last_check(server["last_check"], now)});
  out += table(rows);

  std::string pools;
  for (const auto& pool : status["pools"].as_array()) {
    std::string breaks;
    for (const auto& [cause, count] : pool["breaks"].as_object())
      if (count.as_uint64().value_or(0) > 0)
        breaks += (breaks.empty() ? "" : ", ") + cause + " " + count.as_string();
    pools += "pool " + text(pool["name"]) + ": " + number(pool["stick_entries"]) +
             " stick entries, affinity broken: " + (breaks.empty() ? "never" : breaks) + "\n";
  }
  if (!pools.empty()) out += "\n" + pools;
  return out;
}

std::string render_server(std::string_view pool, const JsonValue& server,
                          std::chrono::system_clock::time_point now) {
  return std::string(pool) + "/" + text(server["name"]) + ": " + admin_state(server, now) +
         ", health " + text(server["health"]) + ", " + number(server["active"]) + " active, " +
         number(server["pinned"]) + " pinned\n";
}

std::string render_explanation(const JsonValue& explanation) {
  const JsonValue& server = explanation["server"];
  return text(explanation["client"]) + " -> " +
         (server.is_string() ? server.as_string() : std::string("no usable server")) + " (" +
         text(explanation["reason"]) + "; key " + text(explanation["key"]) + " in pool " +
         text(explanation["pool"]) + ")\n";
}

std::string render_reload(const JsonValue& reload) {
  std::string moves;
  for (const auto& [pool, share] : reload["moved"].as_object()) {
    char percent[32];
    std::snprintf(percent, sizeof percent, "%.1f%%", share.as_double() * 100.0);
    moves += (moves.empty() ? "" : ", ") + pool + " " + percent;
  }
  if (moves.empty()) moves = "no pools";
  if (reload["dry_run"].as_bool())
    return "dry run: valid; hash space that would move: " + moves + "\n";
  return "reload applied (generation " + number(reload["generation"]) +
         "); hash space moved: " + moves + "\n";
}

}  // namespace tether::ctl
