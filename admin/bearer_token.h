// The admin API's bearer token check (RFC 6750 §2.1: "Authorization: Bearer <token>").
#pragma once

#include <string>
#include <string_view>

namespace tether::admin {

// Whether an Authorization header value presents `token`. The comparison takes the same time
// wherever the presented token differs from the right one, so timing does not reveal a prefix.
// An empty `token` matches nothing.
bool bearer_matches(const std::string* authorization, std::string_view token);

}  // namespace tether::admin
