#include "tests/integration/fault_server.h"

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "tests/integration/harness.h"

namespace tether::test {

ScriptedServer::ScriptedServer(std::string name, Script script)
    : name_(std::move(name)),
      script_(std::move(script)),
      acceptor_(context_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  acceptor_thread_ = std::thread([this] { accept_loop(); });
}

ScriptedServer::~ScriptedServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const int fd : open_)
      ::shutdown(fd, SHUT_RDWR);  // blocked reads and writes return
  }
  stop_changed_.notify_all();
  ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes the blocking accept
  acceptor_thread_.join();
  for (auto& t : scripts_)
    t.join();
}

std::string ScriptedServer::address() const {
  return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
}

void ScriptedServer::accept_loop() {
  for (;;) {
    std::error_code ec;
    tcp::socket socket(context_);
    acceptor_.accept(socket, ec);
    std::lock_guard lock(mutex_);
    if (ec || stopping_) return;
    ++accepted_;
    open_.push_back(socket.native_handle());
    scripts_.emplace_back([this, socket = std::move(socket)]() mutable {
      const int fd = socket.native_handle();
      {
        Connection connection(*this, std::move(socket));
        script_(connection);
        std::lock_guard lock(mutex_);
        std::erase(open_, fd);  // before the descriptor is closed and its number reused
      }
      ++finished_;
    });
  }
}

bool ScriptedServer::hold(std::chrono::milliseconds time) {
  std::unique_lock lock(mutex_);
  return !stop_changed_.wait_for(lock, time, [this] { return stopping_; });
}

std::string ScriptedServer::Connection::read_head() {
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    std::error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec) return "";
    head.append(buffer, n);
  }
  return head;
}

void ScriptedServer::Connection::write(const std::string& bytes) {
  std::error_code ignored;
  asio::write(socket_, asio::buffer(bytes), ignored);
}

void ScriptedServer::Connection::trickle(const std::string& bytes,
                                         std::chrono::milliseconds pause) {
  for (const char c : bytes) {
    std::error_code ec;
    asio::write(socket_, asio::buffer(&c, 1), ec);
    if (ec || !hold(pause)) return;
  }
}

void ScriptedServer::Connection::reset() {
  // Forgotten first: once closed, its descriptor number may be reused by anyone in this process.
  {
    std::lock_guard lock(server_.mutex_);
    std::erase(server_.open_, socket_.native_handle());
  }
  test::reset(socket_);
}

void reset(tcp::socket& socket) {
  std::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

std::string two_frontend_yaml(const std::string& mode, const std::string& faulty_server,
                              const std::string& healthy_server, const std::string& access_log,
                              const std::string& frontend_extra) {
  std::string y =
      "threads: 1\nshutdown_grace: 1s\nlog: { access: \"" + access_log + "\" }\nfrontends:\n";
  for (const std::string name : {"faulty", "web"})
    y += "  - name: " + name + "\n    listen: [\"127.0.0.1:0\"]\n    mode: " + mode +
         "\n    pool: " + name + "\n" + frontend_extra;
  y += "pools:\n";
  for (const auto& [name, address] : {std::pair{"faulty", faulty_server}, {"web", healthy_server}})
    y += std::string("  - name: ") + name +
         "\n    server_timeout: 1s\n    connect_timeout: 500ms\n    retries: 0\n"
         "    servers:\n      - { name: " +
         name + ", address: \"" + address + "\" }\n";
  return y;
}

std::string access_log_path(const std::string& test_name) {
  const std::string path = ::testing::TempDir() + "access-" + test_name + ".log";
  std::remove(path.c_str());
  return path;
}

std::vector<std::string> log_lines(const std::string& path, const std::string& needle) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) lines.push_back(line);
  return lines;
}

std::string wait_for_log_line(const std::string& path, const std::string& needle,
                              std::chrono::milliseconds timeout) {
  std::vector<std::string> found;
  wait_until(
      [&] {
        found = log_lines(path, needle);
        return !found.empty();
      },
      timeout);
  return found.size() == 1 ? found.front() : "";
}

std::string log_field(const std::string& line, const std::string& field) {
  const std::string key = " " + field + "=";
  const auto at = line.find(key);
  if (at == std::string::npos) return "";
  const auto start = at + key.size();
  return line.substr(start, line.find(' ', start) - start);
}

}  // namespace tether::test
