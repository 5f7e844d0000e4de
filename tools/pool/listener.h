// An acceptor that keeps accepting: errors such as EMFILE pause it briefly instead of ending the
// accept loop, and it can be closed and reopened on the same endpoint (a server that fails and
// recovers keeps its ports).
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <system_error>

namespace tether::pool {

// Used only on its io_context's thread (or before that io_context runs), and destroyed only once
// that io_context no longer runs its handlers.
class Listener {
 public:
  using AcceptHandler = std::function<void(asio::ip::tcp::socket)>;

  Listener(asio::io_context& io, AcceptHandler on_accept);

  // Binds, listens and starts accepting. `reuse_port` lets one acceptor per io_context share
  // the port (SO_REUSEPORT); without it a port already in use is an error, as users expect. With
  // it, so is only a port that lb::probe_bind() found free first: SO_REUSEPORT alone would share
  // the port with any other process of the same user that sets it too.
  std::error_code open(const asio::ip::tcp::endpoint& endpoint, bool reuse_port);
  // New connections are refused from now on; connections already accepted are not touched.
  void close();

  bool is_open() const { return acceptor_.is_open(); }
  // The bound endpoint (port 0 resolved); only while open.
  asio::ip::tcp::endpoint local_endpoint() const;

 private:
  void accept();

  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  AcceptHandler on_accept_;
  // Bumped by close() so completions of an earlier open do not re-arm the new one.
  std::uint64_t generation_ = 0;
};

}  // namespace tether::pool
