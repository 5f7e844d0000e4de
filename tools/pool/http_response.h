// The response side of the simulated servers' HTTP/1.1: a reusable response that a handler fills
// (status, headers, a small body or a streamed test pattern) and the connection serialises.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tether::pool {

// The reason phrase we send for `status` ("Login Timeout" for IIS's 440).
std::string_view reason_phrase(int status);

class Response {
 public:
  // Starts a new response; keeps the buffers' capacity.
  void reset(int status);

  void header(std::string_view name, std::string_view value);
  // A small body, copied.
  void body(std::string_view text);
  // `n` bytes of the test pattern (body_pattern.h) follow the head, streamed by the connection.
  void pattern_body(std::uint64_t n) { pattern_bytes_ = n; }
  // The connection closes after this response whatever the request asked.
  void close_connection() { close_ = true; }

  int status() const { return status_; }
  bool closes() const { return close_; }
  std::uint64_t pattern_bytes() const { return pattern_bytes_; }
  std::uint64_t content_length() const { return body_.size() + pattern_bytes_; }

  // Head plus small body into `out` (replacing its contents). Content-Length is always sent, even
  // for HEAD, where the body is left out; Connection says what the connection will do.
  void serialize(std::string& out, bool keep_alive, bool http10, bool head_request) const;

 private:
  int status_ = 200;
  std::string headers_;
  std::string body_;
  std::uint64_t pattern_bytes_ = 0;
  bool close_ = false;
};

}  // namespace tether::pool
