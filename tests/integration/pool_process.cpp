#include "tests/integration/pool_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

extern char** environ;

namespace tether::test {

PoolProcess::PoolProcess() : port_(free_port()) {
  const std::string binary = std::string(TETHER_BINARY_DIR) + "/tools/tether-pool";
  const std::string port = std::to_string(port_);
  std::vector<const char*> argv = {binary.c_str(), "--servers", "1",         "--base-port",
                                   port.c_str(),   "--bind",    "127.0.0.1", nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);  // its "ready" lines
  const int failed = posix_spawn(&pid_, binary.c_str(), &actions, nullptr,
                                 const_cast<char* const*>(argv.data()), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0) throw std::runtime_error("cannot start " + binary);
  const tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port_);
  const bool up = wait_until(
      [&] {
        asio::io_context context;
        tcp::socket probe(context);
        std::error_code ec;
        probe.connect(server, ec);
        return !ec;
      },
      std::chrono::seconds(5));
  if (!up) {
    kill();
    throw std::runtime_error("tether-pool did not listen on " + server_address());
  }
}

PoolProcess::~PoolProcess() {
  kill();
}

void PoolProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace tether::test
