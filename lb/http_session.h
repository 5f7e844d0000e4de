// One client connection in http mode (SPEC §5): every request is parsed, placed on its own
// (cookie, source or no affinity), sent over a pooled server connection, and its response
// streamed back — bodies are never buffered whole. Requests of one connection are answered in
// order; a reverse proxy multiplexing many clients over one connection gets each request routed
// by its own cookie, as Microsoft requires for Lync mobility.
//
// Written as C++20 coroutines on the worker's io_context: the request/response cycle reads top to
// bottom. Timeouts: each phase sets the session's deadline, an entry in the worker's
// DeadlineSweep (one timer per worker, as in tcp mode), which acts on it when it passes.
// The data path never throws: every operation returns its error code.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lb/affinity_key.h"
#include "lb/byte_buffer.h"
#include "lb/deadline_sweep.h"
#include "lb/http/request_head.h"
#include "lb/http/response_head.h"
#include "lb/pool.h"
#include "lb/server_connection.h"
#include "lb/session.h"
#include "lb/stream.h"

namespace tether::lb {

struct Frontend;
class Worker;

class HttpSession : public Session,
                    public DeadlineSweep::Entry,
                    public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(Worker& worker, Frontend& frontend, asio::ip::tcp::socket client);
  ~HttpSession() override;

  // `peer` is the client's address as accept() returned it.
  void start(const asio::ip::tcp::endpoint& peer);
  void close(const char* reason) override;
  // Idle between requests: closed now. Otherwise the request under way is answered with
  // Connection: close.
  void wind_down() override;

 private:
  enum class Phase {
    proxy_header,
    tls_handshake,
    idle,
    request_head,
    connect,
    server_wait,
    streaming,
    tls_shutdown,
    linger  // after an error response: reading what the client still sends, briefly
  };
  struct Route {
    Server* server = nullptr;
    Decision decision = Decision::none;
    bool set_cookie = false;
    bool pin_kept = false;  // Placement::pin_kept
  };
  struct Exchange;  // one request/response under way

  // `self` keeps the session alive for as long as the coroutine runs.
  asio::awaitable<void> run(std::shared_ptr<HttpSession> self);
  asio::awaitable<bool> read_proxy_header();
  // Under TLS the PROXY header is read without a byte of what follows: those are TLS's.
  asio::awaitable<std::error_code> read_proxy_bytes_exactly();
  asio::awaitable<bool> tls_handshake();
  asio::awaitable<void> tls_shutdown();
  // Between requests a keep-alive client may think for minutes (Lync clients keep connections
  // open): meanwhile it holds no buffer. The socket is waited for, then read.
  asio::awaitable<bool> wait_for_client();
  asio::awaitable<bool> read_request_head();
  asio::awaitable<bool> serve(Exchange& x);
  Route route(const Exchange& x, std::span<const std::uint32_t> tried);
  // A connection to `server`: a parked one when `reuse` allows, else a new one.
  asio::awaitable<std::shared_ptr<ServerConnection>> connect(Server& server, bool reuse);
  asio::awaitable<bool> pump_request_body(Exchange& x);
  asio::awaitable<bool> relay_response(Exchange& x);
  asio::awaitable<bool> tunnel(Exchange& x);
  // Answers the client with an error of ours; the session ends after a linger(). With `x`, the
  // exchange logs it.
  asio::awaitable<void> respond_error(unsigned status, const char* reason, Exchange* x = nullptr);
  asio::awaitable<void> linger();
  void append_set_cookie(const Exchange& x, std::string& out) const;

  void set_phase(Phase phase, std::chrono::steady_clock::duration timeout);
  Clock::time_point on_sweep(Clock::time_point now) override;
  void on_deadline();
  void log_request(const Exchange& x, unsigned status);

  Worker& worker_;
  Frontend& frontend_;
  Stream client_;
  asio::ip::tcp::endpoint peer_;   // the connection's peer, or the PROXY header's source
  asio::ip::tcp::endpoint local_;  // where the client reached us (for send_proxy)
  ByteBuffer in_;                  // bytes from the client
  std::size_t head_scan_ = 0;      // find_head_end progress over in_
  http::RequestHead request_;
  std::shared_ptr<ServerConnection> private_connection_;  // send_proxy servers: not shared
  ServerConnection* active_server_ = nullptr;  // being connected to or waited on (timeouts)

  Phase phase_ = Phase::idle;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  bool timed_out_ = false;     // the current phase's deadline passed
  const char* end_ = nullptr;  // set once, when the session ends
  // Set when the client may still be sending (an error answered, an upload cut short): the
  // session lingers, then ends with this reason.
  const char* linger_reason_ = nullptr;
  std::uint64_t requests_ = 0;
  bool logged_ = false;  // a request line was written: the connection needs no line of its own
  std::chrono::steady_clock::time_point started_;
};

}  // namespace tether::lb
