#include "tests/integration/harness.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <fstream>
#include <future>

#include "config/loader.h"

extern char** environ;

namespace tether::test {

namespace {

class EchoSession : public std::enable_shared_from_this<EchoSession> {
 public:
  EchoSession(tcp::socket socket, const std::string& name)
      : socket_(std::move(socket)), greeting_(name + "\n") {}

  void start() {
    asio::async_write(socket_, asio::buffer(greeting_),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](std::error_code ec, std::size_t n) {
                              if (ec) {
                                std::error_code ignored;
                                self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                                return;
                              }
                              asio::async_write(self->socket_, asio::buffer(self->buffer_, n),
                                                [self](std::error_code ec, std::size_t) {
                                                  if (!ec) self->read();
                                                });
                            });
  }

  tcp::socket socket_;
  std::string greeting_;
  char buffer_[16384];
};

std::string format(const tcp::endpoint& e) {
  const auto a = e.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

}  // namespace

EchoServer::EchoServer(std::string name, const std::string& bind)
    : name_(std::move(name)), acceptor_(context_, tcp::endpoint(asio::ip::make_address(bind), 0)) {
  endpoint_ = acceptor_.local_endpoint();
  accept();
  thread_ = std::thread([this] { context_.run(); });
}

EchoServer::~EchoServer() {
  context_.stop();
  thread_.join();
}

std::string EchoServer::address() const {
  return format(endpoint_);
}

void EchoServer::accept() {
  acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
    if (ec) return;
    ++accepted_;
    std::make_shared<EchoSession>(std::move(socket), name_)->start();
    accept();
  });
}

std::vector<std::unique_ptr<EchoServer>> echo_pool(int n, const std::string& bind) {
  std::vector<std::unique_ptr<EchoServer>> pool;
  for (int i = 1; i <= n; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "fe%02d", i);
    pool.push_back(std::make_unique<EchoServer>(name, bind));
  }
  return pool;
}

std::string single_pool_yaml(const std::vector<std::unique_ptr<EchoServer>>& servers,
                             const std::vector<std::string>& listen,
                             const std::string& extra_frontend, const std::string& extra_pool,
                             unsigned threads) {
  std::string yaml =
      "threads: " + std::to_string(threads) + "\nshutdown_grace: 2s\nlog:\n  access: off\n";
  yaml += "frontends:\n  - name: web\n    pool: web\n    listen: [";
  for (std::size_t i = 0; i < listen.size(); ++i)
    yaml += (i ? ", \"" : "\"") + listen[i] + "\"";
  yaml += "]\n" + extra_frontend;
  yaml += "pools:\n  - name: web\n" + extra_pool + "    servers:\n";
  for (const auto& s : servers)
    yaml += "      - { name: " + s->name() + ", address: \"" + s->address() + "\" }\n";
  return yaml;
}

TetherInstance::TetherInstance(const std::string& yaml, const std::string& file) {
  auto loaded = config::load_string(yaml, file);
  if (!loaded.ok()) {
    std::string all;
    for (const auto& e : loaded.errors)
      all += e + "\n";
    throw std::runtime_error("test config refused:\n" + all + yaml);
  }
  daemon_ = std::make_unique<lb::Daemon>(std::move(*loaded.config));
  if (auto error = daemon_->bind()) throw std::runtime_error(*error);
  thread_ = std::thread([this] { daemon_->run(); });
}

TetherInstance::~TetherInstance() {
  shutdown();
  thread_.join();
}

void TetherInstance::shutdown() {
  daemon_->shutdown();
}

tcp::endpoint TetherInstance::endpoint(const std::string& frontend, std::size_t index) const {
  return daemon_->listening(frontend).at(index);
}

std::string tether_binary() {
  return std::string(TETHER_BINARY_DIR) + "/lb/tether";
}

std::string write_temp_file(const std::string& name, const std::string& content) {
  // Per process: ctest runs tests in parallel processes, and one truncating a file another is
  // reading made a token file empty for an instant.
  const std::string path = ::testing::TempDir() + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path) << content;
  return path;
}

unsigned short free_port() {
  asio::io_context context;
  tcp::acceptor probe(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return probe.local_endpoint().port();
}

TetherProcess::TetherProcess(const std::string& config_path, tcp::endpoint wait_for,
                             const std::string& output_path) {
  const std::string binary = tether_binary();
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()), const_cast<char*>("-c"),
                             const_cast<char*>(config_path.c_str()), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!output_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  const int failed = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0) throw std::runtime_error("cannot start " + binary);
  // Ready when it accepts; bounded wait.
  for (int i = 0; i < 100; ++i) {
    asio::io_context context;
    tcp::socket probe(context);
    std::error_code ec;
    probe.connect(wait_for, ec);
    if (!ec) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  terminate_and_wait();
  throw std::runtime_error("tether did not start listening on " + format(wait_for));
}

TetherProcess::~TetherProcess() {
  terminate_and_wait();
}

int TetherProcess::terminate_and_wait(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

tcp::socket connect_from(asio::io_context& context, const std::string& source,
                         const tcp::endpoint& target) {
  tcp::socket socket(context);
  socket.open(target.protocol());
  socket.bind(tcp::endpoint(asio::ip::make_address(source), 0));
  socket.connect(target);
  return socket;
}

std::string read_line(tcp::socket& socket) {
  std::string line;
  char c;
  std::error_code ec;
  while (asio::read(socket, asio::buffer(&c, 1), ec) == 1 && c != '\n')
    line += c;
  return line;
}

std::string server_seen_by(const std::string& source, const tcp::endpoint& target) {
  asio::io_context context;
  auto socket = connect_from(context, source, target);
  return read_line(socket);
}

std::string http_server_seen_by(const std::string& source, const tcp::endpoint& target) {
  asio::io_context context;
  std::error_code ec;
  auto socket = connect_from(context, source, target);
  asio::write(
      socket,
      asio::buffer(std::string("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")), ec);
  if (ec) return "";
  const std::string answer = read_all(socket, std::chrono::seconds(5));
  const std::string header = "\r\nX-Tether-Server: ";
  const auto at = answer.find(header);
  if (at == std::string::npos) return "";
  const auto start = at + header.size();
  return answer.substr(start, answer.find("\r\n", start) - start);
}

void run_on_control(lb::Daemon& daemon, std::function<void()> work) {
  std::promise<void> done;
  asio::post(daemon.control(), [&] {
    work();
    done.set_value();
  });
  done.get_future().wait();
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string read_all(tcp::socket& socket, std::chrono::milliseconds timeout) {
  // Blocking reads with SO_RCVTIMEO: a stuck test fails instead of hanging.
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string data;
  char buffer[65536];
  for (;;) {
    std::error_code ec;
    const std::size_t n = socket.read_some(asio::buffer(buffer), ec);
    data.append(buffer, n);
    if (ec) break;
  }
  return data;
}

std::string client_address(std::size_t i) {
  return "127.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
}

}  // namespace tether::test
