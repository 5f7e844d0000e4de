#include "lb/server_connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace tether::lb {

std::shared_ptr<ServerConnection> ConnectionPool::take(const Server& server,
                                                       Clock::time_point now) {
  auto it = idle_.find(&server);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    auto connection = std::move(list.back());
    list.pop_back();
    if (now - connection->idle_since > max_idle_time_ || !still_open(*connection)) {
      connection->stream.close();
      continue;
    }
    connection->reused = true;
    return connection;
  }
  return nullptr;
}

bool ConnectionPool::still_open(ServerConnection& connection) {
  // Nothing may be readable on an idle connection: an EOF means the server closed it, and bytes
  // nobody asked for break the protocol. Asked at reuse instead of watched while parked: a
  // readiness wait would cost an epoll_ctl() per request, this one recv() per reuse.
  char byte;
  const ssize_t n =
      ::recv(connection.stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void ConnectionPool::park(std::shared_ptr<ServerConnection> connection, Clock::time_point now) {
  auto& list = idle_[&connection->server];
  if (list.size() >= max_idle_per_server_) {
    connection->stream.close();
    return;
  }
  connection->idle_since = now;
  list.push_back(std::move(connection));
}

void ConnectionPool::clear() {
  for (auto& [server, list] : idle_)
    for (auto& c : list)
      c->stream.close();
  idle_.clear();
}

std::size_t ConnectionPool::idle() const {
  std::size_t n = 0;
  for (const auto& [server, list] : idle_)
    n += list.size();
  return n;
}

}  // namespace tether::lb
