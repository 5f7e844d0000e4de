#include "tools/pool/http_response.h"

namespace tether::pool {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 440:
      return "Login Timeout";  // IIS: the session the client presented is gone
    case 500:
      return "Internal Server Error";
    default:
      return "Unknown";
  }
}

void Response::reset(int status) {
  status_ = status;
  headers_.clear();
  body_.clear();
  pattern_bytes_ = 0;
  close_ = false;
}

void Response::header(std::string_view name, std::string_view value) {
  headers_.append(name).append(": ").append(value).append("\r\n");
}

void Response::body(std::string_view text) {
  body_.assign(text);
}

void Response::serialize(std::string& out, bool keep_alive, bool http10, bool head_request) const {
  out.assign("HTTP/1.1 ");
  out.append(std::to_string(status_)).append(" ").append(reason_phrase(status_)).append("\r\n");
  out.append(headers_);
  out.append("Content-Length: ").append(std::to_string(content_length())).append("\r\n");
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  if (!head_request) out.append(body_);
}

}  // namespace tether::pool
