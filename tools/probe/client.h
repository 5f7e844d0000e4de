// One simulated client on the wire: runs a stretch of its session (requests [next, end)) one
// request at a time over a keep-alive connection, or a new connection per request, from its own
// source address, presenting its session (X-Session) and its cookie as a browser or a Lync mobile
// client would. Each request becomes one Observation. It lives exactly as long as its pending
// I/O (every handler holds shared_from_this()) and is used on one io_context's thread only.
// With TLS, every new connection (a roaming client's included) starts with a full handshake.
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "lb/stream.h"
#include "tools/probe/response_parser.h"
#include "tools/probe/tally.h"
#include "tools/probe/tls_client.h"

namespace tether::probe {

// What every client shares, read-only while they run.
struct ClientSettings {
  asio::ip::tcp::endpoint target;
  // Request line and fixed headers, each ending in CRLF, without the blank line.
  std::string request_head;
  bool new_connections = false;
  std::optional<std::uint64_t> check_body_length;  // 200 bodies must be tether-pool's pattern
  std::string cookie_name;                         // empty: no cookie jar
  std::string server_header = "X-Tether-Server";
  std::chrono::milliseconds timeout{5000};
  std::size_t split = 0;  // the request index where roaming clients switch address
  // HTTPS when set; the context outlives the clients.
  asio::ssl::context* tls = nullptr;
  TlsClientOptions tls_options;
  // Why the first TLS handshake that failed did (the run reports it once); the clients share it.
  std::string* first_tls_error = nullptr;
};

// What one client keeps for its whole session, across the scenario point.
struct ClientState {
  std::size_t index = 0;
  asio::ip::address source;
  std::optional<asio::ip::address> roam_source;
  std::size_t next_request = 0;
  std::string session;  // X-Session from the first response that carried one
  std::string cookie;   // the value of settings.cookie_name, from the latest Set-Cookie
};

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  using Record = std::function<void(const Observation&)>;
  using MayContinue = std::function<bool()>;
  using Done = std::function<void()>;

  // Runs requests until `end`, or until `may_continue` says no before one starts (--duration).
  // `done` is posted once the last one ended; the connection is closed by then.
  ClientSession(asio::io_context& io, const ClientSettings& settings, ClientState& state,
                std::size_t end, MayContinue may_continue, Record record, Done done);

  void start();

 private:
  void next();
  void connect();
  void handshake();
  void write();
  void read();
  void on_read(std::error_code ec, std::size_t n);
  // A keep-alive connection that the server closed while idle: one retry on a new connection.
  bool retry_on_new_connection();
  void answered();
  void failed(Outcome outcome);
  void finish_request(const Observation& observation);
  void close();

  asio::io_context& io_;
  const ClientSettings& settings_;
  ClientState& state_;
  std::size_t end_;
  MayContinue may_continue_;
  Record record_;
  Done done_;

  lb::Stream wire_;
  asio::steady_timer timer_;
  std::optional<asio::ip::address> bound_source_;
  ResponseParser parser_;
  std::string request_;
  std::array<char, 16 * 1024> buffer_;
  std::chrono::steady_clock::time_point started_;
  double handshake_ms_ = -1;      // this request's TLS handshake, when it made one
  std::uint64_t generation_ = 0;  // which request the timer belongs to
  bool in_flight_ = false;
  bool timed_out_ = false;
  bool reused_ = false;  // the request went out on a connection opened for an earlier one
  bool retried_ = false;
};

}  // namespace tether::probe
