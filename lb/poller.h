// A worker's own edge-triggered epoll for tcp-mode sockets (docs/data-path.md): each socket is
// registered once, for both directions and the peer's half-close, and never modified; closing
// it deregisters it. The epoll descriptor is nested into the worker's io_context while the
// poller waits, so http sessions, timers and posted work keep running there as before.
//
// Asio's own reactor costs a tcp connection 7 more system calls than this: an epoll_ctl per
// readiness wait and per close, a read tried before epoll said so, an ioctl per socket and a
// timerfd re-armed per timer (the table in docs/data-path.md).
//
// Lifetime: a target closed while the current batch still holds events for it is retired, not
// freed: it lives until the batch is dispatched. Worker thread only.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <system_error>
#include <vector>

namespace tether::lb {

class Poller {
 public:
  class Target {
   public:
    // `tag` is what the socket was added with; `events` are epoll's (EPOLLIN, EPOLLOUT, ...).
    virtual void on_events(std::uint8_t tag, std::uint32_t events) = 0;
    // What soon() asked for, within a millisecond.
    virtual void on_soon() {}

   protected:
    ~Target() = default;
  };

  explicit Poller(asio::io_context& context);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Registers `fd` with EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET until it is closed. The tag tells
  // the target's sockets apart, and a socket from one that was closed in the same batch.
  std::error_code add(int fd, Target& target, std::uint8_t tag);
  // Calls target->on_soon() within a millisecond from now, holding the target until then: one
  // timer, armed by the first target queued, serves every target queued before it fires (no
  // allocation per call).
  void soon(std::shared_ptr<Target> target);
  // Keeps `object` alive until no batch can name it any more.
  void retire(std::shared_ptr<void> object);
  // Stops waiting (Worker::stop); registered sockets stay registered until closed.
  void close();

 private:
  static constexpr int kBatch = 128;
  static constexpr auto kSoon = std::chrono::milliseconds(1);
  std::error_code open();
  void wait();
  void dispatch();
  void release();

  asio::io_context& context_;
  int epoll_fd_ = -1;  // opened by the first add()
  asio::posix::stream_descriptor descriptor_;
  bool closed_ = false;
  bool dispatching_ = false;
  bool release_posted_ = false;
  std::unique_ptr<epoll_event[]> events_ = std::make_unique<epoll_event[]>(kBatch);
  std::vector<std::shared_ptr<void>> retired_;
  asio::steady_timer soon_timer_;
  asio::steady_timer rearm_timer_;
  bool soon_armed_ = false;
  std::vector<std::shared_ptr<Target>> soon_;
};

}  // namespace tether::lb
