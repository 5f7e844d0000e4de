// PROXY protocol v1 (text) and v2 (binary) headers, as specified by HAProxy's
// doc/proxy-protocol.txt: parsed on frontends with accept_proxy, written to servers with
// send_proxy (SPEC §3). Pure functions over bytes; the listener decides whether the peer is in
// trusted_proxies before believing what a header says.
#pragma once

#include <asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tether::lb {

struct ProxyHeader {
  // LOCAL (v2) or UNKNOWN / AF_UNSPEC: the sender vouches for no client, so the connection's own
  // addresses are used; source and destination are left default.
  bool local = false;
  asio::ip::tcp::endpoint source;
  asio::ip::tcp::endpoint destination;
  std::size_t size = 0;  // bytes of the header; the proxied stream starts after them
};

enum class ProxyParse : std::uint8_t { incomplete, complete, error };

// v1 lines are at most 107 bytes including CRLF (the spec's worst case, TCP6 with full
// addresses); anything longer is not a PROXY header.
inline constexpr std::size_t kMaxProxyV1Size = 107;
// v2 headers carry a 16-bit length, but the TLVs real senders use (ALPN, authority, SSL
// summary, AWS/Azure endpoint ids) take a few hundred bytes; a bound keeps what we buffer
// before the first application byte small.
inline constexpr std::size_t kMaxProxyV2Size = 4096;

// Parses a v1 or v2 header at the start of `data`, telling them apart by their signatures.
// `incomplete` while `data` could still become a valid header; `error` (with a reason in
// `error`) for any deviation from the spec: a connection that should carry a header but does
// not is refused, never treated as a client that happened to send "PROXY".
// Accepted: v1 TCP4/TCP6/UNKNOWN; v2 version 2, LOCAL, or PROXY over TCP/IPv4, TCP/IPv6 or
// AF_UNSPEC, with TLVs checked for structure and skipped.
ProxyParse parse_proxy_header(std::string_view data, ProxyHeader& out, std::string& error);

// Headers announcing a connection from `source` to `destination`. An IPv4-mapped IPv6 address
// counts as IPv4; if the two families still differ, both are written as IPv6 (the protocol
// has no mixed form). IPv6 scope ids are not carried.
std::string make_proxy_v1(const asio::ip::tcp::endpoint& source,
                          const asio::ip::tcp::endpoint& destination);
std::string make_proxy_v2(const asio::ip::tcp::endpoint& source,
                          const asio::ip::tcp::endpoint& destination);

}  // namespace tether::lb
