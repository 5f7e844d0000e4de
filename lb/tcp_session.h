// One client connection in tcp mode: place the client (SPEC §4), connect to the server with a
// timeout and retries, then relay bytes both ways until both directions have ended.
//
// Lifetime: the session lives exactly as long as a handler holds shared_from_this(). All of its
// handlers run on its worker's thread, so it takes no lock. Each direction owns one buffer,
// allocated with the session: a read never allocates.
#pragma once

#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "lb/affinity_key.h"
#include "lb/session.h"
#include "lb/stick_table.h"

namespace tether::lb {

struct Frontend;
struct Server;
class Worker;

class TcpSession : public Session, public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(Worker& worker, Frontend& frontend, asio::ip::tcp::socket client);
  ~TcpSession() override;
  TcpSession(const TcpSession&) = delete;
  TcpSession& operator=(const TcpSession&) = delete;

  void start();
  // Ends the session now (both sockets closed), logging `reason` as how it ended.
  void close(const char* reason) override;

 private:
  static constexpr std::size_t kBufferSize = 16 * 1024;
  static constexpr auto kProxyHeaderTimeout = std::chrono::seconds(10);

  // One direction of the relay.
  struct Half {
    Half(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to) : from(from), to(to) {}
    asio::ip::tcp::socket& from;
    asio::ip::tcp::socket& to;
    std::uint64_t bytes = 0;
    bool ended = false;  // `from` sent EOF and it was passed on as a shutdown of `to`
    std::array<char, kBufferSize> buffer;
  };

  void read_proxy_header();
  void place_client();
  void connect_next();
  void start_relay();
  void on_connect(std::error_code ec);
  void relay(Half& half);
  void on_idle_timer(std::error_code ec);
  void count_bytes(Half& half, std::size_t n);

  Worker& worker_;
  Frontend& frontend_;
  asio::ip::tcp::socket client_;
  asio::ip::tcp::socket server_socket_;
  asio::ip::tcp::endpoint client_endpoint_;  // the PROXY header's source, when there is one
  asio::ip::tcp::endpoint local_endpoint_;
  std::size_t preamble_bytes_ = 0;  // client bytes read with the PROXY header, not yet relayed
  asio::steady_timer connect_timer_;
  asio::steady_timer idle_timer_;

  AffinityKey key_;
  std::uint64_t key_hash_ = 0;
  std::vector<std::uint32_t> tried_;  // servers whose connect failed, in order
  Server* server_ = nullptr;          // the server being connected to or relayed to
  bool connected_ = false;
  bool pinned_ = false;        // placed by its stick entry, which place() already refreshed
  const char* end_ = nullptr;  // set once, when the session ends

  Clock::time_point started_;
  Clock::time_point last_activity_;

  Half upstream_{client_, server_socket_};    // client → server
  Half downstream_{server_socket_, client_};  // server → client
};

}  // namespace tether::lb
