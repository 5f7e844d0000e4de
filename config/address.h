// SPEC §3 addresses: `host:port` or `[v6]:port`. The host may be a name; it is resolved when the
// configuration is loaded (and again on reload), and the first answer is used.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/parsed.h"

namespace tether::config {

// Port 0 asks the OS for a free port: useful to listen on (tests do), meaningless to connect to.
enum class PortZero { refused, allowed };

struct HostPort {
  std::string host;  // without brackets
  std::uint16_t port = 0;
};

// Pure syntax, no resolution: "[::1]:80" -> {"::1", 80}.
Parsed<HostPort> split_host_port(std::string_view text, PortZero);

// split_host_port, then the host as an IP literal or, failing that, a name resolved now.
Parsed<Address> parse_address(std::string_view text, PortZero);

}  // namespace tether::config
