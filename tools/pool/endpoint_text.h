// Endpoints as people write them: "127.0.0.1:8081", "[::1]:8081".
#pragma once

#include <asio/ip/tcp.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tether::pool {

std::string to_string(const asio::ip::tcp::endpoint& endpoint);

// An IP literal, optionally in brackets ("::1", "[::1]", "127.0.0.1").
std::optional<asio::ip::address> parse_address(std::string_view text);

// "ADDR:PORT" with ADDR an IP literal, IPv6 in brackets.
std::optional<asio::ip::tcp::endpoint> parse_endpoint(std::string_view text);

}  // namespace tether::pool
