// What HTTP/1.1 request and response heads share (RFC 9112): vocabulary, limits, and the scan
// that finds where a head ends. Parsers are pure functions over the caller's bytes: no sockets,
// no exceptions, no reads past the given data, work linear in the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tether::lb::http {

enum class Version : std::uint8_t { http10, http11 };

// How the body after a head is delimited (RFC 9112 §6.3).
enum class BodyKind : std::uint8_t {
  none,         // no body bytes follow the head
  length,       // exactly content_length bytes follow (never 0: a zero length is `none`)
  chunked,      // chunked coding; ChunkedFramer finds its end
  until_close,  // responses only: the body runs until the server closes (or a CONNECT tunnel)
};

enum class Parse : std::uint8_t { incomplete, complete, error };

struct ParseError {
  // Requests: 400 malformed, 431 head too large, 501 unsupported transfer coding, 505 version.
  // Responses: always 502 (the client gets a gateway error, the server connection is dropped).
  unsigned status = 0;
  const char* reason = "";  // static string for the log line
};

// A head longer than this is refused with 431 (SPEC §5); it includes the final empty line.
inline constexpr std::size_t kMaxHeadSize = 64 * 1024;
inline constexpr std::size_t kMaxHeaders = 100;
// Larger than any real body, and far enough from 2^64 that offset + length never overflows.
inline constexpr std::uint64_t kMaxContentLength = std::uint64_t{1} << 53;

// Returns the offset just past the empty line that ends a head, or npos while there is none.
// `from` is the size of `data` at the previous call (0 the first time): bytes already scanned are
// not scanned again, so feeding a growing buffer costs O(n) in total.
//
// RFC 9112 §2.2 lets a recipient accept a bare LF as a line terminator; we do not (a proxy that
// splits lines differently from the server behind it is a smuggling vector), but we still *find*
// an end on "\n\n" or "\n\r\n" so that such a head is answered 400 at once instead of waiting for
// 64 KiB. Every line of a valid head ends in CRLF, so for valid heads the first such candidate is
// the real end; the parsers reject any head whose lines are not all CRLF-terminated.
std::size_t find_head_end(std::string_view data, std::size_t from);

}  // namespace tether::lb::http
