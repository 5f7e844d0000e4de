#include "tools/probe/http_call.h"

#include <array>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <functional>

#include "config/address.h"
#include "tools/probe/response_parser.h"

namespace tether::probe {

using asio::ip::tcp;

std::optional<ServiceUrl> parse_service_url(std::string_view text, std::string& error) {
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    error = "\"" + std::string(text) + "\": https is not supported; give the plain HTTP address";
    return std::nullopt;
  }
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  auto parsed = config::parse_address(authority, config::PortZero::refused);
  if (!parsed.ok()) {
    error = "\"" + std::string(text) + "\": " + parsed.error;
    return std::nullopt;
  }
  ServiceUrl url;
  url.text = std::string(text);
  url.endpoint = parsed.value->endpoint;
  url.host = std::string(authority);
  if (slash != std::string_view::npos) url.base = std::string(rest.substr(slash));
  while (url.base.ends_with('/'))
    url.base.pop_back();
  return url;
}

std::optional<HttpReply> http_call(const ServiceUrl& service, std::string_view method,
                                   std::string_view path, std::string_view body,
                                   const std::vector<std::string>& headers,
                                   std::chrono::milliseconds timeout, std::string& error) {
  std::string request = std::string(method) + " " + service.base + std::string(path) +
                        " HTTP/1.1\r\nHost: " + service.host +
                        "\r\nUser-Agent: tether-probe\r\nConnection: close\r\n";
  for (const auto& header : headers)
    request += header + "\r\n";
  if (!body.empty() || method == "POST") {
    if (!body.empty()) request += "Content-Type: application/json\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  request += body;

  asio::io_context io;
  tcp::socket socket(io);
  asio::steady_timer timer(io, timeout);
  ResponseParser parser("X-Tether-Server", true);
  std::array<char, 8192> buffer;
  bool timed_out = false;
  bool complete = false;
  const std::string where = std::string(method) + " " + service.url(path);

  timer.async_wait([&](std::error_code ec) {
    if (ec) return;
    timed_out = true;
    socket.close();
  });
  const auto finish = [&](std::string why) {
    if (!why.empty()) error = where + ": " + (timed_out ? "no answer within the timeout" : why);
    timer.cancel();
    socket.close();
  };
  std::function<void()> read = [&] {
    socket.async_read_some(asio::buffer(buffer), [&](std::error_code ec, std::size_t n) {
      if (ec) {
        if (ec == asio::error::eof &&
            parser.finish_on_close() == ResponseParser::Status::complete) {
          complete = true;
          return finish("");
        }
        return finish(ec == asio::error::eof ? "connection closed before a complete response"
                                             : ec.message());
      }
      std::size_t used = 0;
      switch (parser.feed(std::string_view(buffer.data(), n), used)) {
        case ResponseParser::Status::complete:
          complete = true;
          return finish("");
        case ResponseParser::Status::malformed:
          return finish("malformed HTTP response");
        case ResponseParser::Status::need_more:
          return read();
      }
    });
  };
  socket.async_connect(service.endpoint, [&](std::error_code ec) {
    if (ec) return finish("cannot connect: " + ec.message());
    asio::async_write(socket, asio::buffer(request), [&](std::error_code ec, std::size_t) {
      if (ec) return finish(ec.message());
      read();
    });
  });
  io.run();
  if (!complete) return std::nullopt;
  return HttpReply{parser.response().status, parser.response().body};
}

}  // namespace tether::probe
