// One connection to the admin API: reads requests in order (keep-alive and pipelining), answers
// each through Routes, and closes after an answer that says "Connection: close", after a request
// that could not be read (answered 400/411/413/431/505 first), or when no complete request
// arrives within the idle timeout. It lives exactly as long as its pending I/O: every handler
// holds shared_from_this(). Runs on the control io_context only, so it needs no lock.
#pragma once

#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_set>

#include "admin/http_request.h"
#include "admin/http_response.h"
#include "admin/routes.h"

namespace tether::admin {

class AdminConnection : public std::enable_shared_from_this<AdminConnection> {
 public:
  // What a server shares with its connections. Held by both, so it outlives the server while a
  // connection's handlers are still queued (they may run, or be destroyed, after the server).
  struct Shared {
    Routes* routes = nullptr;  // null once the server stopped: handlers then do nothing
    std::chrono::milliseconds idle_timeout{30'000};
    std::unordered_set<AdminConnection*> open;
  };

  AdminConnection(asio::ip::tcp::socket socket, std::shared_ptr<Shared> shared);
  ~AdminConnection();
  AdminConnection(const AdminConnection&) = delete;
  AdminConnection& operator=(const AdminConnection&) = delete;

  void start();
  // Closes the socket now; pending operations end with an error and release the connection.
  void close();

 private:
  void read();
  void process();
  void go_on();  // "100 Continue": the client holds its body back until it has it
  void respond(const HttpResponse& response, bool keep_alive, bool head_only);
  void linger();
  void discard();
  void arm_timer(std::chrono::milliseconds after);
  bool stopped() const { return closed_ || !shared_->routes; }

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<Shared> shared_;
  RequestReader reader_;
  std::array<char, 4096> buffer_;
  std::string out_;
  bool closed_ = false;
};

}  // namespace tether::admin
