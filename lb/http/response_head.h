// Strict HTTP/1.1 response head parser (RFC 9112 §4, §6). The server side of a connection is
// trusted more than the client side, but a response whose framing is ambiguous would desync our
// client connection, so it is refused (502) by the same rules as requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "lb/http/head.h"
#include "lb/http/header_fields.h"

namespace tether::lb::http {

struct ResponseHead {
  Version version = Version::http11;
  unsigned status = 0;          // 100..599
  std::string_view reason;      // may be empty
  std::vector<Header> headers;  // cleared, capacity kept, like RequestHead::headers
  BodyKind body = BodyKind::none;
  std::uint64_t content_length = 0;  // meaningful when body == BodyKind::length
  bool keep_alive = false;           // false whenever the body runs until close
  std::size_t size = 0;              // bytes of the head including its final CRLF
};

// Parses the response head at the start of `data`, given the method of the request it answers
// (the body of a HEAD response, or of a 2xx to CONNECT, is framed differently; RFC 9112 §6.3).
// Body rules: HEAD, 1xx, 204 and 304 have none; a 2xx to CONNECT turns into a tunnel
// (until_close); chunked as the final coding is chunked, any other coding runs until close;
// Content-Length is a length; neither is until_close. Every error is status 502.
// A 1xx is a complete head of its own: the caller forwards it and parses the next one.
Parse parse_response(std::string_view data, std::string_view request_method, ResponseHead& out,
                     ParseError& error);

}  // namespace tether::lb::http
