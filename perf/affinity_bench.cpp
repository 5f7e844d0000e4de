// The per-connection cost of choosing a server: Maglev lookup (key hash + table read) and the
// stick table (hit, miss, insert), single-threaded and with 8 threads contending.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <fstream>
#include <random>

#include "lb/affinity_key.h"
#include "lb/maglev.h"
#include "lb/stick_table.h"

namespace tether::lb {
namespace {

std::vector<MaglevBackend> servers(int n) {
  std::vector<MaglevBackend> result;
  for (int i = 0; i < n; ++i)
    result.push_back({"fe" + std::to_string(i), 1});
  return result;
}

std::vector<AffinityKey> clients(std::size_t n, std::uint32_t seed = 1) {
  std::mt19937 random(seed);
  std::vector<AffinityKey> keys;
  for (std::size_t i = 0; i < n; ++i)
    keys.push_back(source_key(asio::ip::address_v4(random()), 32, 64));
  return keys;
}

void MaglevBuild(benchmark::State& state) {
  const auto backends = servers(static_cast<int>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(MaglevTable::build(backends, 0));
}
BENCHMARK(MaglevBuild)->Arg(3)->Arg(100)->Unit(benchmark::kMillisecond);

// Key hash plus table read: what a new client costs.
void MaglevLookup(benchmark::State& state) {
  const auto table = MaglevTable::build(servers(static_cast<int>(state.range(0))), 0);
  const auto keys = clients(1 << 16);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.pick(key_hash(keys[i++ & 0xFFFF], 0)));
  }
}
BENCHMARK(MaglevLookup)->Arg(3)->Arg(100);

// Client number n's key, computed rather than read from a table of keys: a key fetched from a
// 17 MB array would add its own cache miss to every lookup, which a session (whose key is hot)
// never pays.
AffinityKey client_key(std::uint32_t n) {
  return source_key(asio::ip::address_v4(n * 2654435761u), 32, 64);
}

// A table of `range(0)` live clients; every lookup hits one of the first `range(1)` of them.
// With threads, all share one table. Lookups spread over all 1M entries pay one DRAM miss each
// (64 MiB of slots); the 10k case is a pool's busy hour, where the clients that connect right
// now are a small part of everyone pinned in the last 20 minutes and their slots stay in cache.
void StickHit(benchmark::State& state) {
  static StickTable* table = nullptr;
  const auto entries = static_cast<std::uint32_t>(state.range(0));
  const auto active = static_cast<std::uint32_t>(state.range(1));
  if (state.thread_index() == 0) {
    table = new StickTable(entries, std::chrono::hours(1));
    const auto now = Clock::now();
    for (std::uint32_t i = 0; i < entries; ++i)
      table->pin(client_key(i), i % 7, now);
  }
  std::mt19937 random(state.thread_index());
  const auto now = Clock::now();
  for (auto _ : state)
    benchmark::DoNotOptimize(table->find(client_key(random() % active), now));
  if (state.thread_index() == 0) {
    state.counters["entries"] = double(table->size());
    delete table;
  }
}
BENCHMARK(StickHit)
    ->Args({1'000'000, 1'000'000})
    ->Args({1'000'000, 10'000})
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime();

// Resident memory of this process in bytes (/proc/self/statm).
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  double pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * double(sysconf(_SC_PAGESIZE));
}

// Memory, not time: resident bytes per entry of a table holding range(0) clients.
void StickMemory(benchmark::State& state) {
  const auto entries = static_cast<std::uint32_t>(state.range(0));
  for (auto _ : state) {
    const double before = resident_bytes();
    StickTable table(entries, std::chrono::hours(1));
    const auto now = Clock::now();
    for (std::uint32_t i = 0; i < entries; ++i)
      table.pin(client_key(i), i % 7, now);
    const double after = resident_bytes();
    state.counters["bytes_per_entry"] = (after - before) / entries;
    state.counters["MiB"] = (after - before) / (1 << 20);
  }
}
BENCHMARK(StickMemory)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

// Lookups of absent clients in a table of 500k; with threads, all share one table.
void StickMiss(benchmark::State& state) {
  static StickTable* table = nullptr;
  if (state.thread_index() == 0) {
    table = new StickTable(1'000'000, std::chrono::hours(1));
    const auto now = Clock::now();
    for (std::uint32_t i = 0; i < 500'000; ++i)
      table->pin(client_key(i), 1, now);
  }
  std::mt19937 random(state.thread_index());
  const auto now = Clock::now();
  for (auto _ : state)
    benchmark::DoNotOptimize(table->find(client_key(500'000 + random() % 500'000), now));
  if (state.thread_index() == 0) delete table;
}
BENCHMARK(StickMiss)->Threads(1)->Threads(8)->UseRealTime();

// Inserts into a full table of 100k: each pin evicts a least recently used entry. With threads,
// all insert into one table.
void StickInsertAtCapacity(benchmark::State& state) {
  static StickTable* table = nullptr;
  if (state.thread_index() == 0) table = new StickTable(100'000, std::chrono::hours(1));
  std::uint32_t i = static_cast<std::uint32_t>(state.thread_index()) << 24;
  auto now = Clock::now();
  for (auto _ : state)
    table->pin(client_key(i++), 1, now += std::chrono::nanoseconds(1));
  if (state.thread_index() == 0) {
    state.counters["evictions"] = double(table->evictions());
    delete table;
  }
}
BENCHMARK(StickInsertAtCapacity)->Threads(1)->Threads(8)->UseRealTime();

}  // namespace
}  // namespace tether::lb
