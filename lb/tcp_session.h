// One client connection in tcp mode: place the client (SPEC §4), connect to the server with a
// timeout and retries, then relay bytes both ways until both directions have ended.
//
// Lifetime: the session lives exactly as long as a handler holds shared_from_this(). All of its
// handlers run on its worker's thread, so it takes no lock.
//
// The relay (docs/data-path.md): a waiting read fills a small per-direction buffer; while more
// is coming the session reads into its worker's 64 KiB scratch buffer and writes at once. Only
// bytes the receiver cannot take yet are kept, in a buffer allocated then and freed when
// drained, so an idle connection holds about 3 KiB in all. A direction that fills a whole scratch
// read (a bulk transfer) switches to splice(2) through a pipe borrowed from the worker, which
// goes back to the worker whenever it is empty and the socket quiet.
#pragma once

#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "lb/affinity_key.h"
#include "lb/pool.h"
#include "lb/session.h"
#include "lb/splice_pipe.h"
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

  // `peer` is the client's address as accept() returned it.
  void start(const asio::ip::tcp::endpoint& peer);
  // Ends the session now (both sockets closed), logging `reason` as how it ended.
  void close(const char* reason) override;

 private:
  static constexpr auto kProxyHeaderTimeout = std::chrono::seconds(10);
  // Bytes one direction moves before it lets the worker's other sessions run.
  static constexpr std::size_t kTurnBytes = 512 * 1024;
  // What a waiting read may fill: a typical request or response fits in one read.
  static constexpr std::size_t kFirstRead = 512;

  // One direction of the relay.
  struct Half {
    Half(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to) : from(from), to(to) {}
    asio::ip::tcp::socket& from;
    asio::ip::tcp::socket& to;
    std::uint64_t bytes = 0;       // delivered to `to`
    std::size_t uncounted = 0;     // bytes of ours at the head of `held` (a PROXY header)
    bool more = false;             // the last read filled its buffer: more is likely waiting
    bool bulk = false;             // a bulk transfer: splice through a pipe
    bool eof = false;              // `from` sent EOF
    bool ended = false;            // ... and it was passed on
    std::unique_ptr<char[]> held;  // read but not yet taken by `to`: [held_begin, held_end)
    std::size_t held_begin = 0;
    std::size_t held_end = 0;
    std::optional<SplicePipe> pipe;  // while splicing
    std::size_t in_pipe = 0;
    std::array<char, kFirstRead> first;

    bool holding() const { return held_begin < held_end || in_pipe > 0; }
  };

  void read_proxy_header();
  void place_client();
  void connect_next();
  void on_connect(std::error_code ec);
  void start_relay();
  void pump(Half& half);
  bool forward(Half& half, const char* data, std::size_t size);
  bool flush(Half& half);
  void read_async(Half& half);
  void wait_readable(Half& half);
  void wait_writable(Half& half);
  void hold(Half& half, const char* data, std::size_t size);
  void delivered(Half& half, std::size_t n);
  void end_direction(Half& half);
  void on_idle_timer(std::error_code ec);

  Worker& worker_;
  Frontend& frontend_;
  asio::ip::tcp::socket client_;
  asio::ip::tcp::socket server_socket_;
  asio::ip::tcp::endpoint client_endpoint_;  // the PROXY header's source, when there is one
  std::unique_ptr<char[]> preamble_;         // accept_proxy: the PROXY header and what followed it
  std::size_t preamble_bytes_ = 0;  // client bytes read with the PROXY header, not yet relayed
  asio::steady_timer connect_timer_;
  asio::steady_timer idle_timer_;

  AffinityKey key_;
  std::uint64_t key_hash_ = 0;
  std::vector<std::uint32_t> tried_;  // servers whose connect failed, in order
  Server* server_ = nullptr;          // the server being connected to or relayed to
  bool connected_ = false;
  Decision decision_ = Decision::none;  // stick: place() already refreshed the entry
  const char* end_ = nullptr;           // set once, when the session ends

  Clock::time_point started_;
  Clock::time_point last_activity_;
  Clock::time_point connect_started_;  // of the current attempt (connect time histogram)

  Half upstream_{client_, server_socket_};    // client → server
  Half downstream_{server_socket_, client_};  // server → client
};

}  // namespace tether::lb
