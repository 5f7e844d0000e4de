// Building blocks shared by parse_request and parse_response: splitting a head into lines, the
// HTTP-version syntax, and one pass over the field lines that collects the facts message framing
// depends on (RFC 9112 §6). Internal to lb/http; the callers map failures to their own status
// (400/431/501/505 for requests, 502 for responses).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "lb/http/header_fields.h"

namespace tether::lb::http::detail {

// Lines of a complete head (as delimited by find_head_end). Each line must end in CRLF; a bare
// LF makes the head malformed rather than being tolerated (see find_head_end).
class HeadLines {
 public:
  enum class Next : std::uint8_t { line, end, malformed };
  explicit HeadLines(std::string_view head) : head_(head) {}
  // A line without its CRLF; `end` at the empty line that closes the head.
  Next next(std::string_view& line);
  std::size_t position() const { return position_; }

 private:
  std::string_view head_;
  std::size_t position_ = 0;
};

enum class VersionSyntax : std::uint8_t { http10, http11, unsupported, malformed };
// "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3); well-formed but not 1.0/1.1 is
// `unsupported` (505), anything else `malformed` (400).
VersionSyntax parse_version(std::string_view text);

struct FieldFacts {
  bool content_length_present = false;
  std::uint64_t content_length = 0;
  bool transfer_encoding_present = false;
  bool chunked_final = false;   // the last transfer coding is chunked
  bool chunked_seen = false;    // chunked appears anywhere (twice is an error)
  bool unknown_coding = false;  // a coding other than chunked/gzip/deflate/compress (+ x- forms)
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool connection_upgrade = false;
  bool upgrade_present = false;
  bool expect_continue = false;
  unsigned host_count = 0;
};

enum class FieldsResult : std::uint8_t { ok, malformed, too_many };

// Reads field lines up to the empty line, appending to `headers` (at most kMaxHeaders).
// On failure `reason` says why (a static string).
FieldsResult scan_fields(HeadLines& lines, std::vector<Header>& headers, FieldFacts& facts,
                         const char*& reason);

}  // namespace tether::lb::http::detail
