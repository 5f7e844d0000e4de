// Fuzz target: the cookie token decoder, as the HTTP session uses it (SPEC §4): the affinity
// cookie is looked for in a request's Cookie fields, and its value, whatever the client wrote,
// is looked up among a pool's tokens, unkeyed and keyed. The input is the Cookie fields, one per
// line. Checked, besides memory safety:
//  - find_cookie's value lies inside one of the fields;
//  - a value names a server only if it is exactly that server's token, and every server's token
//    names it (the docs/hashing.md §6 servers);
//  - removing the cookie from each field removes it and leaves the other cookies as they were.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lb/cookie_token.h"
#include "lb/http/cookie_header.h"
#include "tests/fuzz/fuzz_target.h"
#include "tests/fuzz/http_checks.h"

namespace tether::fuzz {
namespace {

constexpr std::string_view kCookieName = "MS-WSMAN";  // the SPEC §4 default
constexpr std::size_t kMaxFields = 8;

// The docs/hashing.md §6 servers, and their tokens without and with a key.
const std::array<std::string, 3> kServers = {"fe01", "fe02", "fe03"};

const std::array<lb::CookieTokens, 2>& pools() {
  static const std::array<lb::CookieTokens, 2> tokens = {
      lb::CookieTokens(kServers, 0, ""),
      lb::CookieTokens(kServers, 0, "correct horse battery staple")};
  return tokens;
}

void check_lookup(std::string_view value) {
  for (const lb::CookieTokens& pool : pools()) {
    for (std::uint32_t server = 0; server < kServers.size(); ++server)
      FUZZ_CHECK(pool.server(pool.token(server)) == server);
    if (const auto server = pool.server(value)) {
      FUZZ_CHECK(*server < kServers.size());
      FUZZ_CHECK(pool.token(*server) == value);
    }
  }
}

}  // namespace

void run_cookie_token(std::string_view input) {
  std::vector<lb::http::Header> fields;
  for (std::string_view rest = input; fields.size() < kMaxFields;) {
    const std::size_t newline = rest.find('\n');
    fields.push_back({"Cookie", rest.substr(0, newline)});
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }

  check_lookup(input);
  if (const auto value = lb::http::find_cookie(fields, kCookieName)) {
    bool in_a_field = false;
    for (const lb::http::Header& field : fields)
      in_a_field = in_a_field || inside(*value, field.value);
    FUZZ_CHECK(in_a_field);
    check_lookup(*value);
  }
  for (const lb::http::Header& field : fields)
    check_cookie_removal(field.value, kCookieName);
}

}  // namespace tether::fuzz

TETHER_FUZZ_TARGET(run_cookie_token)
