// "Which server would this client reach now, and why" (SPEC §6, docs/admin-api.md), answered the
// way the data path decides, without changing anything.
//
// The key is built with the masks of the first frontend that feeds the pool with affinity: with a
// cookie, the first cookie frontend; without one, the first source frontend (the configuration
// makes the source frontends sharing a pool agree on them). Source affinity: Pool::explain
// runs the same decision as Pool::place over a stick-table peek — no entry is created, refreshed
// or expired, and nothing is counted. Cookie affinity (as lb/http_session.cpp routes): a valid
// cookie whose server takes pinned clients gives `cookie`; anything else is placed by the
// frontend's `fallback` — exactly for `source` (Maglev over the key) and `least_conn` (the least
// loaded server at this instant); `round_robin` depends on a rotation no request can predict, so
// its server is unknown (null). A pool reached only without affinity has no stick table and its
// connections are hashed with their source port as well; there the answer is where the address
// alone hashes (/32, /128) — indicative only.
#pragma once

#include <asio/ip/address.hpp>
#include <memory>
#include <span>
#include <string>

#include "lb/frontend.h"
#include "lb/pool.h"

namespace tether::admin {

struct Explanation {
  std::string client;  // the address, canonical (an IPv4-mapped IPv6 address reads as IPv4)
  std::string key;     // the affinity key as an operator reads it: "10.1.2.0/24"
  const lb::Server* server = nullptr;  // null: no usable server (or round_robin fallback)
  lb::Decision reason = lb::Decision::none;
};

// `cookie`: the affinity cookie's value the client would present, if any; ignored unless the
// pool's frontends use cookie affinity.
Explanation explain_client(lb::Pool& pool, std::span<const std::unique_ptr<lb::Frontend>> frontends,
                           const asio::ip::address& client, const std::string* cookie,
                           lb::Clock::time_point now);

// {"pool", "client", "key", "server", "reason"}
std::string explanation_json(const lb::Pool& pool, const Explanation& explanation);

}  // namespace tether::admin
