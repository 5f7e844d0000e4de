// Fuzz target: the HTTP/1.1 response parser, as a session reads a server's bytes. The first
// input byte picks the method of the request being answered (GET, HEAD, CONNECT or POST; it
// changes how the body is framed); the rest is what the server sends: interim 1xx heads, which
// are skipped as the session forwards them, then the final head and its body. Checked, besides
// memory safety:
//  - a complete head is exactly find_head_end long, its status is 100..599, every view lies
//    inside it and holds no CR or LF; the head alone parses the same, its prefix is incomplete;
//  - the body rules of RFC 9112 §6.3: HEAD, 1xx, 204 and 304 have none, a body running until
//    close never keeps the connection alive, a length is never 0;
//  - every error is a 502;
//  - a chunked body is framed alike whatever the read boundaries;
//  - the head written for an HTTP/1.1 or 1.0 client (forward_head.h), when it can read one at
//    all, parses to the same status and framing, and keeps the connection as it says.
#include <array>
#include <string_view>

#include "lb/http/forward_head.h"
#include "lb/http/response_head.h"
#include "lb/http/tokens.h"
#include "tests/fuzz/fuzz_target.h"
#include "tests/fuzz/http_checks.h"

namespace tether::fuzz {
namespace {

using lb::http::BodyKind;
using lb::http::Header;
using lb::http::Parse;
using lb::http::ParseError;
using lb::http::ResponseHead;

constexpr std::array<std::string_view, 4> kMethods = {"GET", "HEAD", "CONNECT", "POST"};

bool same_head(const ResponseHead& a, const ResponseHead& b) {
  if (a.headers.size() != b.headers.size()) return false;
  for (std::size_t i = 0; i < a.headers.size(); ++i) {
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) {
      return false;
    }
  }
  return a.version == b.version && a.status == b.status && a.reason == b.reason &&
         a.body == b.body && a.content_length == b.content_length && a.keep_alive == b.keep_alive &&
         a.size == b.size;
}

void check_complete(std::string_view data, std::string_view method, const ResponseHead& head) {
  FUZZ_CHECK(head.size == lb::http::find_head_end(data, 0));
  FUZZ_CHECK(head.size <= lb::http::kMaxHeadSize);
  const std::string_view bytes = data.substr(0, head.size);
  FUZZ_CHECK(head.status >= 100 && head.status <= 599);
  FUZZ_CHECK(inside(head.reason, bytes) && !has_line_break(head.reason));
  FUZZ_CHECK(head.headers.size() <= lb::http::kMaxHeaders);
  for (const Header& header : head.headers) {
    FUZZ_CHECK(inside(header.name, bytes) && lb::http::is_token(header.name));
    FUZZ_CHECK(inside(header.value, bytes) && !has_line_break(header.value));
  }

  const bool bodiless =
      method == "HEAD" || head.status < 200 || head.status == 204 || head.status == 304;
  if (bodiless) FUZZ_CHECK(head.body == BodyKind::none);
  if (head.body == BodyKind::until_close) FUZZ_CHECK(!head.keep_alive);
  if (head.body == BodyKind::length) {
    FUZZ_CHECK(head.content_length > 0 && head.content_length <= lb::http::kMaxContentLength);
  }

  ResponseHead fresh;
  ParseError error;
  FUZZ_CHECK(lb::http::parse_response(bytes, method, fresh, error) == Parse::complete);
  FUZZ_CHECK(same_head(head, fresh));
  FUZZ_CHECK(lb::http::parse_response(bytes.substr(0, head.size - 1), method, fresh, error) ==
             Parse::incomplete);
}

// What the client reads where the response ends must be what Tether read.
void check_forwarded(std::string_view method, const ResponseHead& head, bool close_wanted) {
  for (const auto version : {lb::http::Version::http11, lb::http::Version::http10}) {
    if (!lb::http::readable_by(head, version)) continue;  // the session answers 502
    const bool close = close_wanted || head.body == BodyKind::until_close;
    std::string out;
    lb::http::begin_response_head(head, version, out);
    lb::http::end_response_head(version, close, out);
    // A Connection field is added: a head at the limits may go over them.
    if (out.size() > lb::http::kMaxHeadSize || head.headers.size() + 1 > lb::http::kMaxHeaders)
      continue;
    ResponseHead again;
    ParseError error;
    FUZZ_CHECK(lb::http::parse_response(out, method, again, error) == Parse::complete);
    FUZZ_CHECK(again.size == out.size() && again.version == version);
    FUZZ_CHECK(again.status == head.status && again.reason == head.reason);
    FUZZ_CHECK(again.body == head.body && again.content_length == head.content_length);
    FUZZ_CHECK(again.keep_alive == !close);
  }
}

}  // namespace

void run_http_response(std::string_view input) {
  if (input.empty()) return;
  const std::string_view method = kMethods[static_cast<unsigned char>(input[0]) % kMethods.size()];
  std::string_view data = input.substr(1);

  static ResponseHead head;  // reused, as one server connection reuses it
  ParseError error;
  for (;;) {
    switch (lb::http::parse_response(data, method, head, error)) {
      case Parse::complete:
        check_complete(data, method, head);
        break;
      case Parse::error:
        FUZZ_CHECK(error.status == 502);
        FUZZ_CHECK(error.reason != nullptr && *error.reason != '\0');
        return;
      case Parse::incomplete:
        FUZZ_CHECK(lb::http::find_head_end(data, 0) == std::string_view::npos);
        FUZZ_CHECK(data.size() < lb::http::kMaxHeadSize);
        return;
    }
    // An interim response (but 101, which switches protocols) is followed by the next head.
    if (head.status >= 200 || head.status == 101) break;
    data.remove_prefix(head.size);
  }
  if (head.status != 101) check_forwarded(method, head, input[0] & 0x80);
  if (head.body == BodyKind::chunked) {
    check_chunked_framer(data.substr(head.size), static_cast<unsigned char>(input[0]) * 31u);
  }
}

}  // namespace tether::fuzz

TETHER_FUZZ_TARGET(run_http_response)
