// SPEC §3 durations: one non-negative integer and a unit, `500ms`, `5s`, `20m`, `1h`. A bare
// number is refused (is `5` seconds or milliseconds?) except `0`, which means "off".
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "config/parsed.h"

namespace tether::config {

Parsed<Duration> parse_duration(std::string_view text);

// The shortest exact spelling in the largest unit that fits: 1200000ms -> "20m", 90s -> "90s",
// 1500ms -> "1500ms", 0 -> "0". parse_duration(format_duration(d)) == d.
std::string format_duration(Duration);

}  // namespace tether::config
