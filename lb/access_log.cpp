#include "lb/access_log.h"

#include <fmt/compile.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "lb/address_text.h"

namespace tether::lb {

namespace {

std::FILE* open_append(const std::string& path) {
  return std::fopen(path.c_str(), "a");
}

// "2026-11-22T04:35:03.549+00:00": local time with its offset, milliseconds.
// "2026-11-22T18:28:05" and "+00:00" change once a second: formatted then (localtime and
// strftime cost the writer more than the rest of a line), only the milliseconds per line.
class TimeText {
 public:
  void append(std::string& out, std::chrono::system_clock::time_point at) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch());
    const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
    if (seconds != second_) format(seconds);
    fmt::format_to(std::back_inserter(out), "{}.{:03}{}", std::string_view(date_, date_size_),
                   ms.count() % 1000, std::string_view(zone_, zone_size_));
  }

 private:
  void format(std::time_t seconds) {
    second_ = seconds;
    std::tm local{};
    localtime_r(&seconds, &local);
    date_size_ = std::strftime(date_, sizeof date_, "%Y-%m-%dT%H:%M:%S", &local);
    const long offset_min = local.tm_gmtoff / 60;
    zone_size_ = static_cast<std::size_t>(
        fmt::format_to_n(zone_, sizeof zone_, "{}{:02}:{:02}", offset_min < 0 ? '-' : '+',
                         std::abs(offset_min) / 60, std::abs(offset_min) % 60)
            .size);
  }

  std::time_t second_ = -1;
  char date_[40];
  std::size_t date_size_ = 0;
  char zone_[16];
  std::size_t zone_size_ = 0;
};

}  // namespace

AccessLog::AccessLog(const std::string& target, std::size_t queue_lines)
    : path_(target == "stdout" || target == "off" ? "" : target),
      capacity_(queue_lines),
      batch_lines_(std::max<std::size_t>(1, queue_lines / 4)) {
  if (target == "off") return;
  if (target == "stdout") {
    file_ = stdout;
  } else {
    file_ = open_append(path_);
    if (!file_)
      throw std::runtime_error("cannot open access log " + path_ + ": " + std::strerror(errno));
  }
  enabled_ = true;
  writer_ = std::thread([this] { run(); });
}

AccessLog::~AccessLog() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
  if (file_ && file_ != stdout) std::fclose(file_);
}

// One allocation per line: the address without inet_ntop, the fields by a format compiled in.
void AccessLog::write(const ConnectionRecord& r) {
  if (!enabled_) return;
  std::string text("client=");
  text.reserve(192);
  append_endpoint(text, r.client);
  fmt::format_to(std::back_inserter(text),
                 FMT_COMPILE(" frontend={} server={} bytes_in={} bytes_out={} duration_ms={} "
                             "end={} affinity={}"),
                 r.frontend, r.server.empty() ? "-" : r.server, r.bytes_in, r.bytes_out,
                 r.duration.count(), r.end, r.affinity);
  enqueue(std::move(text));
}

void AccessLog::write(const RequestRecord& r) {
  if (!enabled_) return;
  std::string text("client=");
  text.reserve(192 + r.target.size());
  append_endpoint(text, r.client);
  fmt::format_to(std::back_inserter(text),
                 FMT_COMPILE(" frontend={} server={} method={} target={} status={} bytes_in={} "
                             "bytes_out={} duration_ms={} affinity={} set_cookie={}"),
                 r.frontend, r.server.empty() ? "-" : r.server, r.method,
                 r.target.empty() ? "-" : r.target, r.status, r.bytes_in, r.bytes_out,
                 r.duration.count(), r.affinity, r.set_cookie ? 1 : 0);
  enqueue(std::move(text));
}

void AccessLog::enqueue(std::string text) {
  Line line{std::chrono::system_clock::now(), std::move(text)};
  bool was_empty = false, full_batch = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    was_empty = queue_.empty();
    queue_.push_back(std::move(line));
    full_batch = queue_.size() == batch_lines_;
  }
  // The writer sleeps until a first line arrives, then gathers for kGather before it writes;
  // only a full batch cuts that short. A wake-up per line cost a busy worker 14% of its time
  // (futex wake and the writer's IPI, one per connection).
  if (was_empty || full_batch) wake_.notify_one();
}

void AccessLog::reopen() {
  if (!enabled_ || path_.empty()) return;
  {
    std::lock_guard lock(mutex_);
    reopen_pending_ = true;
  }
  wake_.notify_one();
}

void AccessLog::reopen_file() {
  std::FILE* fresh = open_append(path_);
  if (!fresh) {
    spdlog::error("cannot reopen access log {}: {}; still writing to the old file", path_,
                  std::strerror(errno));
    return;
  }
  std::fclose(file_);
  file_ = fresh;
  spdlog::info("access log {} reopened", path_);
}

void AccessLog::run() {
  std::vector<Line> batch;
  std::string buffer;
  TimeText time;
  bool failing = false;  // log a write error once per episode, not per batch
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || reopen_pending_ || !queue_.empty(); });
    wake_.wait_for(lock, kGather,
                   [&] { return stopping_ || reopen_pending_ || queue_.size() >= batch_lines_; });
    batch.swap(queue_);
    const bool reopen = std::exchange(reopen_pending_, false);
    const bool stop = stopping_;
    lock.unlock();

    if (reopen) reopen_file();
    buffer.clear();
    for (const auto& line : batch) {
      time.append(buffer, line.at);
      buffer.push_back(' ');
      buffer.append(line.text);
      buffer.push_back('\n');
    }
    if (!batch.empty()) {
      const bool ok = std::fwrite(buffer.data(), 1, buffer.size(), file_) == buffer.size() &&
                      std::fflush(file_) == 0;
      (ok ? written_ : dropped_).fetch_add(batch.size(), std::memory_order_relaxed);
      if (!ok && !failing) spdlog::error("access log: write failed: {}", std::strerror(errno));
      if (!ok) std::clearerr(file_);
      failing = !ok;
    }
    batch.clear();

    lock.lock();
    if (stop && queue_.empty()) return;
  }
}

}  // namespace tether::lb
