// Fuzz target: the PROXY protocol v1/v2 parser on the first bytes of a connection, and the
// writers on whatever addresses it accepts. Checked, besides memory safety:
//  - a complete header is at most kMaxProxyV2Size bytes and lies inside the input; it parses
//    the same without the bytes after it, and every prefix of it is incomplete (a header is
//    never mistaken for an error while it is still arriving);
//  - LOCAL/UNKNOWN carry no addresses; an error says why; incomplete never outgrows the limits;
//  - round trip: what make_proxy_v1 and make_proxy_v2 write for the parsed addresses parses back
//    to the same ports and addresses (up to the v4-mapped folding the writers document), and
//    writing those again gives the same bytes.
#include <string>
#include <string_view>

#include "lb/proxy_protocol.h"
#include "tests/fuzz/fuzz_target.h"

namespace tether::fuzz {
namespace {

using lb::ProxyHeader;
using lb::ProxyParse;

bool same_header(const ProxyHeader& a, const ProxyHeader& b) {
  return a.local == b.local && a.source == b.source && a.destination == b.destination &&
         a.size == b.size;
}

// An IPv4-mapped IPv6 address as the IPv4 address it maps; the writers fold them alike.
asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

bool same_endpoint(const asio::ip::tcp::endpoint& a, const asio::ip::tcp::endpoint& b) {
  return a.port() == b.port() && unmapped(a.address()) == unmapped(b.address());
}

void check_round_trip(const ProxyHeader& header) {
  using Writer = std::string (*)(const asio::ip::tcp::endpoint&, const asio::ip::tcp::endpoint&);
  for (const Writer write : {Writer{lb::make_proxy_v1}, Writer{lb::make_proxy_v2}}) {
    const std::string written = write(header.source, header.destination);
    ProxyHeader read;
    std::string error;
    FUZZ_CHECK(lb::parse_proxy_header(written, read, error) == ProxyParse::complete);
    FUZZ_CHECK(read.size == written.size() && !read.local);
    FUZZ_CHECK(same_endpoint(read.source, header.source));
    FUZZ_CHECK(same_endpoint(read.destination, header.destination));
    FUZZ_CHECK(write(read.source, read.destination) == written);
  }
}

void check_complete(std::string_view data, const ProxyHeader& header) {
  FUZZ_CHECK(header.size > 0 && header.size <= data.size());
  FUZZ_CHECK(header.size <= lb::kMaxProxyV2Size);
  const std::string_view bytes = data.substr(0, header.size);

  ProxyHeader alone;
  std::string error;
  FUZZ_CHECK(lb::parse_proxy_header(bytes, alone, error) == ProxyParse::complete);
  FUZZ_CHECK(same_header(header, alone));
  const std::size_t stride = 1 + bytes.size() / 64;
  for (std::size_t n = 0; n < bytes.size(); n += stride) {
    FUZZ_CHECK(lb::parse_proxy_header(bytes.substr(0, n), alone, error) == ProxyParse::incomplete);
  }
  FUZZ_CHECK(lb::parse_proxy_header(bytes.substr(0, bytes.size() - 1), alone, error) ==
             ProxyParse::incomplete);

  if (header.local) {
    FUZZ_CHECK(header.source == asio::ip::tcp::endpoint{});
    FUZZ_CHECK(header.destination == asio::ip::tcp::endpoint{});
    return;
  }
  check_round_trip(header);
}

}  // namespace

void run_proxy_protocol(std::string_view data) {
  ProxyHeader header;
  std::string error;
  switch (lb::parse_proxy_header(data, header, error)) {
    case ProxyParse::complete:
      check_complete(data, header);
      break;
    case ProxyParse::error:
      FUZZ_CHECK(!error.empty());
      break;
    case ProxyParse::incomplete:
      FUZZ_CHECK(data.size() < lb::kMaxProxyV2Size);
      break;
  }
}

}  // namespace tether::fuzz

TETHER_FUZZ_TARGET(run_proxy_protocol)
