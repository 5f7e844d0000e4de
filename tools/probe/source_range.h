// The loopback source addresses the simulated clients connect from (`--sources CIDR`). Client i
// binds the i-th usable address; clients that roam take fresh addresses counted down from the top
// of the range, so a roaming address is never another client's first address. IPv4 and IPv6 alike
// (fd00::/64 on a namespace's loopback gives a probe millions of IPv6 clients). Pure: no sockets.
#pragma once

#include <asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tether::probe {

class SourceRange {
 public:
  // "127.1.0.0/16", "fd00::/64". A bare address means one address (/32 or /128). Host bits set
  // below the prefix are an error: "127.1.2.3/16" is probably a typo for something else.
  static std::optional<SourceRange> parse(std::string_view cidr, std::string& error);

  // Usable addresses: the whole range minus the network address (and, for IPv4, the broadcast
  // address) when the prefix leaves room for them, as an operator would hand them out. Saturates
  // at 2^64 - 1 for wide IPv6 ranges.
  std::uint64_t size() const { return size_; }
  bool is_v6() const { return v6_; }

  // The index-th usable address from the bottom (index < size()).
  asio::ip::address from_bottom(std::uint64_t index) const;
  // The index-th usable address from the top (index < size()).
  asio::ip::address from_top(std::uint64_t index) const;

  const std::string& text() const { return text_; }

 private:
  using Wide = unsigned __int128;

  asio::ip::address at(Wide offset) const;

  std::string text_;
  bool v6_ = false;
  Wide first_ = 0;  // first usable address
  Wide last_ = 0;   // last usable address
  std::uint64_t size_ = 0;
};

// Which clients roam: floor(C * F) of C, spread evenly over the indexes (client i roams when
// floor((i + 1) F) > floor(i F)), so 0.3 picks clients 3, 6, 9 of every ten. Kept in millionths so
// that 0.29 of 100 is 29 and not 28.999.
class RoamingPlan {
 public:
  explicit RoamingPlan(double fraction);

  bool roams(std::uint64_t client) const {
    return roamers_before(client + 1) > roamers_before(client);
  }
  // How many of the clients [0, client) roam: a roaming client's index from the top of the range.
  std::uint64_t roamers_before(std::uint64_t client) const {
    return client * millionths_ / 1'000'000;
  }

 private:
  std::uint64_t millionths_;
};

}  // namespace tether::probe
