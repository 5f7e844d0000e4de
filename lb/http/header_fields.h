// A parsed header field and the look-ups the proxy makes on a head's field list.
#pragma once

#include <string_view>
#include <vector>

namespace tether::lb::http {

struct Header {
  std::string_view name;   // as sent (case preserved); a view into the caller's buffer
  std::string_view value;  // trimmed of leading and trailing OWS
};

// Value of the first field called `name` (case-insensitive), or an empty view when there is none.
std::string_view header_value(const std::vector<Header>& headers, std::string_view name);

// The fields RFC 9110 §7.6.1 defines as connection-specific: Connection, Proxy-Connection,
// Keep-Alive, TE, Transfer-Encoding, Upgrade. A proxy must not forward them blindly; fields that
// a Connection header names are hop-by-hop too, which the caller checks against the head.
// Transfer-Encoding is in the list, yet because Tether forwards chunked bodies unchanged, a
// caller relaying a chunked body keeps that field.
bool is_hop_by_hop(std::string_view name);

}  // namespace tether::lb::http
