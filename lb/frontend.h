// A frontend at run time: its configuration, the pool it feeds, and its counters. A reload makes
// a new Frontend; connections keep the one they were accepted by until they end.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "config/config.h"
#include "lb/cookie_token.h"
#include "lb/latency_histogram.h"
#include "lb/pool.h"
#include "lb/tls_server_context.h"

namespace tether::lb {

// How a client's TLS handshake ended: ok; failed (not TLS, a version or cipher we refuse, a bad
// message); timeout (too slow or silent); closed (the client went away before finishing).
enum class TlsHandshakeResult : std::uint8_t { ok, failed, timeout, closed };
inline constexpr std::array<const char*, 4> kTlsHandshakeResults{"ok", "failed", "timeout",
                                                                 "closed"};

// A frontend's counters. Shared by the frontends of the same name across reloads, so that they
// go on counting: `active` includes the connections accepted under a replaced configuration.
struct FrontendCounters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> active{0};
  std::atomic<std::uint64_t> no_server{0};       // closed at once: no usable server
  std::atomic<std::uint64_t> connect_failed{0};  // every attempt (and retry) failed
  std::atomic<std::uint64_t> refused{0};         // PROXY header missing, invalid or untrusted
  // Bytes relayed, added when a connection (tcp) or a request (http) ends: off the per-read path.
  std::atomic<std::uint64_t> bytes_in{0};   // client → server
  std::atomic<std::uint64_t> bytes_out{0};  // server → client
  LatencyHistogram request_time;            // http mode: request head received → response sent
  // http mode: responses sent to clients, by status code (100..599), ours and the servers'.
  std::array<std::atomic<std::uint64_t>, 600> http_responses{};
  // TLS frontends: client handshakes by TlsHandshakeResult.
  std::array<std::atomic<std::uint64_t>, kTlsHandshakeResults.size()> tls_handshakes{};
};

struct Frontend {
  // `counters`: those of the frontend of the same name being replaced (reload), or null.
  // Throws std::runtime_error when OpenSSL refuses a certificate (TlsServerContext).
  Frontend(config::FrontendConfig config, Pool& pool, std::size_t pool_index,
           std::shared_ptr<FrontendCounters> counters = nullptr)
      : config(std::move(config)),
        pool(pool),
        pool_index(pool_index),
        counters(counters ? std::move(counters) : std::make_shared<FrontendCounters>()) {
    if (this->config.affinity.type == config::AffinityType::cookie) {
      // Indexed by server id, removed servers included: their cookies still name them, so a
      // client pinned to one counts as a `removed` break rather than an invalid cookie.
      std::vector<std::string> names;
      for (std::uint32_t id = 0; id < pool.id_limit(); ++id)
        names.push_back(pool.server(id)->name());
      cookies = std::make_unique<CookieTokens>(names, pool.config().hash_seed,
                                               this->config.affinity.cookie.secret);
    }
    if (this->config.tls)
      tls = std::make_unique<TlsServerContext>(*this->config.tls, this->config.name);
  }

  const config::FrontendConfig config;
  Pool& pool;
  const std::size_t pool_index;                 // the pool's snapshot cache slot in the workers
  std::unique_ptr<const CookieTokens> cookies;  // cookie affinity only
  // TLS frontends: this configuration's certificates. Connections accepted by this Frontend
  // keep it (and their TLS state) after a reload; new handshakes use the new Frontend's.
  std::unique_ptr<TlsServerContext> tls;

  const std::shared_ptr<FrontendCounters> counters;
  std::atomic<std::uint64_t>& accepted = counters->accepted;
  std::atomic<std::uint64_t>& active = counters->active;
  std::atomic<std::uint64_t>& no_server = counters->no_server;
  std::atomic<std::uint64_t>& connect_failed = counters->connect_failed;
  std::atomic<std::uint64_t>& refused = counters->refused;
  std::atomic<std::uint64_t>& bytes_in = counters->bytes_in;
  std::atomic<std::uint64_t>& bytes_out = counters->bytes_out;
  LatencyHistogram& request_time = counters->request_time;
  std::array<std::atomic<std::uint64_t>, 600>& http_responses = counters->http_responses;

  void count_handshake(TlsHandshakeResult result) {
    counters->tls_handshakes[static_cast<std::size_t>(result)].fetch_add(1,
                                                                         std::memory_order_relaxed);
  }

  void count_response(unsigned status) {
    if (status < http_responses.size())
      http_responses[status].fetch_add(1, std::memory_order_relaxed);
  }

  const std::string& name() const { return config.name; }
};

}  // namespace tether::lb
