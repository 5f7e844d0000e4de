#include "lb/http/request_head.h"

#include "lb/http/head_scan.h"
#include "lb/http/tokens.h"

namespace tether::lb::http {
namespace {

Parse fail(ParseError& error, unsigned status, const char* reason) {
  error = ParseError{status, reason};
  return Parse::error;
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1), followed by ":".
bool starts_with_scheme(std::string_view target) {
  const std::size_t colon = target.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(target[0])) return false;
  for (char c : target.substr(0, colon)) {
    if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// RFC 9112 §3.2: which request-target form each method may use (CONNECT's authority-form is
// refused before this).
bool valid_target(std::string_view method, std::string_view target) {
  for (char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;  // SP and CTLs; obs-text is let through
    if (c == '#') return false;  // a fragment is the client's own; no form carries one
  }
  if (target.front() == '/') return true;
  if (target == "*") return method == "OPTIONS";
  return starts_with_scheme(target);
}

void reset(RequestHead& out) {
  out.method = {};
  out.target = {};
  out.version = Version::http11;
  out.headers.clear();
  out.body = BodyKind::none;
  out.content_length = 0;
  out.keep_alive = false;
  out.expect_continue = false;
  out.upgrade = false;
  out.size = 0;
}

}  // namespace

Parse parse_request(std::string_view data, RequestHead& out, ParseError& error) {
  const std::size_t end = find_head_end(data, 0);
  if (end == std::string_view::npos) {
    if (data.size() >= kMaxHeadSize) return fail(error, 431, "request head too large");
    return Parse::incomplete;
  }
  if (end > kMaxHeadSize) return fail(error, 431, "request head too large");
  reset(out);

  detail::HeadLines lines(data.substr(0, end));
  std::string_view line;
  detail::HeadLines::Next next = lines.next(line);
  if (next == detail::HeadLines::Next::end) next = lines.next(line);  // one leading CRLF
  if (next != detail::HeadLines::Next::line) return fail(error, 400, "malformed request line");

  // request-line = method SP request-target SP HTTP-version, single spaces (RFC 9112 §3).
  const std::size_t first_space = line.find(' ');
  if (first_space == std::string_view::npos) return fail(error, 400, "malformed request line");
  const std::string_view method = line.substr(0, first_space);
  const std::string_view rest = line.substr(first_space + 1);
  const std::size_t second_space = rest.find(' ');
  if (second_space == std::string_view::npos) return fail(error, 400, "malformed request line");
  const std::string_view target = rest.substr(0, second_space);
  const std::string_view version = rest.substr(second_space + 1);
  if (!is_token(method)) return fail(error, 400, "invalid method");
  // A tunnel to anywhere is a forward proxy's job; in front of a pool it is never wanted.
  if (method == "CONNECT") return fail(error, 501, "CONNECT is not supported by a reverse proxy");
  switch (detail::parse_version(version)) {
    case detail::VersionSyntax::http10:
      out.version = Version::http10;
      break;
    case detail::VersionSyntax::http11:
      out.version = Version::http11;
      break;
    case detail::VersionSyntax::unsupported:
      return fail(error, 505, "HTTP version not supported");
    case detail::VersionSyntax::malformed:
      return fail(error, 400, "malformed HTTP version");
  }
  if (target.empty() || !valid_target(method, target)) {
    return fail(error, 400, "invalid request target");
  }
  out.method = method;
  out.target = target;

  detail::FieldFacts facts;
  const char* reason = "";
  switch (detail::scan_fields(lines, out.headers, facts, reason)) {
    case detail::FieldsResult::ok:
      break;
    case detail::FieldsResult::too_many:
      return fail(error, 431, reason);
    case detail::FieldsResult::malformed:
      return fail(error, 400, reason);
  }

  const bool http11 = out.version == Version::http11;
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1; never several (which one would the server use?).
  if (facts.host_count > 1 || (http11 && facts.host_count == 0)) {
    return fail(error, 400, "missing or repeated Host");
  }

  // Message body length, RFC 9112 §6.1 and §6.3.
  if (facts.transfer_encoding_present) {
    // An HTTP/1.0 server would take the body as unframed; the two readings differ.
    if (!http11) return fail(error, 400, "Transfer-Encoding in HTTP/1.0 request");
    // Both present "ought to be handled as an error" (§6.3): it is the smuggling pattern.
    if (facts.content_length_present) {
      return fail(error, 400, "both Transfer-Encoding and Content-Length");
    }
    if (facts.unknown_coding) return fail(error, 501, "unsupported transfer coding");
    // §6.3: chunked not final in a request means the length cannot be known: 400 and close.
    if (!facts.chunked_final) return fail(error, 400, "chunked is not the final transfer coding");
    out.body = BodyKind::chunked;
  } else if (facts.content_length_present && facts.content_length > 0) {
    out.body = BodyKind::length;
    out.content_length = facts.content_length;
  }

  out.keep_alive = !facts.connection_close && (http11 || facts.connection_keep_alive);
  // RFC 9110 §10.1.1 and §7.8: an HTTP/1.0 request's Expect and Upgrade are ignored.
  out.expect_continue = http11 && facts.expect_continue;
  out.upgrade = http11 && facts.connection_upgrade && facts.upgrade_present;
  out.size = end;
  return Parse::complete;
}

}  // namespace tether::lb::http
