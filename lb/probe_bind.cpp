#include "lb/probe_bind.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace tether::lb {

namespace {

bool set_flag(int fd, int level, int option) {
  const int one = 1;
  return ::setsockopt(fd, level, option, &one, sizeof one) == 0;
}

}  // namespace

std::error_code probe_bind(asio::ip::tcp::endpoint& endpoint) {
  const int fd = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {errno, std::system_category()};
  // SO_REUSEADDR, as the listeners set it: connections of an earlier listener that linger in
  // TIME_WAIT do not count, a socket listening on the port does.
  bool ok = set_flag(fd, SOL_SOCKET, SO_REUSEADDR);
  // "[::]:443" next to "0.0.0.0:443" must not collide, as for the listeners.
  if (ok && endpoint.address().is_v6()) ok = set_flag(fd, IPPROTO_IPV6, IPV6_V6ONLY);
  if (ok) ok = ::bind(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) == 0;
  asio::ip::tcp::endpoint bound;
  socklen_t length = static_cast<socklen_t>(bound.capacity());
  if (ok) ok = ::getsockname(fd, bound.data(), &length) == 0;
  const std::error_code ec =
      ok ? std::error_code() : std::error_code(errno, std::system_category());
  ::close(fd);
  if (ec) return ec;
  bound.resize(length);
  endpoint = bound;
  return {};
}

}  // namespace tether::lb
