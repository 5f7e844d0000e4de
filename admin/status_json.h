// The JSON views of a running daemon that the admin API answers with (docs/admin-api.md): the
// status document and one server's object. Control thread only: drain deadlines and health
// results are written by that thread alone, and reading them there needs no lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "admin/json_writer.h"
#include "lb/daemon.h"

namespace tether::admin {

// RFC 3339 in UTC, whole seconds: "2026-11-22T04:35:03Z".
std::string format_time(std::chrono::system_clock::time_point time);

// A pool's live stick entries (those not yet past their timeout; expired ones still waiting for
// the sweep are left out), in total and per server id. Visits the whole table, one shard lock at
// a time: admin use only, never the data path.
struct StickCounts {
  std::uint64_t live = 0;
  std::vector<std::uint64_t> per_server;  // index = server id
};
StickCounts count_stick_entries(const lb::Pool& pool, lb::Clock::time_point now);

// The server's object as in status; `pinned` is its number of live stick entries.
void write_server(JsonWriter& json, const lb::Daemon& daemon, const lb::Pool& pool,
                  const lb::Server& server, std::uint64_t pinned);
std::string server_json(const lb::Daemon& daemon, const lb::Pool& pool, const lb::Server& server);

// GET /api/v1/status.
std::string status_json(const lb::Daemon& daemon);

}  // namespace tether::admin
