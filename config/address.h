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

// Whether a host that is not an IP literal is looked up now, or refused. Refused is for code
// that must not touch the network whatever it is given (the config fuzz target).
enum class HostNames { resolved, refused };

// split_host_port, then the host as an IP literal or, failing that, a name resolved now.
Parsed<Address> parse_address(std::string_view text, PortZero,
                              HostNames host_names = HostNames::resolved);

// "10.0.0.0/8", "2001:db8::/32"; a bare IP is /32 or /128. No names: a trusted proxy is an
// address, not whatever a name resolves to. Host bits are refused, not masked, so that
// "10.0.0.1/8" (meant /32?) is caught.
Parsed<Cidr> parse_cidr(std::string_view text);

}  // namespace tether::config
