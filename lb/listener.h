// One SO_REUSEPORT listening socket of one frontend address on one worker. The kernel spreads
// incoming connections over the workers' sockets of the same address.
//
// The socket sits in the worker's Poller: one wake-up accepts every queued connection, up to a
// batch, with accept4(SOCK_NONBLOCK), so a tcp session's sockets never need an ioctl, and
// TCP_NODELAY set here is inherited by every accepted socket (docs/data-path.md).
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <string>

#include "lb/poller.h"
#include "lb/warning_throttle.h"

namespace tether::lb {

struct Frontend;
class Worker;

class Listener final : public Poller::Target {
 public:
  Listener(Worker& worker, Frontend& frontend);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Opens, binds and listens (any thread); the message names the address and the OS error.
  std::error_code open(const asio::ip::tcp::endpoint& endpoint);
  asio::ip::tcp::endpoint local_endpoint() const;

  void start();  // worker thread
  void close();  // worker thread
  // A reload kept this address: later connections go to the new configuration's frontend, and
  // the socket never stops accepting. Worker thread.
  void retarget(Frontend& frontend) { frontend_ = &frontend; }

  void on_events(std::uint8_t tag, std::uint32_t events) override;

 private:
  // Connections accepted per wake-up before the worker's other work gets a turn.
  static constexpr int kAcceptBatch = 64;
  void accept();
  void pause(int error);

  Worker& worker_;
  Frontend* frontend_;
  int fd_ = -1;
  bool paused_ = false;
  asio::steady_timer backoff_;  // out of descriptors: retry later instead of spinning
  WarningThrottle accept_warning_{std::chrono::seconds(1)};  // one line a second, with a count
};

}  // namespace tether::lb
