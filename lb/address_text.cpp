#include "lb/address_text.h"

#include <charconv>

namespace tether::lb {

void append_address(std::string& out, const asio::ip::address& address) {
  if (!address.is_v4()) {
    out.append(address.to_string());
    return;
  }
  const auto bytes = address.to_v4().to_bytes();
  char text[16];
  char* p = text;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i) *p++ = '.';
    p = std::to_chars(p, text + sizeof text, bytes[i]).ptr;
  }
  out.append(text, p);
}

void append_endpoint(std::string& out, const asio::ip::tcp::endpoint& endpoint) {
  const bool v6 = endpoint.address().is_v6();
  if (v6) out.push_back('[');
  append_address(out, endpoint.address());
  out.append(v6 ? "]:" : ":");
  char port[8];
  out.append(port, std::to_chars(port, port + sizeof port, endpoint.port()).ptr);
}

}  // namespace tether::lb
