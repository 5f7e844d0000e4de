// One tether-pool server in a child process, so a test can make it disappear the way a crashed
// Front End does (SIGKILL: the kernel closes its sockets, nobody says goodbye).
#pragma once

#include <sys/types.h>

#include <string>

namespace tether::test {

class PoolProcess {
 public:
  PoolProcess();  // one server, fe01, on a free 127.0.0.1 port; returns once it accepts
  ~PoolProcess();
  PoolProcess(const PoolProcess&) = delete;
  PoolProcess& operator=(const PoolProcess&) = delete;

  std::string server_address() const { return "127.0.0.1:" + std::to_string(port_); }
  void kill();  // SIGKILL and reap

 private:
  unsigned short port_;
  pid_t pid_ = -1;
};

}  // namespace tether::test
