#include "lb/http/response_head.h"

#include "lb/http/head_scan.h"
#include "lb/http/tokens.h"

namespace tether::lb::http {
namespace {

Parse fail(ParseError& error, const char* reason) {
  error = ParseError{502, reason};
  return Parse::error;
}

bool parse_status(std::string_view text, unsigned& status) {
  if (text.size() != 3) return false;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value < 100 || value > 599) return false;
  status = value;
  return true;
}

void reset(ResponseHead& out) {
  out.version = Version::http11;
  out.status = 0;
  out.reason = {};
  out.headers.clear();
  out.body = BodyKind::none;
  out.content_length = 0;
  out.keep_alive = false;
  out.size = 0;
}

}  // namespace

Parse parse_response(std::string_view data, std::string_view request_method, ResponseHead& out,
                     ParseError& error) {
  const std::size_t end = find_head_end(data, 0);
  if (end == std::string_view::npos) {
    if (data.size() >= kMaxHeadSize) return fail(error, "response head too large");
    return Parse::incomplete;
  }
  if (end > kMaxHeadSize) return fail(error, "response head too large");
  reset(out);

  detail::HeadLines lines(data.substr(0, end));
  std::string_view line;
  if (lines.next(line) != detail::HeadLines::Next::line) {
    return fail(error, "malformed status line");
  }
  // status-line = HTTP-version SP status-code SP [ reason-phrase ]. The SP before an empty
  // reason is required of senders, but some servers omit it; that reading is unambiguous.
  if (line.size() < 12 || line[8] != ' ') return fail(error, "malformed status line");
  switch (detail::parse_version(line.substr(0, 8))) {
    case detail::VersionSyntax::http10:
      out.version = Version::http10;
      break;
    case detail::VersionSyntax::http11:
      out.version = Version::http11;
      break;
    case detail::VersionSyntax::unsupported:
    case detail::VersionSyntax::malformed:
      return fail(error, "unsupported or malformed HTTP version");
  }
  if (!parse_status(line.substr(9, 3), out.status)) return fail(error, "invalid status code");
  if (line.size() > 12) {
    if (line[12] != ' ') return fail(error, "malformed status line");
    out.reason = line.substr(13);
    for (char c : out.reason) {
      if (!is_field_value_char(static_cast<unsigned char>(c))) {
        return fail(error, "control character in reason phrase");
      }
    }
  }

  detail::FieldFacts facts;
  const char* reason = "";
  if (detail::scan_fields(lines, out.headers, facts, reason) != detail::FieldsResult::ok) {
    return fail(error, reason);
  }

  const bool http11 = out.version == Version::http11;
  if (facts.transfer_encoding_present) {
    // RFC 9112 §6.1: Transfer-Encoding in a 1.0 message means faulty framing; §6.3: with
    // Content-Length it "ought to be handled as an error". Either would desync the client.
    if (!http11) return fail(error, "Transfer-Encoding in HTTP/1.0 response");
    if (facts.content_length_present) {
      return fail(error, "both Transfer-Encoding and Content-Length");
    }
  }

  const unsigned status = out.status;
  if (request_method == "HEAD" || status < 200 || status == 204 || status == 304) {
    out.body = BodyKind::none;
  } else if (request_method == "CONNECT" && status < 300) {
    out.body = BodyKind::until_close;
  } else if (facts.transfer_encoding_present) {
    // A response may use codings we do not know: the body is relayed as is, only its end
    // matters, and without chunked last the end is the server closing (RFC 9112 §6.3).
    out.body = facts.chunked_final ? BodyKind::chunked : BodyKind::until_close;
  } else if (facts.content_length_present) {
    out.body = facts.content_length > 0 ? BodyKind::length : BodyKind::none;
    out.content_length = facts.content_length;
  } else {
    out.body = BodyKind::until_close;
  }

  out.keep_alive = out.body != BodyKind::until_close && !facts.connection_close &&
                   (http11 || facts.connection_keep_alive);
  out.size = end;
  return Parse::complete;
}

}  // namespace tether::lb::http
