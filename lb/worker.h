// One worker thread: its own io_context, its own SO_REUSEPORT listening sockets, and the
// sessions it accepted. A session never leaves its worker, so session state needs no lock, and
// neither do the reactor's per-socket operations: the io_context runs with Asio's per-descriptor
// locking off (ASIO_CONCURRENCY_HINT_UNSAFE_IO), which spares http sessions a mutex round trip
// per read and write (~2% of the profile when tcp mode still used Asio's sockets). Other threads
// talk to a worker through asio::post (the scheduler's lock stays). The control thread opens
// listening sockets (bind, reload) without touching the io_context; they join the worker's Poller
// on the worker's thread, or before it starts.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lb/deadline_sweep.h"
#include "lb/poller.h"
#include "lb/pool.h"
#include "lb/server_connection.h"
#include "lb/splice_pipe.h"

namespace tether::lb {

class AccessLog;
class Listener;
class Session;
struct Frontend;

class Worker {
 public:
  Worker(unsigned index, std::size_t pool_count, AccessLog& access_log);
  ~Worker();

  unsigned index() const { return index_; }
  asio::io_context& context() { return context_; }
  AccessLog& access_log() { return access_log_; }
  ConnectionPool& connections() { return connections_; }
  PipeCache& pipes() { return pipes_; }
  // Listeners' and tcp sessions' sockets, and tcp sessions' deadlines (docs/data-path.md).
  Poller& poller() { return poller_; }
  DeadlineSweep& deadlines() { return deadlines_; }
  // Where tcp sessions read before they write: one buffer per worker, so an idle connection
  // holds no buffer at all. Valid only until the handler that uses it returns.
  std::span<char> scratch() { return {scratch_.get(), kScratchSize}; }

  // This worker's view of a pool's current snapshot (worker thread only). `pool_index` is the
  // pool's cache slot; after a reload a new pool may take the slot of an old one.
  const PoolSnapshot& snapshot(const Pool& pool, std::size_t pool_index) {
    return caches_[pool_index].get(pool);
  }

  // `key` names the listener for reloads: frontend name and address as configured.
  void add_listener(std::string key, std::unique_ptr<Listener> listener);  // before start()
  void start();
  void join();

  // What a reload changes on this worker (docs/reload.md). Kept listeners are retargeted to their
  // new frontend and never stop accepting; removed ones close; added ones (opened by the control
  // thread) start accepting.
  struct ListenerChanges {
    std::size_t pool_slots = 0;  // snapshot cache slots the new configuration needs
    std::vector<std::pair<std::string, Frontend*>> kept;
    std::vector<std::string> removed;
    std::vector<std::pair<std::string, std::unique_ptr<Listener>>> added;
  };
  // Thread-safe: posted to the worker. Begins the next session epoch.
  void reconfigure(ListenerChanges changes);
  // Runs `work` on the worker thread, after everything posted before it. Thread-safe.
  void post(std::function<void()> work);

  // Thread-safe: each posts to the worker's io_context.
  // The start of a graceful stop: the listeners close and every session is asked to end as
  // soon as that loses nothing (Session::wind_down); the others follow at close_sessions().
  void wind_down();
  void close_sessions();
  void stop();
  // wind_down() has run: http responses say Connection: close. Worker thread only.
  bool winding_down() const { return winding_down_; }

  // Worker thread only.
  void track(Session* session) { sessions_.emplace(session, epoch_); }
  void untrack(Session* session) { sessions_.erase(session); }
  // Open sessions accepted under configuration `epoch`: 0 is the one loaded at start, and each
  // reconfigure() begins the next. Worker thread only.
  std::size_t sessions_of(std::uint64_t epoch) const;

 private:
  void close_listeners();  // posts
  void for_each_session(const std::function<void(Session&)>& act);

  const unsigned index_;
  asio::io_context context_{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  AccessLog& access_log_;
  std::vector<SnapshotCache> caches_;
  std::vector<std::pair<std::string, std::unique_ptr<Listener>>> listeners_;  // by key
  std::unordered_map<Session*, std::uint64_t> sessions_;                      // → epoch
  std::uint64_t epoch_ = 0;
  bool winding_down_ = false;
  ConnectionPool connections_{64, std::chrono::seconds(30)};
  PipeCache pipes_{64};
  static constexpr std::size_t kScratchSize = 64 * 1024;
  std::unique_ptr<char[]> scratch_ = std::make_unique<char[]>(kScratchSize);
  // Last: destroyed first, while what the sessions they still hold refer to is alive.
  DeadlineSweep deadlines_{context_};
  Poller poller_{context_};
  std::thread thread_;
};

}  // namespace tether::lb
