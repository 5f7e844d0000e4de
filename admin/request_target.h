// A request target split for routing: percent-decoded path segments and query parameters
// ("/api/v1/pools/web/affinity?client=10.1.2.3" -> {api, v1, pools, web, affinity},
// {client: 10.1.2.3}). Pure code.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/parsed.h"

namespace tether::admin {

struct RequestTarget {
  // Between slashes, decoded; "/a//b/" gives {a, "", b, ""}, so such paths match no route.
  std::vector<std::string> segments;
  std::vector<std::pair<std::string, std::string>> query;  // in order, decoded

  // The first value of query parameter `name`, or null.
  const std::string* parameter(std::string_view name) const;
};

// Refuses a malformed percent-escape ("%4", "%zz").
config::Parsed<RequestTarget> parse_target(std::string_view target);

// RFC 3986 percent-decoding ('+' stays '+').
config::Parsed<std::string> percent_decode(std::string_view text);

}  // namespace tether::admin
