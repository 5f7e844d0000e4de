// Reading HTTP/1.1 requests (RFC 9112) for the admin API: a strict head parser with limits and a
// reader that frames the requests of one keep-alive connection. Pure code, no sockets: bytes go
// in with feed(), whole requests come out of next().
//
// Strict where leniency lets a request be read two ways: CRLF line ends only, no folded header
// lines, no whitespace before a colon, one Host, one Content-Length, no Transfer-Encoding (the
// admin API takes small JSON bodies with a Content-Length). Bodies by Content-Length only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::admin {

struct HttpRequest {
  std::string method;
  std::string target;                                        // origin-form as sent: "/path?query"
  int minor_version = 1;                                     // HTTP/1.<minor>
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed
  std::string body;
  bool keep_alive = true;  // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive

  // The value of the first header named `lower_name` (lower case), or null.
  const std::string* header(std::string_view lower_name) const;
};

// Why a request could not be read: answer `status` with `message`, then close the connection.
struct RequestError {
  int status = 400;
  std::string message;
};

class RequestReader {
 public:
  struct Limits {
    std::size_t max_head = 16 * 1024;  // request line + headers + blank line; beyond: 431
    std::size_t max_body = 64 * 1024;  // Content-Length; beyond: 413
    std::size_t max_headers = 100;     // beyond: 431
  };

  RequestReader() = default;
  explicit RequestReader(Limits limits) : limits_(limits) {}

  void feed(std::string_view bytes) { buffer_.append(bytes); }

  enum class Status { need_more, complete, failed };
  // The next whole request, in order. After `failed` the reader stays failed: see error().
  Status next(HttpRequest& request);
  const RequestError& error() const { return error_; }

  bool buffered() const { return !buffer_.empty(); }

  // True once after next() said need_more for a body its sender holds back until told to go on
  // (`Expect: 100-continue`, RFC 9110 §10.1.1): answer "100 Continue", then read on. Windows
  // PowerShell's Invoke-RestMethod sends every POST that way and otherwise waits 350 ms.
  bool take_continue() { return std::exchange(continue_due_, false); }

 private:
  Status fail(int status, std::string message);

  Limits limits_;
  std::string buffer_;
  std::optional<HttpRequest> pending_;  // head read, body still arriving
  std::size_t body_length_ = 0;
  bool failed_ = false;
  bool continue_due_ = false;
  RequestError error_;
};

// One head parsed: the request (without its body) and its body's length, or why it was refused.
struct HeadParse {
  std::optional<HttpRequest> request;
  std::size_t body_length = 0;
  RequestError error;  // when !request
};

// Parses a complete head: the request line and header lines, each ending in CRLF, without the
// blank line that ends the head.
HeadParse parse_request_head(std::string_view head, const RequestReader::Limits& limits);

}  // namespace tether::admin
