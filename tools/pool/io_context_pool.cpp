#include "tools/pool/io_context_pool.h"

#include <spdlog/spdlog.h>

#include <cassert>
#include <exception>

namespace tether::pool {

IoContextPool::IoContextPool(std::size_t threads) {
  assert(threads > 0);
  for (std::size_t i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*contexts_.back()));
  }
}

IoContextPool::~IoContextPool() {
  stop();
}

void IoContextPool::run() {
  for (auto& context : contexts_) {
    threads_.emplace_back([&io = *context] {
      // A handler that throws (bad_alloc) costs that connection, not the whole pool.
      for (;;) {
        try {
          io.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("worker: {}", e.what());
        }
      }
    });
  }
}

void IoContextPool::stop() {
  guards_.clear();
  for (auto& context : contexts_)
    context->stop();
  for (auto& thread : threads_)
    thread.join();
  threads_.clear();
}

}  // namespace tether::pool
