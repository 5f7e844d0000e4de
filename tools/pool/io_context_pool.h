// One io_context per thread (Asio's http/server2 model): everything a connection touches belongs
// to the io_context it was accepted on, so connections never need a lock.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace tether::pool {

class IoContextPool {
 public:
  explicit IoContextPool(std::size_t threads);
  ~IoContextPool();

  IoContextPool(const IoContextPool&) = delete;
  IoContextPool& operator=(const IoContextPool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  asio::io_context& at(std::size_t index) { return *contexts_[index]; }

  // Starts one thread per io_context; they run until stop().
  void run();
  // Stops every io_context and joins the threads. Idempotent; not from a worker thread.
  void stop();

 private:
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace tether::pool
