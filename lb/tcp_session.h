// One client connection in tcp mode: place the client (SPEC §4), connect to the server with a
// timeout and retries, then relay bytes both ways until both directions have ended.
//
// The session's two sockets are raw descriptors in its worker's Poller, registered once for
// both directions (edge-triggered), and its deadlines are entries in the worker's DeadlineSweep:
// docs/data-path.md says what that saves over Asio sockets and timers.
//
// Lifetime: the session holds itself (self_) from start() until it ends; close() hands that
// reference to the poller, which frees the session once no batch of events can name it. Posted
// work holds its own reference. Everything runs on the worker's thread, so it takes no lock.
//
// The relay: each read goes into the worker's 64 KiB scratch buffer and is written at once.
// Only bytes the receiver cannot take yet are kept, in a buffer allocated then and freed when
// drained, so an idle connection holds no buffer. A direction that fills a whole scratch read
// (a bulk transfer) switches to splice(2) through a pipe borrowed from the worker, which goes
// back to the worker whenever it is empty and the socket quiet.
#pragma once

#include <asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "lb/affinity_key.h"
#include "lb/deadline_sweep.h"
#include "lb/poller.h"
#include "lb/pool.h"
#include "lb/session.h"
#include "lb/splice_pipe.h"
#include "lb/stick_table.h"

namespace tether::lb {

struct Frontend;
struct Server;
class Worker;

class TcpSession : public Session,
                   public Poller::Target,
                   public DeadlineSweep::Entry,
                   public std::enable_shared_from_this<TcpSession> {
 public:
  // Takes ownership of `client`, a connected non-blocking socket.
  TcpSession(Worker& worker, Frontend& frontend, int client);
  ~TcpSession() override;
  TcpSession(const TcpSession&) = delete;
  TcpSession& operator=(const TcpSession&) = delete;

  // `peer` is the client's address as accept() returned it.
  void start(const asio::ip::tcp::endpoint& peer);
  // Ends the session now (both sockets closed), logging `reason` as how it ended.
  void close(const char* reason) override;

  void on_events(std::uint8_t tag, std::uint32_t events) override;
  Clock::time_point on_sweep(Clock::time_point now) override;
  // Sends the server the handshake's last ACK if no client byte has carried it yet.
  void on_soon() override;

 private:
  static constexpr auto kProxyHeaderTimeout = std::chrono::seconds(10);
  // Bytes one direction moves before it lets the worker's other sessions run.
  static constexpr std::size_t kTurnBytes = 512 * 1024;
  // Poller tags: the client, and the server socket of each connect attempt (an event of an
  // attempt that failed in the same batch must not be taken for the next one's).
  static constexpr std::uint8_t kClientTag = 0;

  // What edge-triggered epoll said about a socket, until a call says otherwise.
  struct Socket {
    int fd = -1;
    bool readable = false;
    bool writable = false;
    bool peer_closed = false;  // EPOLLRDHUP: once drained, the next read would be EOF
  };

  // One direction of the relay.
  struct Half {
    Half(Socket& from, Socket& to) : from(from), to(to) {}
    Socket& from;
    Socket& to;
    std::uint64_t bytes = 0;       // delivered to `to`
    std::size_t uncounted = 0;     // bytes of ours at the head of `held` (a PROXY header)
    bool bulk = false;             // a bulk transfer: splice through a pipe
    bool eof = false;              // `from` sent EOF
    bool ended = false;            // ... and it was passed on
    std::unique_ptr<char[]> held;  // read but not yet taken by `to`: [held_begin, held_end)
    std::size_t held_begin = 0;
    std::size_t held_end = 0;
    std::optional<SplicePipe> pipe;  // while splicing
    std::size_t in_pipe = 0;

    bool holding() const { return held_begin < held_end || in_pipe > 0; }
  };

  enum class Phase : std::uint8_t { proxy_header, connecting, relaying };

  void read_proxy_header();
  void place_client();
  void connect_next();
  void connect_failed();
  void connected();
  void relay();
  void pump(Half& half);
  bool forward(Half& half, const char* data, std::size_t size, int flags);
  bool flush(Half& half);
  void hold(Half& half, const char* data, std::size_t size);
  void delivered(Half& half, std::size_t n);
  void end_direction(Half& half);
  void close_server();
  const char* error_of(const Half& half, bool reading, int error) const;

  Worker& worker_;
  Frontend& frontend_;
  std::shared_ptr<TcpSession> self_;  // while open
  Socket client_;
  Socket server_socket_;
  std::uint8_t server_tag_ = 1;
  Phase phase_ = Phase::connecting;
  asio::ip::tcp::endpoint client_endpoint_;  // the PROXY header's source, when there is one
  std::unique_ptr<char[]> preamble_;         // accept_proxy: the PROXY header and what followed it
  std::size_t preamble_bytes_ = 0;  // client bytes read with the PROXY header, not yet relayed
  bool server_heard_ = false;       // a byte went to the server (and our handshake ACK with it)

  AffinityKey key_;
  std::uint64_t key_hash_ = 0;
  std::vector<std::uint32_t> tried_;    // servers whose connect failed, in order
  Server* server_ = nullptr;            // the server being connected to or relayed to
  Decision decision_ = Decision::none;  // stick: place() already refreshed the entry
  bool pin_kept_ = false;               // the pinned server was full: not pinned elsewhere
  const char* end_ = nullptr;           // set once, when the session ends

  Clock::time_point started_;
  Clock::time_point last_activity_;
  Clock::time_point connect_started_;  // of the current attempt (connect time histogram)
  Clock::time_point deadline_;         // of the PROXY header or the current connect attempt

  Half upstream_{client_, server_socket_};    // client → server
  Half downstream_{server_socket_, client_};  // server → client
};

}  // namespace tether::lb
