#include "tools/ctl/http_client.h"

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <charconv>

namespace tether::ctl {

namespace {

constexpr std::size_t kMaxReply = 16 * 1024 * 1024;

}  // namespace

std::string endpoint_text(const asio::ip::tcp::endpoint& e) {
  const auto a = e.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

config::Parsed<HttpReply> parse_reply(std::string_view bytes) {
  const std::size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return config::failure("incomplete HTTP response");
  const std::string_view head = bytes.substr(0, head_end + 2);
  std::string_view body = bytes.substr(head_end + 4);

  // "HTTP/1.1 200 OK"
  const std::size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  HttpReply reply;
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' '))
    return config::failure("not an HTTP/1.x response");
  const auto [end, ec] =
      std::from_chars(status_line.data() + 9, status_line.data() + 12, reply.status);
  if (ec != std::errc() || end != status_line.data() + 12 || reply.status < 100)
    return config::failure("malformed HTTP status line");

  std::string_view headers = head.substr(line_end + 2);
  while (!headers.empty()) {
    const std::size_t eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers.remove_prefix(eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (name != "content-length") continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
      value.remove_suffix(1);
    std::size_t length = 0;
    const auto parsed = std::from_chars(value.data(), value.data() + value.size(), length);
    if (parsed.ec != std::errc() || parsed.ptr != value.data() + value.size())
      return config::failure("malformed Content-Length");
    if (body.size() < length) return config::failure("response body cut short");
    body = body.substr(0, length);
  }
  reply.body = std::string(body);
  return reply;
}

config::Parsed<HttpReply> http_exchange(const asio::ip::tcp::endpoint& server, const HttpCall& call,
                                        std::chrono::milliseconds timeout) {
  std::string request = call.method + " " + call.target + " HTTP/1.1\r\n";
  request += "Host: " + endpoint_text(server) + "\r\n";
  request += "User-Agent: tetherctl\r\nAccept: application/json\r\nConnection: close\r\n";
  if (!call.bearer_token.empty()) request += "Authorization: Bearer " + call.bearer_token + "\r\n";
  if (!call.body.empty() || call.method == "POST") {
    request += "Content-Type: application/json\r\n";
    request += "Content-Length: " + std::to_string(call.body.size()) + "\r\n";
  }
  request += "\r\n" + call.body;

  asio::io_context context;
  asio::ip::tcp::socket socket(context);
  std::string received;
  std::error_code failure;
  bool done = false;
  const char* stage = "connect to";

  socket.async_connect(server, [&](std::error_code ec) {
    if (ec) {
      failure = ec;
      done = true;
      return;
    }
    stage = "send to";
    asio::async_write(socket, asio::buffer(request), [&](std::error_code ec, std::size_t) {
      if (ec) {
        failure = ec;
        done = true;
        return;
      }
      stage = "read from";
      asio::async_read(socket, asio::dynamic_buffer(received, kMaxReply),
                       [&](std::error_code ec, std::size_t) {
                         if (ec && ec != asio::error::eof) failure = ec;
                         done = true;
                       });
    });
  });
  context.run_for(timeout);
  if (!done) {
    std::error_code ignored;
    socket.close(ignored);
    return config::failure("no answer from " + endpoint_text(server) + " within " +
                           std::to_string(timeout.count()) + "ms");
  }
  if (failure)
    return config::failure(std::string("cannot ") + stage + " " + endpoint_text(server) + ": " +
                           failure.message());
  auto reply = parse_reply(received);
  if (!reply.ok())
    return config::failure("unexpected answer from " + endpoint_text(server) + ": " + reply.error);
  return reply;
}

}  // namespace tether::ctl
