#include "lb/affinity_key.h"

#include <xxhash.h>

namespace tether::lb {

namespace {

void mask_bytes(std::uint8_t* bytes, std::size_t length, unsigned prefix) {
  for (std::size_t i = 0; i < length; ++i) {
    const unsigned bit = static_cast<unsigned>(i) * 8;
    if (prefix >= bit + 8) continue;
    bytes[i] =
        prefix <= bit ? 0 : static_cast<std::uint8_t>(bytes[i] & (0xFFu << (bit + 8 - prefix)));
  }
}

}  // namespace

asio::ip::address canonical(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address;
}

AffinityKey source_key(const asio::ip::address& client, unsigned ipv4_mask, unsigned ipv6_mask) {
  AffinityKey key;
  const auto address = canonical(client);
  if (address.is_v4()) {
    const auto raw = address.to_v4().to_bytes();
    std::copy(raw.begin(), raw.end(), key.bytes.begin());
    key.family = 4;
    mask_bytes(key.bytes.data(), 4, ipv4_mask);
  } else {
    const auto raw = address.to_v6().to_bytes();
    std::copy(raw.begin(), raw.end(), key.bytes.begin());
    key.family = 6;
    mask_bytes(key.bytes.data(), 16, ipv6_mask);
  }
  return key;
}

std::uint64_t key_hash(const AffinityKey& key, std::uint64_t hash_seed) {
  return XXH64(key.bytes.data(), key.length(), hash_seed);
}

std::string AffinityKey::to_string(unsigned prefix) const {
  asio::ip::address address;
  if (family == 4) {
    asio::ip::address_v4::bytes_type raw;
    std::copy_n(bytes.begin(), 4, raw.begin());
    address = asio::ip::address_v4(raw);
  } else {
    address = asio::ip::address_v6(bytes);
  }
  return address.to_string() + "/" + std::to_string(prefix);
}

}  // namespace tether::lb
