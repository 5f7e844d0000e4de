// tetherctl's HTTP/1.1 client: one request per connection ("Connection: close"), blocking, with
// one deadline over connect, send and receive, so an admin port that hangs cannot hang a script.
#pragma once

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "config/parsed.h"

namespace tether::ctl {

struct HttpReply {
  int status = 0;
  std::string body;
};

struct HttpCall {
  std::string method = "GET";
  std::string target = "/";
  std::string body;          // sent as application/json when not empty (or when method is POST)
  std::string bearer_token;  // "Authorization: Bearer <token>" when not empty
};

// Fails (with a sentence naming the address) when the server cannot be reached, does not answer
// within `timeout`, or answers something that is not an HTTP/1.x response.
config::Parsed<HttpReply> http_exchange(const asio::ip::tcp::endpoint& server, const HttpCall& call,
                                        std::chrono::milliseconds timeout);

// Parses a whole response as read until the server closed: status line, headers, body (by
// Content-Length when present). Pure code, for tests.
config::Parsed<HttpReply> parse_reply(std::string_view bytes);

// "127.0.0.1:9900", "[::1]:9900".
std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint);

// RFC 3986 percent-encoding of everything but unreserved characters: for path segments and
// query values.
std::string percent_encode(std::string_view text);

}  // namespace tether::ctl
