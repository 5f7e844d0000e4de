#include "tools/pool/endpoint_text.h"

#include <charconv>

namespace tether::pool {

std::string to_string(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const auto port = std::to_string(endpoint.port());
  if (address.is_v6()) return "[" + address.to_string() + "]:" + port;
  return address.to_string() + ":" + port;
}

std::optional<asio::ip::address> parse_address(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  std::error_code ec;
  const auto address = asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return address;
}

std::optional<asio::ip::tcp::endpoint> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto host = text.substr(0, colon);
  const auto port_text = text.substr(colon + 1);
  if (host.empty()) return std::nullopt;
  // A bare IPv6 address ("::1:80") is ambiguous; require brackets for it.
  if (host.find(':') != std::string_view::npos && host.front() != '[') return std::nullopt;
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return std::nullopt;
  }
  const auto address = parse_address(host);
  if (!address) return std::nullopt;
  return asio::ip::tcp::endpoint(*address, static_cast<unsigned short>(port));
}

}  // namespace tether::pool
