// Reading and removing one cookie in Cookie request headers (RFC 6265 §4.2: cookie-pair
// *( ";" SP cookie-pair )). Used for the MS-WSMAN affinity cookie (SPEC §4): the balancer reads
// its own cookie and strips it before forwarding, leaving every other cookie as the client sent it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lb/http/header_fields.h"

namespace tether::lb::http {

// Value of the first cookie called `name` (case-sensitive, as cookie names are) across all
// Cookie fields in order, as sent (a quoted value keeps its quotes). nullopt if absent.
std::optional<std::string_view> find_cookie(const std::vector<Header>& headers,
                                            std::string_view name);

// `cookie_header_value` without any cookie called `name` (every occurrence: a client must not
// smuggle a second copy to the server). Each remaining pair keeps its bytes and the separator
// written before it, except the first remaining pair, which has none. Returns "" when nothing
// remains (the caller then drops the Cookie field).
std::string remove_cookie(std::string_view cookie_header_value, std::string_view name);

}  // namespace tether::lb::http
