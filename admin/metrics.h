// GET /metrics: the running daemon in the Prometheus text format, every name prefixed tether_
// (SPEC §6; the list with meanings is docs/admin-api.md "Metrics"). Control thread only: it reads
// health results, which that thread alone writes; counters are atomics read relaxed.
#pragma once

#include <string>

#include "lb/daemon.h"

namespace tether::admin {

std::string metrics_text(const lb::Daemon& daemon);

}  // namespace tether::admin
