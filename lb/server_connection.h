// A connection to a server in http mode, and the worker's pool of idle ones: any client's next
// request to the same server reuses one (F5's OneConnect, which Microsoft names as the model for
// the Lync reverse proxy's multiplexed requests). Worker thread only.
#pragma once

#include <asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "lb/byte_buffer.h"
#include "lb/http/response_head.h"
#include "lb/server.h"
#include "lb/stick_table.h"
#include "lb/stream.h"
#include "lb/tls_client_context.h"

namespace tether::lb {

struct ServerConnection {
  ServerConnection(asio::io_context& context, Server& server) : stream(context), server(server) {}

  Stream stream;
  Server& server;
  // The pool context its TLS was made with, or null for plain: reused only under the same one
  // (a reload that changed the pool's tls settings does not inherit connections of the old).
  std::shared_ptr<TlsClientContext> tls;
  ByteBuffer in;        // response bytes read from the server
  bool reused = false;  // came from the pool: may have been closed by the server meanwhile
  Clock::time_point idle_since;
  // The response under way: its head as parsed from `in`, and as the client gets it. Kept here,
  // with their capacity, so that a response allocates neither (pooled connections are fewer than
  // clients, so this memory is not paid per idle client).
  http::ResponseHead head;
  std::string client_head;
};

class ConnectionPool {
 public:
  ConnectionPool(std::size_t max_idle_per_server, Clock::duration max_idle_time)
      : max_idle_per_server_(max_idle_per_server), max_idle_time_(max_idle_time) {}

  // The most recently parked connection to `server`, or null. One the server has closed
  // meanwhile, or sent anything unasked on, is dropped here (a recv per take): stray bytes would
  // be read as the next client's response.
  std::shared_ptr<ServerConnection> take(const Server& server, Clock::time_point now);
  // Parks a connection whose last response ended cleanly.
  void park(std::shared_ptr<ServerConnection> connection, Clock::time_point now);
  void clear();
  std::size_t idle() const;

 private:
  static bool still_open(ServerConnection& connection);

  std::size_t max_idle_per_server_;
  Clock::duration max_idle_time_;
  std::unordered_map<const Server*, std::vector<std::shared_ptr<ServerConnection>>> idle_;
};

}  // namespace tether::lb
