#include "lb/http/header_fields.h"

#include <array>

#include "lb/http/tokens.h"

namespace tether::lb::http {

std::string_view header_value(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& header : headers) {
    if (iequals(header.name, name)) return header.value;
  }
  return {};
}

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::array<std::string_view, 6> kHopByHop = {
      "connection", "proxy-connection", "keep-alive", "te", "transfer-encoding", "upgrade"};
  for (std::string_view hop : kHopByHop) {
    if (iequals(name, hop)) return true;
  }
  return false;
}

}  // namespace tether::lb::http
