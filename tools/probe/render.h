// The report as people and scripts read it. Pure functions of a Report: the same report renders
// the same bytes.
#pragma once

#include <string>
#include <string_view>

#include "tools/probe/tally.h"

namespace tether::probe {

// The summary lines and the per-server distribution, for a terminal.
std::string render_table(const Report& report);

// What to tell the user when no answer carried `server_header`, so no server could be told
// apart: the statuses that came back, and the header advice only when some were successful.
// Empty when some answer named its server, or nothing was answered.
std::string attribution_warning(const Report& report, std::string_view server_header);

// One JSON object (SPEC §7 fields and more), written by hand: no JSON library in our deps.
std::string render_json(const Report& report);

// A self-contained SVG: clients per server as bars with the mean as a dashed line, and for a
// scenario a pair of bars for the required and needless moves.
std::string render_svg(const Report& report);

}  // namespace tether::probe
