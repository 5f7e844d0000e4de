#include "lb/server_connection.h"

#include <algorithm>

namespace tether::lb {

std::shared_ptr<ServerConnection> ConnectionPool::take(const Server& server,
                                                       Clock::time_point now) {
  auto it = idle_.find(&server);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    auto connection = std::move(list.back());
    list.pop_back();
    ++connection->pool_generation;  // the pending readiness wait no longer speaks for it
    std::error_code ignored;
    if (now - connection->idle_since > max_idle_time_) {
      connection->socket.close(ignored);
      continue;
    }
    connection->socket.cancel(ignored);
    connection->reused = true;
    return connection;
  }
  return nullptr;
}

void ConnectionPool::park(std::shared_ptr<ServerConnection> connection, Clock::time_point now) {
  auto& list = idle_[&connection->server];
  if (list.size() >= max_idle_per_server_) {
    std::error_code ignored;
    connection->socket.close(ignored);
    return;
  }
  connection->idle_since = now;
  const std::uint64_t generation = ++connection->pool_generation;
  connection->socket.async_wait(asio::socket_base::wait_read,
                                [this, connection, generation](std::error_code) {
                                  // Readable while idle: the server closed it, or broke the
                                  // protocol. Either way it is gone.
                                  if (connection->pool_generation == generation) drop(connection);
                                });
  list.push_back(std::move(connection));
}

void ConnectionPool::drop(const std::shared_ptr<ServerConnection>& connection) {
  auto& list = idle_[&connection->server];
  list.erase(std::remove(list.begin(), list.end(), connection), list.end());
  ++connection->pool_generation;
  std::error_code ignored;
  connection->socket.close(ignored);
}

void ConnectionPool::clear() {
  for (auto& [server, list] : idle_)
    for (auto& c : list) {
      ++c->pool_generation;
      std::error_code ignored;
      c->socket.close(ignored);
    }
  idle_.clear();
}

std::size_t ConnectionPool::idle() const {
  std::size_t n = 0;
  for (const auto& [server, list] : idle_)
    n += list.size();
  return n;
}

}  // namespace tether::lb
