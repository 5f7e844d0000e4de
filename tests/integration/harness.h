// Loopback building blocks for integration tests: backends that stamp their identity (HAProxy
// reg-tests style), an in-process Tether, a Tether child process, and blocking clients that can
// connect from any 127.x.y.z (or local IPv6) source address.
#pragma once

#include <signal.h>

#include <asio.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lb/daemon.h"

namespace tether::test {

using asio::ip::tcp;

// On accept, writes "<name>\n", then echoes every byte until the client's EOF, then closes.
class EchoServer {
 public:
  explicit EchoServer(std::string name, const std::string& bind = "127.0.0.1");
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  const std::string& name() const { return name_; }
  tcp::endpoint endpoint() const { return endpoint_; }
  std::string address() const;  // "127.0.0.1:port" / "[::1]:port", for configs
  std::size_t accepted() const { return accepted_.load(); }

 private:
  void accept();

  std::string name_;
  asio::io_context context_;
  tcp::acceptor acceptor_;
  tcp::endpoint endpoint_;
  std::atomic<std::size_t> accepted_{0};
  std::thread thread_;
};

// A pool of n EchoServers named fe01..feNN.
std::vector<std::unique_ptr<EchoServer>> echo_pool(int n, const std::string& bind = "127.0.0.1");

// YAML for one tcp frontend "web" listening on `listen` in front of pool "web" of `servers`;
// `extra_frontend` and `extra_pool` are appended inside the frontend and pool maps.
std::string single_pool_yaml(const std::vector<std::unique_ptr<EchoServer>>& servers,
                             const std::vector<std::string>& listen = {"127.0.0.1:0"},
                             const std::string& extra_frontend = "",
                             const std::string& extra_pool = "", unsigned threads = 2);

// Tether in this process, serving `yaml` until destroyed (graceful shutdown, then join).
// `file` is the configuration's file name: what Daemon::reload() reads.
class TetherInstance {
 public:
  explicit TetherInstance(const std::string& yaml, const std::string& file = "test.yaml");
  ~TetherInstance();

  lb::Daemon& daemon() { return *daemon_; }
  tcp::endpoint endpoint(const std::string& frontend = "web", std::size_t index = 0) const;
  void shutdown();  // starts a graceful stop; the destructor waits for it

 private:
  std::unique_ptr<lb::Daemon> daemon_;
  std::thread thread_;
};

// A `tether` child process. Stopped with SIGTERM (by PID) when destroyed. With `output_path`,
// its stdout and stderr go to that file.
class TetherProcess {
 public:
  TetherProcess(const std::string& config_path, tcp::endpoint wait_for,
                const std::string& output_path = "");
  ~TetherProcess();
  int terminate_and_wait(int signal = SIGTERM);  // exit status
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

std::string tether_binary();
std::string write_temp_file(const std::string& name, const std::string& content);
unsigned short free_port();

// Opens a connection from `source` (port chosen by the kernel) to `target`.
tcp::socket connect_from(asio::io_context& context, const std::string& source,
                         const tcp::endpoint& target);
// Connects from `source` and returns the name line the backend stamped ("" if none came).
std::string server_seen_by(const std::string& source, const tcp::endpoint& target);
// Sends "GET / HTTP/1.1" with Connection: close from `source`; returns the X-Tether-Server value
// of the answer ("" when there was no answer).
std::string http_server_seen_by(const std::string& source, const tcp::endpoint& target);
// Runs `work` on the daemon's control thread and waits for it (admin states, health).
void run_on_control(lb::Daemon& daemon, std::function<void()> work);
// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);
// Reads until EOF or `timeout`; returns what arrived.
std::string read_all(tcp::socket& socket,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));
std::string read_line(tcp::socket& socket);

// 127.1.x.y for client i (i < 65536): every simulated client has its own source address.
std::string client_address(std::size_t i);

}  // namespace tether::test
