// The control endpoint: an HTTP/JSON API to make one simulated server fail, hang or recover, to
// drop its sessions, and to list the servers with their counters.
//   GET  /servers                          -> [server, ...]
//   GET  /servers/<name>                   -> server
//   POST /servers/<name>/fail|hang|recover -> 200 and the server once every thread applied it
//   POST /servers/<name>/sessions/clear    -> 200 and the server
// where a server is {"name","state" (up|failed|hung),"requests_served","sessions_held","tls":
// {"handshakes","resumed"} (null when its HTTP ports are plain),"http":[addresses],"check":
// [addresses]}. Errors are {"error": "..."}: 404 unknown server or path, 405
// wrong method, 500 a port that could not be bound again on recover (the server stays failed).
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tools/pool/http_connection.h"
#include "tools/pool/listener.h"
#include "tools/pool/pool_server.h"

namespace tether::pool {

// The servers' JSON object as the control API shows it.
std::string server_json(const PoolServer& server);

// Lives on one io_context; `servers` must outlive it.
class Control : public HttpConnection::Handler {
 public:
  Control(asio::io_context& io, const std::vector<std::unique_ptr<PoolServer>>& servers);

  bool listen(const asio::ip::tcp::endpoint& endpoint, std::string& error);
  const asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }

  void on_request(HttpConnection& connection, const HttpConnection::Request& request) override;

 private:
  PoolServer* find(std::string_view name) const;

  const std::vector<std::unique_ptr<PoolServer>>& servers_;
  Listener listener_;
  asio::ip::tcp::endpoint endpoint_;
};

}  // namespace tether::pool
