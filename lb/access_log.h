// One line per finished connection (README "Access log" documents the fields).
#pragma once

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace tether::lb {

struct ConnectionRecord {
  asio::ip::tcp::endpoint client;
  std::string_view frontend;
  std::string_view server;      // empty when none was reached
  std::uint64_t bytes_in = 0;   // client → server
  std::uint64_t bytes_out = 0;  // server → client
  std::chrono::milliseconds duration{0};
  std::string_view end;  // how it ended: closed, idle_timeout, connect_failed, no_server, ...
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
  // `target`: "stdout", "off", or a file path (appended). Throws std::runtime_error when the file
  // cannot be opened, at start only.
  explicit AccessLog(const std::string& target);
  ~AccessLog();

  bool enabled() const { return logger_ != nullptr; }
  void write(const ConnectionRecord& record);
  void write(const RequestRecord& record);

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace tether::lb
