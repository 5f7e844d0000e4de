// Strict HTTP/1.1 request head parser (RFC 9112 §3, §5, §6). Strict because Tether sits in front
// of servers that parse on their own: wherever two readings of a message are possible (two
// lengths, a folded line, a bare LF, whitespace before a colon) we refuse it instead of picking
// one, so the server can never see a different request boundary than we do (request smuggling).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "lb/http/head.h"
#include "lb/http/header_fields.h"

namespace tether::lb::http {

struct RequestHead {
  std::string_view method;  // case-sensitive token ("GET", "HEAD", ...)
  std::string_view target;  // origin-, absolute-, authority- (CONNECT) or asterisk-form (OPTIONS)
  Version version = Version::http11;
  // In order of arrival. The parser clears the vector but keeps its capacity, so one RequestHead
  // reused across a keep-alive connection does not allocate per request.
  std::vector<Header> headers;
  BodyKind body = BodyKind::none;    // never until_close: a request without CL/TE has no body
  std::uint64_t content_length = 0;  // meaningful when body == BodyKind::length
  bool keep_alive = false;           // 1.1 unless "Connection: close"; 1.0 only with keep-alive
  bool expect_continue = false;      // "Expect: 100-continue" on an HTTP/1.1 request
  bool upgrade = false;              // HTTP/1.1, "Connection: upgrade" and an Upgrade field
  std::size_t size = 0;  // bytes of the head including its final CRLF; the body starts here
};

// Parses the request head at the start of `data`. `incomplete` until the head's empty line has
// arrived (then call again with more bytes; a caller accumulating a buffer can use
// find_head_end to avoid rescanning and call this once it finds the end). On `error` the
// connection must be answered with error.status and closed: after a bad head nobody knows where
// the next request would start.
//
// One empty line before the request line is skipped (RFC 9112 §2.2: some clients send CRLF
// after a POST body); more than one is an error. The views in `out` point into `data`.
Parse parse_request(std::string_view data, RequestHead& out, ParseError& error);

}  // namespace tether::lb::http
