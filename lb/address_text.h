// Addresses as text on the data path (X-Forwarded-For, the access log), appended to a string
// without asio's to_string: inet_ntop formats IPv4 through printf, and to_string allocates.
#pragma once

#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <string>

namespace tether::lb {

// "192.0.2.7", "2001:db8::7".
void append_address(std::string& out, const asio::ip::address& address);
// "192.0.2.7:443", "[2001:db8::7]:443".
void append_endpoint(std::string& out, const asio::ip::tcp::endpoint& endpoint);

}  // namespace tether::lb
