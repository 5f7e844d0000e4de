#include "config/config.h"

#include <algorithm>
#include <array>

namespace tether::config {
namespace {

// ::ffff:a.b.c.d -> a.b.c.d; anything else unchanged.
asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

// Whether the first `prefix` bits of `a` and `b` (of one size) are equal.
template <std::size_t N>
bool same_prefix(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                 unsigned prefix) {
  std::size_t i = 0;
  for (; prefix >= 8; prefix -= 8, ++i) {
    if (a[i] != b[i]) return false;
  }
  if (prefix == 0) return true;
  const unsigned mask = 0xffu << (8 - prefix);
  return ((a[i] ^ b[i]) & mask) == 0;
}

}  // namespace

bool Cidr::contains(const asio::ip::address& address) const {
  const asio::ip::address candidate = unmapped(address);
  asio::ip::address block = network;
  unsigned bits = prefix;
  if (block.is_v6() && block.to_v6().is_v4_mapped() && bits >= 96) {  // ::ffff:10.0.0.0/104
    block = unmapped(block);
    bits -= 96;
  }
  if (block.is_v4() != candidate.is_v4()) return false;
  if (block.is_v4()) {
    return same_prefix(candidate.to_v4().to_bytes(), block.to_v4().to_bytes(), std::min(bits, 32u));
  }
  return same_prefix(candidate.to_v6().to_bytes(), block.to_v6().to_bytes(), std::min(bits, 128u));
}

std::string to_string(const Cidr& cidr) {
  return cidr.network.to_string() + "/" + std::to_string(cidr.prefix);
}

const PoolConfig* Config::find_pool(const std::string& name) const {
  for (const PoolConfig& pool : pools) {
    if (pool.name == name) return &pool;
  }
  return nullptr;
}

const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::tcp:
      return "tcp";
    case Mode::http:
      return "http";
  }
  return "?";
}

const char* to_string(AffinityType type) {
  switch (type) {
    case AffinityType::source:
      return "source";
    case AffinityType::cookie:
      return "cookie";
    case AffinityType::none:
      return "none";
  }
  return "?";
}

const char* to_string(Balance balance) {
  switch (balance) {
    case Balance::maglev:
      return "maglev";
    case Balance::least_conn:
      return "least_conn";
    case Balance::round_robin:
      return "round_robin";
  }
  return "?";
}

const char* to_string(HealthConfig::Type type) {
  switch (type) {
    case HealthConfig::Type::tcp:
      return "tcp";
    case HealthConfig::Type::http:
      return "http";
    case HealthConfig::Type::https:
      return "https";
    case HealthConfig::Type::none:
      return "none";
  }
  return "?";
}

const char* to_string(ClientAddress address) {
  switch (address) {
    case ClientAddress::connection:
      return "connection";
    case ClientAddress::x_forwarded_for:
      return "x-forwarded-for";
  }
  return "?";
}

const char* to_string(Fallback fallback) {
  switch (fallback) {
    case Fallback::source:
      return "source";
    case Fallback::least_conn:
      return "least_conn";
    case Fallback::round_robin:
      return "round_robin";
  }
  return "?";
}

const char* to_string(SendProxy send_proxy) {
  switch (send_proxy) {
    case SendProxy::off:
      return "off";
    case SendProxy::v1:
      return "v1";
    case SendProxy::v2:
      return "v2";
  }
  return "?";
}

const char* to_string(TlsVersion version) {
  switch (version) {
    case TlsVersion::tls12:
      return "1.2";
    case TlsVersion::tls13:
      return "1.3";
  }
  return "?";
}

}  // namespace tether::config
