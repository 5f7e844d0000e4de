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

void Worker::add_listener(std::string key, std::unique_ptr<Listener> listener) {
  listeners_.emplace_back(std::move(key), std::move(listener));
}

void Worker::start() {
  for (auto& [key, l] : listeners_)
    l->start();
  thread_ = std::thread([this] { context_.run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::close_listeners() {
  asio::post(context_, [this] {
    for (auto& [key, l] : listeners_)
      l->close();
  });
}

void Worker::wind_down() {
  close_listeners();
  asio::post(context_, [this] {
    winding_down_ = true;
    for_each_session([](Session& s) { s.wind_down(); });
  });
}

void Worker::reconfigure(ListenerChanges changes) {
  // Asio handlers must be copyable: the move-only changes ride in a shared_ptr.
  auto shared = std::make_shared<ListenerChanges>(std::move(changes));
  asio::post(context_, [this, shared] {
    ListenerChanges& c = *shared;
    ++epoch_;  // sessions accepted from here on belong to the new configuration
    if (caches_.size() < c.pool_slots) caches_.resize(c.pool_slots);
    for (auto& [key, frontend] : c.kept)
      for (auto& [k, l] : listeners_)
        if (k == key) l->retarget(*frontend);
    for (const auto& key : c.removed) {
      for (auto it = listeners_.begin(); it != listeners_.end(); ++it) {
        if (it->first != key) continue;
        it->second->close();
        // The closed acceptor's cancelled handler is queued already; this runs after it.
        asio::post(context_, [gone = std::shared_ptr<Listener>(std::move(it->second))] {});
        listeners_.erase(it);
        break;
      }
    }
    for (auto& [key, l] : c.added) {
      l->start();
      listeners_.emplace_back(key, std::move(l));
    }
  });
}

std::size_t Worker::sessions_of(std::uint64_t epoch) const {
  std::size_t n = 0;
  for (const auto& [s, e] : sessions_)
    n += e == epoch;
  return n;
}

void Worker::post(std::function<void()> work) {
  asio::post(context_, std::move(work));
}

void Worker::close_sessions() {
  asio::post(context_, [this] { for_each_session([](Session& s) { s.close("shutdown"); }); });
}

void Worker::for_each_session(const std::function<void(Session&)>& act) {
  // `act` may end a session synchronously, which untracks it: iterate over a copy.
  std::vector<Session*> open;
  for (const auto& [s, epoch] : sessions_)
    open.push_back(s);
  for (Session* s : open)
    if (sessions_.contains(s)) act(*s);
}

void Worker::stop() {
  close_listeners();
  close_sessions();
  // Once every closed socket's handlers have run, run() returns: nothing is destroyed mid-call.
  asio::post(context_, [this] {
    connections_.clear();
    deadlines_.close();
    poller_.close();
    work_.reset();
  });
}

}  // namespace tether::lb
