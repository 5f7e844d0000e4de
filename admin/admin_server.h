// The admin API's listener (SPEC §6): accepts on `admin.listen` on the daemon's control
// io_context — the thread that also runs health checks and owns server states — and hands each
// connection to an AdminConnection that answers through Routes. No locks: everything here runs
// on that one thread.
//
//   AdminServer admin(daemon, *config.admin);
//   if (auto ec = admin.open()) ...;   // bind + listen, before or while the control loop runs
//   admin.start();                     // accept from now on
//   daemon.run();
//
// The accept loop never ends on an error: a failed accept (EMFILE, ENOBUFS, ...) is logged and
// retried shortly after, so running out of descriptors cannot silence the admin port for good.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <system_error>

#include "admin/admin_connection.h"
#include "admin/routes.h"
#include "config/config.h"
#include "lb/daemon.h"

namespace tether::admin {

class AdminServer {
 public:
  struct Options {
    // A connection must deliver each complete request within this long (counted from the
    // connection or the previous answer), or it is closed.
    std::chrono::milliseconds idle_timeout{30'000};
    std::size_t max_connections = 64;  // beyond: new connections are closed at once
  };

  AdminServer(lb::Daemon& daemon, const config::AdminConfig& config);
  AdminServer(lb::Daemon& daemon, const config::AdminConfig& config, Options options);
  // Stops (see stop()). Destroy it on the control thread, or once the control loop has ended.
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and listens on admin.listen (port 0: a free port, see endpoint()). Call once, before
  // start().
  std::error_code open();
  // The address actually listened on.
  asio::ip::tcp::endpoint endpoint() const { return endpoint_; }

  // Starts accepting. Thread-safe: the loop itself runs on the control io_context.
  void start();
  // Closes the listener and every open connection. Control thread only (or once the control
  // loop has ended).
  void stop();

 private:
  void accept();
  void retry_accept_later(std::error_code error);

  lb::Daemon& daemon_;
  // Where to listen (admin.listen, fixed until a restart); the token is read from the daemon's
  // configuration of the moment (admin/routes.cpp), so a reload can rotate it.
  asio::ip::tcp::endpoint listen_;
  Options options_;
  Routes routes_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::shared_ptr<AdminConnection::Shared> shared_;
  asio::ip::tcp::endpoint endpoint_;
  std::chrono::steady_clock::time_point last_error_log_{};
};

}  // namespace tether::admin
