// The response side of the probe's HTTP/1.1 client: reads one response at a time from whatever a
// load balancer sends (Content-Length, chunked, or a body that ends when the connection closes)
// and keeps what the probe measures: the status, which server answered, the session and the
// cookies. Pure code: bytes in, a verdict out; the client owns the socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tether::probe {

struct Response {
  int status = 0;
  bool keep_alive = true;            // false: the connection ends after this response
  std::string server;                // the server-identity header, empty when absent
  std::string session;               // X-Session, empty when absent
  std::vector<std::string> cookies;  // every Set-Cookie value, as sent
  std::string body;                  // only when the parser keeps bodies
};

class ResponseParser {
 public:
  enum class Status { need_more, complete, malformed };

  static constexpr std::size_t max_head = 64 * 1024;
  static constexpr std::size_t max_kept_body = 1024 * 1024;

  // `server_header` names the header that stamps the server's identity (X-Tether-Server for
  // tether-pool). `keep_body` keeps up to max_kept_body bytes of the body (control calls read
  // JSON; the probe's own requests do not).
  explicit ResponseParser(std::string server_header = "X-Tether-Server", bool keep_body = false);

  // Starts on the next response, keeping buffer capacity.
  void reset();

  // From now on every response body is checked against tether-pool's `/bytes/N` pattern (byte i
  // is 'a' + i % 26) and length `length`: body_intact() says whether the last one matched.
  void check_body(std::uint64_t length) { checked_length_ = length; }
  bool body_intact() const { return !body_mismatch_ && body_offset_ == checked_length_; }

  // Consumes bytes of the response and says how many it used (never past its end: the rest
  // belongs to whatever follows). Interim 1xx responses are skipped.
  Status feed(std::string_view bytes, std::size_t& used);
  // The peer closed the connection: completes a body delimited by the close, else malformed.
  Status finish_on_close();

  // True once any byte of the current response arrived (a keep-alive connection that closes
  // before that was closed idle, and the request can be retried on a new one).
  bool started() const { return started_; }

  const Response& response() const { return response_; }

 private:
  enum class State {
    head,
    body_length,
    body_close,
    chunk_size,
    chunk_data,
    chunk_crlf,
    trailer,
    done
  };

  Status parse_head(std::string_view head);
  Status finish_head();
  void keep(std::string_view data);
  Status feed_chunked(std::string_view bytes, std::size_t& used);

  std::string server_header_;
  bool keep_body_;
  State state_ = State::head;
  bool started_ = false;
  std::string head_;
  std::string line_;  // chunk-size or trailer line being assembled
  std::uint64_t remaining_ = 0;
  bool chunked_ = false;
  bool has_length_ = false;
  bool http10_ = false;
  Response response_;
  std::optional<std::uint64_t> checked_length_;
  std::uint64_t body_offset_ = 0;  // body bytes seen (checked mode)
  bool body_mismatch_ = false;
};

// The value of cookie `name` in one Set-Cookie header value ("NAME=value; Path=/"), if it sets
// that cookie. Names are case-sensitive (RFC 6265 §4.1.1).
bool set_cookie_value(std::string_view set_cookie, std::string_view name, std::string& value);

}  // namespace tether::probe
