#include "lb/http/cookie_header.h"

#include "lb/http/tokens.h"

namespace tether::lb::http {
namespace {

// One ';'-separated segment of a Cookie value, trimmed. Browsers send "name=value" without
// spaces around '='; the trim tolerates hand-written clients without changing what we match.
struct CookiePair {
  std::string_view text;  // the whole trimmed segment
  std::string_view name;
  std::string_view value;
  bool has_equals = false;
};

CookiePair split_pair(std::string_view segment) {
  CookiePair pair;
  pair.text = trim_ows(segment);
  const std::size_t equals = pair.text.find('=');
  if (equals == std::string_view::npos) {
    pair.name = pair.text;
    return pair;
  }
  pair.has_equals = true;
  pair.name = trim_ows(pair.text.substr(0, equals));
  pair.value = trim_ows(pair.text.substr(equals + 1));
  return pair;
}

// Calls visit(pair, offset of pair.text in `value`) for each non-empty segment.
template <typename Visit>
void for_each_pair(std::string_view value, Visit&& visit) {
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t semicolon = value.find(';', start);
    if (semicolon == std::string_view::npos) semicolon = value.size();
    const CookiePair pair = split_pair(value.substr(start, semicolon - start));
    if (!pair.text.empty()) {
      const auto offset = static_cast<std::size_t>(pair.text.data() - value.data());
      if (!visit(pair, offset)) return;
    }
    start = semicolon + 1;
  }
}

}  // namespace

std::optional<std::string_view> find_cookie(const std::vector<Header>& headers,
                                            std::string_view name) {
  std::optional<std::string_view> found;
  for (const Header& header : headers) {
    if (!iequals(header.name, "cookie")) continue;
    for_each_pair(header.value, [&](const CookiePair& pair, std::size_t) {
      if (pair.has_equals && pair.name == name) found = pair.value;
      return !found.has_value();
    });
    if (found) break;
  }
  return found;
}

std::string remove_cookie(std::string_view cookie_header_value, std::string_view name) {
  std::string kept;
  kept.reserve(cookie_header_value.size());
  std::size_t previous_end = 0;  // end of the previous pair, kept or not
  bool first = true;
  for_each_pair(cookie_header_value, [&](const CookiePair& pair, std::size_t offset) {
    const std::size_t end = offset + pair.text.size();
    if (pair.has_equals && pair.name == name) {
      previous_end = end;
      return true;
    }
    // The separator before a kept pair is the one the client wrote ("; " or ";"); a pair
    // that becomes first loses it.
    if (!first) kept.append(cookie_header_value.substr(previous_end, offset - previous_end));
    kept.append(pair.text);
    first = false;
    previous_end = end;
    return true;
  });
  return kept;
}

}  // namespace tether::lb::http
