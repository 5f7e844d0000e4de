// The request side of the simulated servers' HTTP/1.1: a head parser and a buffer that frames
// requests (head, then a Content-Length or chunked body to discard). Pure code: bytes in,
// decisions out; the connections own the sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace tether::pool {

// What the simulated servers need from a request head. The views point into the buffer the head
// was parsed from.
struct RequestHead {
  std::string_view method;
  std::string_view target;
  int minor_version = 1;  // HTTP/1.<minor>
  bool keep_alive = true;
  bool expect_continue = false;
  bool chunked = false;
  std::uint64_t content_length = 0;
  bool has_session = false;
  std::string_view session;  // X-Session
  bool has_session_cookie = false;
  std::string_view session_cookie;  // ASP.NET_SessionId from Cookie
};

enum class HeadStatus { need_more, complete, malformed, too_large };

struct HeadParse {
  HeadStatus status = HeadStatus::need_more;
  std::size_t size = 0;  // bytes of the head including the blank line, when complete
  RequestHead head;
};

// Parses the head at the start of `bytes`. A malformed request line or a bare LF is reported as
// soon as it is seen, so garbage is refused without waiting for a blank line that never comes.
// Strict where leniency lets requests be smuggled: one Content-Length value, no Content-Length
// together with Transfer-Encoding, only "chunked" as a transfer coding, no folded lines.
HeadParse parse_request_head(std::string_view bytes, std::size_t max_head);

// The value of cookie `name` in a Cookie header value, if present.
bool find_cookie(std::string_view header_value, std::string_view name, std::string_view& value);

// Consumes a chunked body (RFC 9112 §7.1) without keeping it: sizes, extensions and trailers are
// checked for framing only.
class ChunkedBodySkipper {
 public:
  enum class Status { need_more, done, malformed };

  // Consumes from `bytes` and says how many it used; never reads past the end of the body.
  Status feed(std::string_view bytes, std::size_t& used);

 private:
  enum class State {
    size,
    extension,
    size_lf,
    data,
    data_cr,
    data_lf,
    trailer_start,
    trailer,
    trailer_lf,
    final_lf,
    done
  };
  State state_ = State::size;
  std::uint64_t remaining_ = 0;
  bool size_digits_ = false;
};

// Frames the requests of one connection: read into prepare(), commit(), then next_head() and
// skip_body() until they ask for more bytes. Keeps the buffer small (it grows only to hold a long
// head) and reuses it for the life of the connection.
class RequestStream {
 public:
  static constexpr std::size_t default_max_head = 64 * 1024;

  explicit RequestStream(std::size_t max_head = default_max_head);

  // Free space to read into; moves buffered bytes to the front or grows as needed. Invalidates
  // the views of the last head.
  std::span<char> prepare();
  void commit(std::size_t n) { end_ += n; }

  // Looks for the next head. On `complete` the head is consumed and its body becomes the pending
  // body for skip_body().
  HeadParse next_head();

  enum class BodyStatus { need_more, done, malformed };
  // Discards buffered bytes of the pending body.
  BodyStatus skip_body();

  // Drops everything buffered (used while a connection only drains its peer).
  void discard_all() { begin_ = end_ = 0; }

  bool body_pending() const { return body_ != Body::none; }

 private:
  enum class Body { none, length, chunked };

  std::string_view buffered() const {
    return std::string_view(buffer_.data() + begin_, end_ - begin_);
  }

  std::size_t max_head_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  Body body_ = Body::none;
  std::uint64_t body_remaining_ = 0;
  ChunkedBodySkipper chunked_;
};

}  // namespace tether::pool
