// The typed configuration of SPEC §3. Everything here is plain data: the loader
// (config/loader.h) fills it from YAML and validates it, the data path reads it.
#pragma once

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
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

// One item of health.expect_status: "200" is {200, 200}, "300-399" is {300, 399}.
struct StatusRange {
  unsigned low = 200, high = 399;
};

// How a pool's servers are probed (SPEC §3 `health`). Checks of one server decide its `up`/`down`:
// down after `fall` failures in a row, up again after `rise` successes.
struct HealthConfig {
  // https stays refused ("not supported yet") until TLS lands. none: no checks, servers always up.
  enum class Type { tcp, http, none } type = Type::tcp;
  std::uint16_t port = 0;  // 0 = the server's own port (a Front End is probed on its SIP 5061)
  Duration interval = std::chrono::seconds(5);
  Duration timeout = std::chrono::seconds(2);  // never longer than interval
  unsigned rise = 2;
  unsigned fall = 3;
  std::string path = "/";  // http: the request target of `GET`
  std::string host;        // Host header for http checks; empty = the server's address
  std::vector<StatusRange> expect_status = {{200, 399}};  // http: any of these means up
  // Failed connects of real traffic count as failed checks. Off with type none: without checks
  // nothing would ever bring the server back up.
  bool observe = true;

  // No checks at all (type none, observe off): servers are always up.
  static HealthConfig off() {
    HealthConfig health;
    health.type = Type::none;
    health.observe = false;
    return health;
  }
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
  // With `health:` omitted the pool has no checks (type none, observe off): servers are always up.
  HealthConfig health = HealthConfig::off();
  bool health_configured = false;  // `health:` was written, so the values above are the user's
};

// The admin API (SPEC §6). Only present when `admin:` is written: no admin port by default.
struct AdminConfig {
  Address listen;          // port 0 allowed (tests)
  std::string token_file;  // as written; empty = no token, then POSTs are open (loopback only)
  std::string token;       // the file's content, read at load, surrounding whitespace trimmed
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
  std::optional<AdminConfig> admin;
  std::vector<FrontendConfig> frontends;
  std::vector<PoolConfig> pools;

  const PoolConfig* find_pool(const std::string& name) const;
};

const char* to_string(Mode);
const char* to_string(AffinityType);
const char* to_string(Balance);
const char* to_string(HealthConfig::Type);

}  // namespace tether::config
