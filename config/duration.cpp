#include "config/duration.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>

namespace tether::config {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t milliseconds;
};

// Largest first: format_duration picks the first unit that divides the value exactly.
constexpr std::array<Unit, 4> kUnits{{{"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

const char* const kExpected = "expected an integer and a unit: 500ms, 5s, 20m, 1h; or 0 for off";

}  // namespace

Parsed<Duration> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  if (text.empty() || digits == 0) {
    if (!text.empty() && text.front() == '-') return failure(quoted(text) + " is negative");
    return failure(quoted(text) + " is not a duration (" + kExpected + ")");
  }

  std::uint64_t count = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, count);
  const std::string_view suffix = text.substr(digits);
  if (ec == std::errc::result_out_of_range) return failure(quoted(text) + " is too large");

  if (suffix.empty()) {
    if (count == 0) return Duration::zero();
    return failure(quoted(text) + " has no unit (" + kExpected + ")");
  }
  for (const Unit& unit : kUnits) {
    if (suffix != unit.suffix) continue;
    const auto limit =
        static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max() / unit.milliseconds);
    if (count > limit) return failure(quoted(text) + " is too large");
    return Duration(static_cast<Duration::rep>(count) * unit.milliseconds);
  }
  return failure(quoted(text) + " has an unknown unit " + quoted(suffix) + " (" + kExpected + ")");
}

std::string format_duration(Duration duration) {
  const Duration::rep ms = duration.count();
  if (ms == 0) return "0";
  for (const Unit& unit : kUnits) {
    if (ms % unit.milliseconds == 0) {
      return std::to_string(ms / unit.milliseconds) + std::string(unit.suffix);
    }
  }
  return std::to_string(ms) + "ms";  // unreachable: every count is a multiple of 1 ms
}

}  // namespace tether::config
