// The typed configuration of SPEC §3. Everything here is plain data: the loader
// (config/loader.h) fills it from YAML and validates it, the data path reads it.
#pragma once

#include <asio/ip/address.hpp>
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

// An address block of trusted_proxies: "10.0.0.0/8", "2001:db8::/32"; a bare address is /32 or
// /128. The loader refuses host bits, so `network` has none (a typo like 10.0.0.1/8 is caught).
struct Cidr {
  asio::ip::address network;
  unsigned prefix = 0;

  // A v4-mapped v6 address (::ffff:10.1.2.3, what a dual-stack socket reports for a v4 peer) is
  // the v4 address it carries: it matches 10.0.0.0/8, and ::/0 does not cover v4 peers.
  bool contains(const asio::ip::address&) const;
  bool operator==(const Cidr&) const = default;
};

std::string to_string(const Cidr&);  // "10.0.0.0/8"

enum class Mode { tcp, http };
enum class AffinityType { source, cookie, none };
enum class Balance { maglev, least_conn, round_robin };

// Which address keys source affinity (and the source fallback of cookie affinity).
// x_forwarded_for: the address a trusted proxy reports in X-Forwarded-For, so the clients behind
// one reverse proxy do not all land on one server. Needs mode http and trusted_proxies.
enum class ClientAddress { connection, x_forwarded_for };

// How cookie affinity places a request that has no valid cookie (SPEC §4).
enum class Fallback { source, least_conn, round_robin };

// The PROXY protocol header sent to a server at connect, so it sees the client's address.
enum class SendProxy { off, v1, v2 };

// The cookie of cookie affinity. Microsoft's MUSTs for Lync are the defaults: named MS-WSMAN,
// not HttpOnly; other names and flags are for other applications.
struct CookieConfig {
  std::string name = "MS-WSMAN";
  bool httponly = false;
  bool secure = false;
  std::string secret_file;  // as written; empty = tokens are not keyed (clients could forge them)
  std::string secret;       // the file's content, read at load, surrounding whitespace trimmed
};

struct AffinityConfig {
  AffinityType type = AffinityType::source;
  unsigned ipv4_mask = 32;
  unsigned ipv6_mask = 64;
  Duration timeout = std::chrono::minutes(20);  // 0 = no stick table, pure consistent hash
  std::uint64_t table_size = 1'000'000;
  ClientAddress client_address = ClientAddress::connection;
  // Peers allowed to send PROXY headers (accept_proxy) or X-Forwarded-For (x_forwarded_for).
  // Empty with accept_proxy: every peer must send a PROXY header.
  std::vector<Cidr> trusted_proxies;
  CookieConfig cookie;                   // type cookie only
  Fallback fallback = Fallback::source;  // type cookie only
};

// A certificate chain and its key: the paths as written (relative ones taken from the config's
// folder) and the files' content, read and checked at load. Reloading with changed files gives new
// handshakes the new certificate (rolling certificates).
struct TlsCertificate {
  Mark mark;
  std::string cert_file, key_file;
  std::string cert_pem, key_pem;
  std::vector<std::string> names;  // the leaf's DNS names (subjectAltName, else CN), for SNI
  std::chrono::system_clock::time_point not_after;  // the leaf's expiry
};

enum class TlsVersion { tls12, tls13 };

// TLS termination on an http frontend (SPEC §3 `tls`).
struct FrontendTls {
  // The first is the default; the others are chosen when the client's SNI matches their names.
  std::vector<TlsCertificate> certificates;
  TlsVersion min_version = TlsVersion::tls12;
};

// TLS towards a pool's servers. `enabled` re-encrypts traffic; the other settings also apply to
// https health checks, with or without `enabled`.
struct PoolTls {
  bool enabled = false;
  bool verify = true;   // false only when written, and then warned about at start and reload
  std::string ca_file;  // as written; empty: the system's trust store
  std::string ca_pem;   // its content, read at load
  std::string sni;      // the name sent and verified; empty: the host of the server's address
};

struct FrontendConfig {
  Mark mark;
  std::string name;
  std::vector<Address> listen;
  Mode mode = Mode::tcp;
  std::string pool;
  Duration idle_timeout = std::chrono::seconds(1800);
  // Every connection starts with a PROXY v1/v2 header whose address is the client's. With
  // affinity.trusted_proxies set, connections from other peers are refused.
  bool accept_proxy = false;
  AffinityConfig affinity;
  std::optional<FrontendTls> tls;  // http mode only
};

struct ServerConfig {
  Mark mark;
  std::string name;
  Address address;
  std::uint32_t weight = 1;  // 1..256; 0 is refused (use the drain state instead)
  SendProxy send_proxy = SendProxy::off;
};

// One item of health.expect_status: "200" is {200, 200}, "300-399" is {300, 399}.
struct StatusRange {
  unsigned low = 200, high = 399;
};

// How a pool's servers are probed (SPEC §3 `health`). Checks of one server decide its `up`/`down`:
// down after `fall` failures in a row, up again after `rise` successes.
struct HealthConfig {
  // https: handshake with the pool's `tls` settings, then as http. none: no checks, servers
  // always up.
  enum class Type { tcp, http, https, none } type = Type::tcp;
  std::uint16_t port = 0;  // 0 = the server's own port (a Front End is probed on its SIP 5061)
  Duration interval = std::chrono::seconds(5);
  // Never longer than interval. Not written: 2s, or the interval when that is shorter.
  Duration timeout = std::chrono::seconds(2);
  unsigned rise = 2;
  unsigned fall = 3;
  std::string path = "/";  // http(s): the request target of `GET`
  // Host header (and SNI for https) of http(s) checks; empty = the server's address
  std::string host;
  std::vector<StatusRange> expect_status = {{200, 399}};  // http(s): any of these means up
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
  PoolTls tls;
};

// The admin API (SPEC §6). Only present when `admin:` is written: no admin port by default.
struct AdminConfig {
  Address listen;          // port 0 allowed (tests)
  std::string token_file;  // as written; empty = no token, then POSTs are open (loopback only)
  std::string token;       // the file's content, read at load, surrounding whitespace trimmed
};

struct LogConfig {
  std::string level = "info";  // trace | debug | info | warn | error
  // stdout | off | a file path (a relative one resolved against the config file's folder)
  std::string access = "stdout";
};

// `threads` and `--threads` alike: beyond this a typo, not a machine.
inline constexpr unsigned kMaxThreads = 1024;

struct Config {
  std::string file;      // the path it was loaded from, for messages
  unsigned threads = 0;  // 0 = one worker per core; at most kMaxThreads
  Duration shutdown_grace = std::chrono::seconds(30);
  // Stick tables kept across restarts (SPEC §6a); relative paths are next to the config file.
  // Empty: none.
  std::string state_file;
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
const char* to_string(ClientAddress);  // "connection" | "x-forwarded-for", as written in YAML
const char* to_string(Fallback);
const char* to_string(SendProxy);
const char* to_string(TlsVersion);  // "1.2" | "1.3"

}  // namespace tether::config
