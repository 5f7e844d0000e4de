#include "admin/http_response.h"

#include "admin/json_writer.h"

namespace tether::admin {

HttpResponse json_response(int status, std::string body) {
  return {status, "application/json", {}, std::move(body)};
}

HttpResponse error_response(int status, std::string_view message) {
  JsonWriter json;
  json.begin_object().field("error", message).end_object();
  return json_response(status, json.text());
}

HttpResponse text_response(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", {}, std::move(body)};
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 422:
      return "Unprocessable Content";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "Unknown";
}

std::string serialize(const HttpResponse& response, bool keep_alive, bool head_only) {
  std::string out =
      "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
  const auto header = [&](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  header("Content-Type", response.content_type);
  header("Content-Length", std::to_string(response.body.size()));
  header("Cache-Control", "no-store");
  for (const auto& [name, value] : response.headers)
    header(name, value);
  header("Connection", keep_alive ? "keep-alive" : "close");
  out += "\r\n";
  if (!head_only) out += response.body;
  return out;
}

}  // namespace tether::admin
