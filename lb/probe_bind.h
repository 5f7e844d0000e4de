// SO_REUSEPORT lets every worker (or io_context) have its own listening socket on one port, but it
// also lets any other process of the same user that sets it bind that port too, and the kernel
// then splits the connections between the two processes without a word. A plain bind first, one
// without SO_REUSEPORT, fails with "address in use" when any other socket listens there.
#pragma once

#include <asio/ip/tcp.hpp>
#include <system_error>

namespace tether::lb {

// Binds `endpoint` exclusively for a moment (SO_REUSEADDR, v6 only for v6, no SO_REUSEPORT) and
// closes it again. On success a port 0 in `endpoint` becomes the port the kernel chose, for the
// SO_REUSEPORT listeners to share. Any thread.
std::error_code probe_bind(asio::ip::tcp::endpoint& endpoint);

}  // namespace tether::lb
