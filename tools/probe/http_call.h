// One HTTP/1.1 request on its own connection, bounded in time: how the probe talks to the
// simulator's control endpoint and to Tether's admin API. Blocking (it runs its own io_context);
// the probe calls it only between phases, when no client is running.
#pragma once

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tether::probe {

// `[http://]HOST:PORT[/base]`: where a control or admin API listens. HOST may be a name,
// resolved when parsed.
struct ServiceUrl {
  std::string text;  // as given
  asio::ip::tcp::endpoint endpoint;
  std::string host;  // HOST:PORT for the Host header
  std::string base;  // path prefix, empty or "/..." without a trailing slash

  std::string url(std::string_view path) const {
    return "http://" + host + base + std::string(path);
  }
};

std::optional<ServiceUrl> parse_service_url(std::string_view text, std::string& error);

struct HttpReply {
  int status = 0;
  std::string body;
};

// Sends `method base+path` with `body` (as application/json when not empty) and `headers`
// ("Name: value" each). nullopt, with `error` saying why, when no complete response came
// within `timeout`.
std::optional<HttpReply> http_call(const ServiceUrl& service, std::string_view method,
                                   std::string_view path, std::string_view body,
                                   const std::vector<std::string>& headers,
                                   std::chrono::milliseconds timeout, std::string& error);

}  // namespace tether::probe
