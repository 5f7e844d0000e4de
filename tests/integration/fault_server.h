// Misbehaving peers for fault-injection tests: a backend that runs a script of its own on every
// connection (reset mid-response, close before answering, never read, trickle), socket tricks
// that end a connection the rude way, and the access log read back as lines.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tether::test {

using asio::ip::tcp;

// Accepts on 127.0.0.1 and runs `script` on each connection, on a thread of its own (blocking
// calls, exact control of the bytes). The destructor wakes every script (its socket reads EOF,
// hold() returns) and joins them.
class ScriptedServer {
 public:
  class Connection;
  using Script = std::function<void(Connection&)>;

  explicit ScriptedServer(std::string name, Script script);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  const std::string& name() const { return name_; }
  std::string address() const;
  std::size_t accepted() const { return accepted_.load(); }
  // Connections whose script has returned.
  std::size_t finished() const { return finished_.load(); }

 private:
  void accept_loop();
  bool hold(std::chrono::milliseconds time);

  std::string name_;
  Script script_;
  asio::io_context context_;
  tcp::acceptor acceptor_;
  std::atomic<std::size_t> accepted_{0}, finished_{0};
  std::mutex mutex_;
  std::condition_variable stop_changed_;
  bool stopping_ = false;
  std::vector<int> open_;  // descriptors of connections whose script runs, to wake them
  std::vector<std::thread> scripts_;
  std::thread acceptor_thread_;
};

class ScriptedServer::Connection {
 public:
  Connection(ScriptedServer& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)) {}
  tcp::socket& socket() { return socket_; }
  // Waits `time`, or less when the server is being destroyed; false then.
  bool hold(std::chrono::milliseconds time) { return server_.hold(time); }
  // Reads until the end of an HTTP request head ("" when the peer closed first).
  std::string read_head();
  // Writes, ignoring errors (the peer may be gone: that is the point of these tests).
  void write(const std::string& bytes);
  // Writes one byte every `pause`; stops early when a write fails.
  void trickle(const std::string& bytes, std::chrono::milliseconds pause);
  // Ends the connection with a RST (SO_LINGER 0) instead of a FIN.
  void reset();

 private:
  ScriptedServer& server_;
  tcp::socket socket_;
};

// Closes with SO_LINGER 0: the peer gets a RST instead of a FIN.
void reset(tcp::socket& socket);

// Two frontends on one worker (so a fault and the clients served meanwhile share a thread):
// "faulty" in front of pool "faulty" (`faulty_server`) and "web" in front of pool "web"
// (`healthy_server`), both in `mode`, access log to `access_log`. `frontend_extra` goes into both
// frontends (e.g. "    idle_timeout: 300ms\n"). Pools: server_timeout 1s, connect_timeout 500ms,
// no retries, no health checks.
std::string two_frontend_yaml(const std::string& mode, const std::string& faulty_server,
                              const std::string& healthy_server, const std::string& access_log,
                              const std::string& frontend_extra = "");
// A fresh path for an access log under the test temporary directory.
std::string access_log_path(const std::string& test_name);

// The lines of the access log at `path` that contain `needle`.
std::vector<std::string> log_lines(const std::string& path, const std::string& needle = "");
// Waits up to `timeout` for exactly one line containing `needle`, and returns it ("" otherwise).
std::string wait_for_log_line(const std::string& path, const std::string& needle,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5));
// The value of `field=` in an access-log line ("" when absent).
std::string log_field(const std::string& line, const std::string& field);

}  // namespace tether::test
