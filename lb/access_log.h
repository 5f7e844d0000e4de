// One line per finished connection (README "Access log" documents the fields).
//
// Written asynchronously: workers format a line and queue it (one short lock, no I/O); a writer
// thread of the log's own writes batches and flushes. The queue is bounded: when the disk cannot
// keep up, new lines are dropped and counted (tether_access_log_dropped_total) — a load balancer
// must keep relaying rather than wait for its log.
#pragma once

#include <asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tether::lb {

struct ConnectionRecord {
  asio::ip::tcp::endpoint client;
  std::string_view frontend;
  std::string_view server;      // empty when none was reached
  std::uint64_t bytes_in = 0;   // client → server
  std::uint64_t bytes_out = 0;  // server → client
  std::chrono::milliseconds duration{0};
  std::string_view end;  // how it ended: closed, idle_timeout, connect_failed, no_server, ...
  std::string_view affinity = "none";  // how the server was chosen: stick, hash, none
};

// http mode: one line per request.
struct RequestRecord {
  asio::ip::tcp::endpoint client;  // the address affinity used (X-Forwarded-For or PROXY aware)
  std::string_view frontend;
  std::string_view server;
  std::string_view method;
  std::string_view target;
  unsigned status = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::chrono::milliseconds duration{0};
  std::string_view affinity;  // stick, hash, cookie, fallback, none
  bool set_cookie = false;    // the response carried a new affinity cookie
};

class AccessLog {
 public:
  static constexpr std::size_t kDefaultQueueLines = 64 * 1024;

  // `target`: "stdout", "off", or a file path (appended). Throws std::runtime_error when the file
  // cannot be opened, at start only.
  explicit AccessLog(const std::string& target, std::size_t queue_lines = kDefaultQueueLines);
  // Writes every queued line, then stops the writer.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  bool enabled() const { return enabled_; }
  // Thread-safe; never blocks on I/O.
  void write(const ConnectionRecord& record);
  void write(const RequestRecord& record);

  // Reopens the file by its path (after logrotate renamed it): lines queued from now on go to
  // the new file. Thread-safe. A failed reopen is logged and the old file kept.
  void reopen();

  std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  // Lines lost: queue full (the disk too slow) or a failed write.
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Line {
    std::chrono::system_clock::time_point at;
    std::string text;
  };
  void enqueue(std::string text);
  void run();  // the writer thread
  void reopen_file();

  // How long the writer gathers lines after the first before writing them: a line reaches the
  // file within this, and a busy second costs 100 writes rather than one per line. Longer makes
  // each write a burst that holds up the workers sharing its CPU (50 ms doubled the p99 of
  // http requests on one CPU; 10 ms left it as it was).
  static constexpr auto kGather = std::chrono::milliseconds(10);

  const std::string path_;  // empty for stdout
  const std::size_t capacity_;
  const std::size_t batch_lines_;  // a quarter of the queue: wakes the writer before kGather
  bool enabled_ = false;           // set in the constructor only: workers read it without a lock
  std::FILE* file_ = nullptr;      // written by the writer thread only (once started)

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Line> queue_;      // guarded by mutex_
  bool reopen_pending_ = false;  // guarded by mutex_
  bool stopping_ = false;        // guarded by mutex_

  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread writer_;
};

}  // namespace tether::lb
