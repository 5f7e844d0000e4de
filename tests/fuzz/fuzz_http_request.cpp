// Fuzz target: the HTTP/1.1 request parser and what the session does with a request's bytes.
// The input is what a client sends: a head, then whatever follows it (a chunked body when the
// head says so). Checked, besides memory safety:
//  - find_head_end fed byte by byte or in pieces finds the end one call finds;
//  - a complete head is exactly that long, within kMaxHeadSize; every view lies inside it and
//    holds no CR or LF; the head alone parses the same, its prefix is incomplete, and a reused
//    RequestHead parses like a fresh one;
//  - an error carries a request status (400, 431, 501, 505); incomplete means no end yet;
//  - a chunked body is framed alike whatever the read boundaries;
//  - the affinity cookie is found inside a Cookie field, and removing it removes it;
//  - the head written for the server (forward_head.h) parses to the same request line, Host and
//    framing, and keeps the server connection alive (within the head limits).
#include <string_view>

#include "lb/http/cookie_header.h"
#include "lb/http/forward_head.h"
#include "lb/http/request_head.h"
#include "lb/http/tokens.h"
#include "tests/fuzz/fuzz_target.h"
#include "tests/fuzz/http_checks.h"

namespace tether::fuzz {
namespace {

using lb::http::BodyKind;
using lb::http::Header;
using lb::http::Parse;
using lb::http::ParseError;
using lb::http::RequestHead;

constexpr std::string_view kCookieName = "MS-WSMAN";  // the SPEC §4 default

bool same_head(const RequestHead& a, const RequestHead& b) {
  if (a.headers.size() != b.headers.size()) return false;
  for (std::size_t i = 0; i < a.headers.size(); ++i) {
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) {
      return false;
    }
  }
  return a.method == b.method && a.target == b.target && a.version == b.version &&
         a.body == b.body && a.content_length == b.content_length && a.keep_alive == b.keep_alive &&
         a.expect_continue == b.expect_continue && a.upgrade == b.upgrade && a.size == b.size;
}

// What the server reads where the request ends must be what Tether read: no field that
// Connection names, no repeat, nothing Tether adds may change the framing.
void check_forwarded(const RequestHead& head) {
  const bool upgrade = head.upgrade && head.body == BodyKind::none;  // as the session decides
  const std::string forwarded =
      lb::http::request_head_for_server(head, {.upgrade = upgrade,
                                               .drop_cookie = kCookieName,
                                               .client = asio::ip::make_address_v4("192.0.2.7")});
  // X-Forwarded-For and Connection are added: a head at the limits may go over them.
  if (forwarded.size() > lb::http::kMaxHeadSize || head.headers.size() + 2 > lb::http::kMaxHeaders)
    return;
  RequestHead again;
  ParseError error;
  FUZZ_CHECK(lb::http::parse_request(forwarded, again, error) == Parse::complete);
  FUZZ_CHECK(again.size == forwarded.size());
  FUZZ_CHECK(again.method == head.method && again.target == head.target &&
             again.version == head.version);
  FUZZ_CHECK(again.body == head.body && again.content_length == head.content_length);
  FUZZ_CHECK(again.keep_alive && again.upgrade == upgrade);
  FUZZ_CHECK(lb::http::header_value(again.headers, "host") ==
             lb::http::header_value(head.headers, "host"));
}

void check_complete(std::string_view data, const RequestHead& head) {
  FUZZ_CHECK(head.size == lb::http::find_head_end(data, 0));
  FUZZ_CHECK(head.size <= lb::http::kMaxHeadSize);
  const std::string_view bytes = data.substr(0, head.size);
  FUZZ_CHECK(!head.method.empty() && inside(head.method, bytes) && lb::http::is_token(head.method));
  FUZZ_CHECK(!head.target.empty() && inside(head.target, bytes) && !has_line_break(head.target));
  FUZZ_CHECK(head.headers.size() <= lb::http::kMaxHeaders);
  for (const Header& header : head.headers) {
    FUZZ_CHECK(inside(header.name, bytes) && lb::http::is_token(header.name));
    FUZZ_CHECK(inside(header.value, bytes) && !has_line_break(header.value));
  }
  FUZZ_CHECK(head.body != BodyKind::until_close);
  FUZZ_CHECK((head.body == BodyKind::length) == (head.content_length > 0));
  FUZZ_CHECK(head.content_length <= lb::http::kMaxContentLength);

  // The head alone, into a fresh RequestHead: the same request (nothing read past the head,
  // nothing left over from the previous input in the reused one).
  RequestHead fresh;
  ParseError error;
  FUZZ_CHECK(lb::http::parse_request(bytes, fresh, error) == Parse::complete);
  FUZZ_CHECK(same_head(head, fresh));
  FUZZ_CHECK(lb::http::parse_request(bytes.substr(0, head.size - 1), fresh, error) ==
             Parse::incomplete);

  if (head.body == BodyKind::chunked) {
    check_chunked_framer(data.substr(head.size), head.size);
  }

  if (const auto value = lb::http::find_cookie(head.headers, kCookieName)) {
    bool in_a_field = false;
    for (const Header& header : head.headers) {
      in_a_field =
          in_a_field || (lb::http::iequals(header.name, "cookie") && inside(*value, header.value));
    }
    FUZZ_CHECK(in_a_field);
  }
  for (const Header& header : head.headers) {
    if (lb::http::iequals(header.name, "cookie")) check_cookie_removal(header.value, kCookieName);
  }
  check_forwarded(head);
}

}  // namespace

void run_http_request(std::string_view data) {
  check_head_end_is_split_invariant(data);

  static RequestHead head;  // reused across inputs, as one keep-alive connection reuses it
  ParseError error;
  switch (lb::http::parse_request(data, head, error)) {
    case Parse::complete:
      check_complete(data, head);
      break;
    case Parse::error:
      FUZZ_CHECK(error.status == 400 || error.status == 431 || error.status == 501 ||
                 error.status == 505);
      FUZZ_CHECK(error.reason != nullptr && *error.reason != '\0');
      break;
    case Parse::incomplete:
      FUZZ_CHECK(lb::http::find_head_end(data, 0) == std::string_view::npos);
      FUZZ_CHECK(data.size() < lb::http::kMaxHeadSize);
      break;
  }
}

}  // namespace tether::fuzz

TETHER_FUZZ_TARGET(run_http_request)
