// The typed configuration of SPEC §3. Everything here is plain data: the loader
// (config/loader.h) fills it from YAML and validates it, the data path reads it.
#pragma once

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tether::config {

using Duration = std::chrono::milliseconds;

// Where a value came from, so later checks (and reload errors) can name file:line:column.
struct Mark {
  int line = 0;  // 1-based; 0 = not from a file (a default)
  int column = 0;
};

// An address as written ("fe01.contoso.net:443", "[::]:443") and what it resolved to at load.
struct Address {
  std::string text;
  asio::ip::tcp::endpoint endpoint;
};

enum class Mode { tcp, http };
enum class AffinityType { source, cookie, none };
enum class Balance { maglev, least_conn, round_robin };

struct AffinityConfig {
  AffinityType type = AffinityType::source;
  unsigned ipv4_mask = 32;
  unsigned ipv6_mask = 64;
  Duration timeout = std::chrono::minutes(20);  // 0 = no stick table, pure consistent hash
  std::uint64_t table_size = 1'000'000;
};

struct FrontendConfig {
  Mark mark;
  std::string name;
  std::vector<Address> listen;
  Mode mode = Mode::tcp;
  std::string pool;
  Duration idle_timeout = std::chrono::seconds(1800);
  AffinityConfig affinity;
};

struct ServerConfig {
  Mark mark;
  std::string name;
  Address address;
  std::uint32_t weight = 1;  // 1..256; 0 is refused (use the drain state instead)
};

struct PoolConfig {
  Mark mark;
  std::string name;
  Balance balance = Balance::maglev;
  std::uint64_t hash_seed = 0;
  std::vector<ServerConfig> servers;
  Duration connect_timeout = std::chrono::seconds(3);
  Duration server_timeout = std::chrono::seconds(60);
  unsigned retries = 2;
  std::uint32_t max_connections = 0;  // per server; 0 = unlimited
};

struct LogConfig {
  std::string level = "info";     // trace | debug | info | warn | error
  std::string access = "stdout";  // stdout | off | a file path
};

struct Config {
  std::string file;      // the path it was loaded from, for messages
  unsigned threads = 0;  // 0 = one worker per core
  Duration shutdown_grace = std::chrono::seconds(30);
  LogConfig log;
  std::vector<FrontendConfig> frontends;
  std::vector<PoolConfig> pools;

  const PoolConfig* find_pool(const std::string& name) const;
};

const char* to_string(Mode);
const char* to_string(AffinityType);
const char* to_string(Balance);

}  // namespace tether::config
