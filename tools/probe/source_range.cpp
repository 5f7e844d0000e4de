#include "tools/probe/source_range.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace tether::probe {

std::optional<SourceRange> SourceRange::parse(std::string_view cidr, std::string& error) {
  const auto slash = cidr.find('/');
  const std::string address_text(cidr.substr(0, slash));
  std::error_code ec;
  const auto address = asio::ip::make_address(address_text, ec);
  if (ec) {
    error = "\"" + std::string(cidr) + "\" is not an address or CIDR (as in 127.1.0.0/16)";
    return std::nullopt;
  }
  const unsigned bits = address.is_v6() ? 128 : 32;
  unsigned prefix = bits;
  if (slash != std::string_view::npos) {
    const auto prefix_text = cidr.substr(slash + 1);
    const auto [end, parse_ec] =
        std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
    if (parse_ec != std::errc{} || end != prefix_text.data() + prefix_text.size() ||
        prefix_text.empty() || prefix > bits) {
      error = "\"" + std::string(cidr) + "\": the prefix length must be 0.." + std::to_string(bits);
      return std::nullopt;
    }
  }

  SourceRange range;
  range.text_ = std::string(cidr);
  range.v6_ = address.is_v6();
  Wide value = 0;
  if (range.v6_) {
    for (const auto byte : address.to_v6().to_bytes())
      value = (value << 8) | byte;
  } else {
    value = address.to_v4().to_uint();
  }
  const unsigned host_bits = bits - prefix;
  const Wide host_mask = host_bits == 128 ? ~Wide{0} : (Wide{1} << host_bits) - 1;
  if ((value & host_mask) != 0) {
    error = "\"" + std::string(cidr) + "\" has host bits set below the /" + std::to_string(prefix) +
            " prefix";
    return std::nullopt;
  }
  range.first_ = value;
  range.last_ = value | host_mask;
  // Leave out the network address, and IPv4's broadcast address, where a range has more.
  if (host_bits >= 2) {
    ++range.first_;
    if (!range.v6_) --range.last_;
  }
  const Wide count = range.last_ - range.first_;  // one less than the size: cannot overflow
  constexpr auto max64 = std::numeric_limits<std::uint64_t>::max();
  range.size_ = count >= max64 ? max64 : static_cast<std::uint64_t>(count) + 1;
  return range;
}

asio::ip::address SourceRange::at(Wide value) const {
  if (!v6_) return asio::ip::address_v4(static_cast<std::uint32_t>(value));
  asio::ip::address_v6::bytes_type bytes;
  for (int i = 15; i >= 0; --i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<unsigned char>(value & 0xff);
    value >>= 8;
  }
  return asio::ip::address_v6(bytes);
}

asio::ip::address SourceRange::from_bottom(std::uint64_t index) const {
  return at(first_ + index);
}

asio::ip::address SourceRange::from_top(std::uint64_t index) const {
  return at(last_ - index);
}

RoamingPlan::RoamingPlan(double fraction)
    : millionths_(static_cast<std::uint64_t>(std::llround(std::clamp(fraction, 0.0, 1.0) * 1e6))) {}

}  // namespace tether::probe
