// The heads Tether writes for the next hop from the heads it parsed: the client's request for
// the server, the server's response for the client. Both keep the message's framing as parsed
// (a repeated Content-Length goes on once, RFC 9110 §8.6) and drop what belongs to the hop they
// came over (RFC 9110 §7.6.1: Connection, Keep-Alive, Proxy-Connection and the fields Connection
// names); each side then gets Tether's own Connection field. Pure functions: the fuzz targets
// re-parse what they write and compare the framing.
#pragma once

#include <asio/ip/address.hpp>
#include <string>
#include <string_view>

#include "lb/http/request_head.h"
#include "lb/http/response_head.h"

namespace tether::lb::http {

struct RequestForwarding {
  bool upgrade = false;          // the client's Upgrade goes on, with "Connection: upgrade"
  std::string_view drop_cookie;  // a cookie removed from Cookie fields (ours); empty: none
  asio::ip::address client;      // appended to X-Forwarded-For
};

// The whole request head for the server, blank line included.
std::string request_head_for_server(const RequestHead& request, const RequestForwarding& how);

// False for a response that an HTTP/1.0 client could not read: one with a Transfer-Encoding
// (RFC 9112 §6.1: a server MUST NOT send it to one). The session answers 502 instead.
bool readable_by(const ResponseHead& head, Version client_version);

// The response head for the client in two parts, so that the session can add fields of its own
// (Set-Cookie) between them: the status line and the server's fields into `out` (cleared
// first), then Tether's Connection field and the blank line.
void begin_response_head(const ResponseHead& head, Version version, std::string& out);
void end_response_head(Version version, bool close, std::string& out);

}  // namespace tether::lb::http
