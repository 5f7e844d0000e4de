// A frontend at run time: its configuration, the pool it feeds, and its counters.
#pragma once

#include <atomic>
#include <cstdint>

#include "config/config.h"
#include "lb/pool.h"

namespace tether::lb {

struct Frontend {
  Frontend(config::FrontendConfig config, Pool& pool, std::size_t pool_index)
      : config(std::move(config)), pool(pool), pool_index(pool_index) {}

  const config::FrontendConfig config;
  Pool& pool;
  const std::size_t pool_index;  // index of `pool` in the daemon, for per-worker snapshot caches

  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> active{0};
  std::atomic<std::uint64_t> no_server{0};       // closed at once: no usable server
  std::atomic<std::uint64_t> connect_failed{0};  // every attempt (and retry) failed

  const std::string& name() const { return config.name; }
};

}  // namespace tether::lb
