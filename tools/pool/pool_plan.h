// Which simulated servers to start, and where: from the command-line flags (N servers on
// consecutive ports) or from a Tether configuration (the servers its pools name). Pure: no
// sockets are opened here.
#pragma once

#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "tools/pool/pool_server.h"

namespace tether::pool {

struct FlagPlan {
  unsigned servers = 0;
  // 0: every server gets a port the OS chooses (tests, and runs that only read the printed ports).
  std::uint16_t base_port = 0;
  asio::ip::address bind = asio::ip::address_v4::loopback();
  // Absent: the OS chooses every check port.
  std::optional<std::uint16_t> check_base_port;
  std::string name_prefix = "fe";
};

struct Plan {
  std::vector<ServerSpec> servers;
  std::string error;  // empty when the plan is usable

  bool ok() const { return error.empty(); }
};

// `prefix` + index from 1, two digits at least: fe01 .. fe12, fe001 .. fe100 beyond 99.
std::string server_name(const std::string& prefix, std::size_t index, std::size_t count);

// `--servers N --base-port P`: prefix01 on P, prefix02 on P+1, ... all on `bind`.
Plan plan_from_flags(const FlagPlan& flags);

// One server per distinct server name in the config's pools (in order of first appearance),
// listening on every distinct address any pool gives that name. Its check ports are every
// address a checked pool probes on it (its address there, port `health.port`), as Tether will
// probe them; a check aimed at one of its own HTTP addresses is answered there. Given
// `check_base_port`, or when no pool probes a port of its own, it has one check port as in the
// flags form.
Plan plan_from_config(const config::Config& config, std::optional<std::uint16_t> check_base_port);

// The check ("SIP", 5061-style) endpoint of the `index`-th server (0-based) when nothing else
// decides it: on the host of its first HTTP address, port `check_base_port + index`, or a port
// the OS chooses.
asio::ip::tcp::endpoint check_endpoint_for(const ServerSpec& server, std::size_t index,
                                           std::optional<std::uint16_t> check_base_port);

}  // namespace tether::pool
