// The admin API's answers and their HTTP/1.1 serialization. Every answer has a Content-Length, so
// keep-alive connections stay framed.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::admin {

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // beyond the standard ones
  std::string body;
};

HttpResponse json_response(int status, std::string body);
// {"error": "<message>"}
HttpResponse error_response(int status, std::string_view message);
HttpResponse text_response(int status, std::string body);

const char* reason_phrase(int status);

// Status line, headers (Content-Type, Content-Length, Cache-Control, Connection) and body;
// `head_only` leaves the body out but keeps its Content-Length (an answer to HEAD).
std::string serialize(const HttpResponse& response, bool keep_alive, bool head_only = false);

}  // namespace tether::admin
