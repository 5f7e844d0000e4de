#include "lb/worker.h"

#include <asio/post.hpp>

#include "lb/listener.h"
#include "lb/session.h"

namespace tether::lb {

Worker::Worker(unsigned index, std::size_t pool_count, AccessLog& access_log)
    : index_(index), work_(context_.get_executor()), access_log_(access_log), caches_(pool_count) {}

Worker::~Worker() {
  join();
}

void Worker::add_listener(std::unique_ptr<Listener> listener) {
  listeners_.push_back(std::move(listener));
}

void Worker::start() {
  for (auto& l : listeners_)
    l->start();
  thread_ = std::thread([this] { context_.run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::close_listeners() {
  asio::post(context_, [this] {
    for (auto& l : listeners_)
      l->close();
  });
}

void Worker::close_sessions() {
  asio::post(context_, [this] {
    // close() may end a session synchronously, which untracks it: iterate over a copy.
    const std::vector<Session*> open(sessions_.begin(), sessions_.end());
    for (Session* s : open)
      if (sessions_.contains(s)) s->close("shutdown");
  });
}

void Worker::stop() {
  close_listeners();
  close_sessions();
  // Once every closed socket's handlers have run, run() returns: nothing is destroyed mid-call.
  asio::post(context_, [this] {
    connections_.clear();
    work_.reset();
  });
}

}  // namespace tether::lb
