// One SO_REUSEPORT acceptor of one frontend address on one worker. The kernel spreads incoming
// connections over the workers' acceptors of the same address.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/steady_timer.hpp>
#include <string>

#include "lb/warning_throttle.h"

namespace tether::lb {

struct Frontend;
class Worker;

class Listener {
 public:
  Listener(Worker& worker, Frontend& frontend);

  // Opens, binds and listens; the message names the address and the OS error.
  std::error_code open(const asio::ip::tcp::endpoint& endpoint);
  asio::ip::tcp::endpoint local_endpoint() const;

  void start();  // worker thread
  void close();  // worker thread
  // A reload kept this address: later connections go to the new configuration's frontend, and
  // the acceptor never stops. Worker thread.
  void retarget(Frontend& frontend) { frontend_ = &frontend; }

 private:
  void accept();

  Worker& worker_;
  Frontend* frontend_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::endpoint peer_;  // filled by each accept
  asio::steady_timer backoff_;    // out of descriptors: retry later instead of spinning
  WarningThrottle accept_warning_{std::chrono::seconds(1)};  // one line a second, with a count
};

}  // namespace tether::lb
