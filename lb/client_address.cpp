#include "lb/client_address.h"

#include "lb/affinity_key.h"

namespace tether::lb {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

bool is_trusted(const asio::ip::address& peer, const std::vector<config::Cidr>& trusted) {
  for (const auto& cidr : trusted)
    if (cidr.contains(peer)) return true;
  return false;
}

asio::ip::address client_from_forwarded_for(const asio::ip::address& peer,
                                            std::string_view forwarded_for,
                                            const std::vector<config::Cidr>& trusted) {
  if (!is_trusted(peer, trusted)) return peer;
  asio::ip::address client = peer;
  while (!forwarded_for.empty()) {
    const auto comma = forwarded_for.rfind(',');
    const auto entry =
        trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for =
        comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    std::error_code ec;
    const auto address = asio::ip::make_address(std::string(entry), ec);
    if (ec) break;
    client = canonical(address);
    if (!is_trusted(client, trusted)) break;
  }
  return client;
}

}  // namespace tether::lb
