// A parsed header field and the look-ups the proxy makes on a head's field list.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

namespace tether::lb::http {

struct Header {
  std::string_view name;   // as sent (case preserved); a view into the caller's buffer
  std::string_view value;  // trimmed of leading and trailing OWS
};

// Value of the first field called `name` (case-insensitive), or an empty view when there is none.
std::string_view header_value(const std::vector<Header>& headers, std::string_view name);

// The one length that a head's Content-Length fields state. Several fields, or a list
// ("42, 42"), pass the head's checks only when every element is the same length, and RFC 9110
// §8.6 has a proxy send them on as one field with one value: a strict next hop would refuse the
// repeats. This returns the first element of the first field's value.
std::string_view content_length_value(std::string_view value);

// The options a head's Connection fields list (RFC 9110 §7.6.1): the fields they name belong to
// this hop, and a proxy removes them before forwarding ("Connection: foo" with "Foo: 1", or
// HTTP2-Settings next to an h2c Upgrade). close and keep-alive name no field, and the fields that
// frame or route the message (Content-Length, Transfer-Encoding, Host) are never this hop's alone.
// Up to kMax options are kept: a head naming more keeps its further ones (no real client sends so
// many).
class ConnectionOptions {
 public:
  explicit ConnectionOptions(const std::vector<Header>& headers);
  bool names(std::string_view field) const;  // case-insensitive

 private:
  static constexpr std::size_t kMax = 8;
  std::array<std::string_view, kMax> options_;
  std::size_t count_ = 0;
};

}  // namespace tether::lb::http
