#include "lb/poller.h"

#include <unistd.h>

#include <asio/post.hpp>

namespace tether::lb {

namespace {

// epoll's 64 bits of user data carry the target and the tag: user-space pointers on the 64-bit
// platforms Linux runs on leave the top byte zero.
constexpr int kTagShift = 56;
constexpr std::uint64_t kPointerMask = (std::uint64_t{1} << kTagShift) - 1;

}  // namespace

Poller::Poller(asio::io_context& context)
    : context_(context), descriptor_(context), soon_timer_(context), rearm_timer_(context) {}

Poller::~Poller() {
  // While waiting, the descriptor owns the epoll fd and closes it; between waits nothing does.
  if (!descriptor_.is_open() && epoll_fd_ >= 0) ::close(epoll_fd_);
}

std::error_code Poller::open() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return {errno, std::system_category()};
  wait();
  return {};
}

std::error_code Poller::add(int fd, Target& target, std::uint8_t tag) {
  if (closed_) return std::make_error_code(std::errc::operation_canceled);
  if (epoll_fd_ < 0) {
    if (auto ec = open()) return ec;
  }
  const auto pointer = reinterpret_cast<std::uintptr_t>(&target);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = static_cast<std::uint64_t>(pointer) | (std::uint64_t{tag} << kTagShift);
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return {errno, std::system_category()};
  return {};
}

void Poller::soon(std::shared_ptr<Target> target) {
  soon_.push_back(std::move(target));
  if (soon_armed_) return;
  soon_armed_ = true;
  soon_timer_.expires_after(kSoon);
  soon_timer_.async_wait([this](std::error_code ec) {
    soon_armed_ = false;
    auto targets = std::move(soon_);
    soon_.clear();
    if (ec || closed_) return;
    for (auto& t : targets)
      t->on_soon();
  });
}

void Poller::retire(std::shared_ptr<void> object) {
  retired_.push_back(std::move(object));
  // Outside a batch (a deadline, a shutdown) the caller may still be on the stack: free it once
  // the current handler has returned.
  if (dispatching_ || release_posted_) return;
  release_posted_ = true;
  asio::post(context_, [this] {
    release_posted_ = false;
    if (!dispatching_) release();
  });
}

void Poller::close() {
  closed_ = true;
  soon_.clear();
  soon_timer_.cancel();
  rearm_timer_.cancel();
  std::error_code ignored;
  descriptor_.cancel(ignored);
  release();
}

void Poller::wait() {
  // Registered with the io_context's epoll only while waiting. A registered epoll descriptor
  // makes every event of every socket in it run a second wake-up callback, under a second
  // lock, on the CPU that delivered the packet: an arm and a disarm per wait cost less than
  // that once a wait covers more than a few events (docs/data-path.md).
  std::error_code ec;
  descriptor_.assign(epoll_fd_, ec);
  if (ec) {
    // Out of memory or epoll watches: try again shortly rather than stall every socket.
    rearm_timer_.expires_after(kSoon);
    rearm_timer_.async_wait([this](std::error_code e) {
      if (!e && !closed_) dispatch();
    });
    return;
  }
  descriptor_.async_wait(asio::posix::stream_descriptor::wait_read, [this](std::error_code e) {
    if (e || closed_) return;
    descriptor_.release();
    dispatch();
  });
}

void Poller::dispatch() {
  dispatching_ = true;
  int n;
  do {
    n = ::epoll_wait(epoll_fd_, events_.get(), kBatch, 0);
  } while (n < 0 && errno == EINTR);
  for (int i = 0; i < n; ++i) {
    const std::uint64_t data = events_[i].data.u64;
    auto* target = reinterpret_cast<Target*>(static_cast<std::uintptr_t>(data & kPointerMask));
    target->on_events(static_cast<std::uint8_t>(data >> kTagShift), events_[i].events);
  }
  dispatching_ = false;
  release();
  if (n > 0) {
    // Busy: look again once the io_context's other work has run, and wait only when a look
    // finds nothing.
    asio::post(context_, [this] {
      if (!closed_) dispatch();
    });
    return;
  }
  wait();
}

void Poller::release() {
  // One at a time: a destructor run here sees a consistent vector, and its capacity stays.
  while (!retired_.empty())
    retired_.pop_back();
}

}  // namespace tether::lb
