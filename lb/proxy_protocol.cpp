#include "lb/proxy_protocol.h"

#include <algorithm>
#include <array>

namespace tether::lb {
namespace {

constexpr std::string_view kV1Signature = "PROXY ";
constexpr std::string_view kV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::size_t kV2FixedSize = 16;  // signature, version/command, family, length

// True if `data` is `signature` or could still grow into it.
bool may_be(std::string_view data, std::string_view signature) {
  return data.size() < signature.size() ? signature.starts_with(data) : data.starts_with(signature);
}

ProxyParse fail(std::string& error, const char* reason) {
  error = reason;
  return ProxyParse::error;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A decimal number of at most `max_digits` digits with no leading zero (the v1 spec forbids
// them so that nobody reads "010" as octal), no larger than `max`.
bool parse_decimal(std::string_view text, std::size_t max_digits, unsigned max, unsigned& value) {
  if (text.empty() || text.size() > max_digits) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  unsigned result = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    result = result * 10 + static_cast<unsigned>(c - '0');
  }
  if (result > max) return false;
  value = result;
  return true;
}

// Exactly four dot-separated decimal octets. Hand-written because inet_pton's leniency varies.
bool parse_ipv4(std::string_view text, asio::ip::address& address) {
  asio::ip::address_v4::bytes_type bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::size_t dot = i + 1 < bytes.size() ? text.find('.') : text.size();
    if (dot == std::string_view::npos) return false;
    unsigned octet = 0;
    if (!parse_decimal(text.substr(0, dot), 3, 255, octet)) return false;
    bytes[i] = static_cast<unsigned char>(octet);
    text.remove_prefix(std::min(dot + 1, text.size()));
  }
  address = asio::ip::address_v4(bytes);
  return true;
}

bool parse_ipv6(std::string_view text, asio::ip::address& address) {
  // inet_pton needs a terminated string; the character check also keeps out a "%scope" suffix,
  // which asio would otherwise accept.
  std::array<char, 46> buffer{};  // INET6_ADDRSTRLEN
  if (text.empty() || text.size() >= buffer.size()) return false;
  for (char c : text) {
    const bool hex = is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex && c != ':' && c != '.') return false;
  }
  std::copy(text.begin(), text.end(), buffer.begin());
  asio::error_code ec;
  const asio::ip::address_v6 v6 = asio::ip::make_address_v6(buffer.data(), ec);
  if (ec) return false;
  address = v6;
  return true;
}

// "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n"; fields separated by exactly one space.
ProxyParse parse_v1(std::string_view data, ProxyHeader& out, std::string& error) {
  const std::size_t lf = data.substr(0, kMaxProxyV1Size).find('\n');
  if (lf == std::string_view::npos) {
    if (data.size() >= kMaxProxyV1Size) return fail(error, "PROXY v1 line longer than 107 bytes");
    return ProxyParse::incomplete;
  }
  if (data[lf - 1] != '\r') return fail(error, "PROXY v1 line not terminated by CRLF");
  std::string_view rest = data.substr(kV1Signature.size(), lf - 1 - kV1Signature.size());
  out = ProxyHeader{};
  out.size = lf + 1;

  // The spec asks receivers to ignore whatever follows UNKNOWN.
  if (rest == "UNKNOWN" || rest.starts_with("UNKNOWN ")) {
    out.local = true;
    return ProxyParse::complete;
  }

  std::array<std::string_view, 5> fields;  // protocol, source, destination, ports
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::size_t space = i + 1 < fields.size() ? rest.find(' ') : rest.size();
    if (space == std::string_view::npos || space == 0) {
      return fail(error, "PROXY v1 line does not have five fields");
    }
    fields[i] = rest.substr(0, space);
    rest.remove_prefix(std::min(space + 1, rest.size()));
  }
  if (fields[4].find(' ') != std::string_view::npos) {
    return fail(error, "PROXY v1 line does not have five fields");
  }

  bool (*parse_address)(std::string_view, asio::ip::address&) = nullptr;
  if (fields[0] == "TCP4") {
    parse_address = parse_ipv4;
  } else if (fields[0] == "TCP6") {
    parse_address = parse_ipv6;
  } else {
    return fail(error, "PROXY v1 protocol is not TCP4, TCP6 or UNKNOWN");
  }
  asio::ip::address source;
  asio::ip::address destination;
  if (!parse_address(fields[1], source) || !parse_address(fields[2], destination)) {
    return fail(error, "PROXY v1 address does not match its protocol");
  }
  unsigned source_port = 0;
  unsigned destination_port = 0;
  if (!parse_decimal(fields[3], 5, 65535, source_port) ||
      !parse_decimal(fields[4], 5, 65535, destination_port)) {
    return fail(error, "PROXY v1 port is not a number in 0..65535");
  }
  out.source = {source, static_cast<unsigned short>(source_port)};
  out.destination = {destination, static_cast<unsigned short>(destination_port)};
  return ProxyParse::complete;
}

unsigned read_u16(std::string_view data, std::size_t at) {
  return (static_cast<unsigned>(static_cast<unsigned char>(data[at])) << 8) |
         static_cast<unsigned char>(data[at + 1]);
}

template <typename Bytes>
Bytes read_bytes(std::string_view data, std::size_t at) {
  Bytes bytes{};
  std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(at), bytes.size(), bytes.begin());
  return bytes;
}

ProxyParse parse_v2(std::string_view data, ProxyHeader& out, std::string& error) {
  if (data.size() < kV2FixedSize) return ProxyParse::incomplete;
  const auto version_command = static_cast<unsigned char>(data[12]);
  const auto family = static_cast<unsigned char>(data[13]);
  const std::size_t total = kV2FixedSize + read_u16(data, 14);
  if ((version_command >> 4) != 2) return fail(error, "PROXY v2 version is not 2");
  const unsigned command = version_command & 0x0f;
  if (command > 1) return fail(error, "PROXY v2 command is neither LOCAL nor PROXY");
  if (total > kMaxProxyV2Size) return fail(error, "PROXY v2 header longer than allowed");
  if (data.size() < total) return ProxyParse::incomplete;
  out = ProxyHeader{};
  out.size = total;

  // LOCAL (health checks from the proxy itself): the spec says to ignore the address block,
  // family included. AF_UNSPEC under PROXY likewise carries no addresses we can use.
  if (command == 0 || family == 0x00) {
    out.local = true;
    return ProxyParse::complete;
  }

  const std::string_view block = data.substr(kV2FixedSize, total - kV2FixedSize);
  std::size_t address_size = 0;
  if (family == 0x11) {  // TCP over IPv4
    address_size = 12;
    if (block.size() < address_size) return fail(error, "PROXY v2 address block too short");
    using Bytes = asio::ip::address_v4::bytes_type;
    out.source = {asio::ip::address_v4(read_bytes<Bytes>(block, 0)),
                  static_cast<unsigned short>(read_u16(block, 8))};
    out.destination = {asio::ip::address_v4(read_bytes<Bytes>(block, 4)),
                       static_cast<unsigned short>(read_u16(block, 10))};
  } else if (family == 0x21) {  // TCP over IPv6
    address_size = 36;
    if (block.size() < address_size) return fail(error, "PROXY v2 address block too short");
    using Bytes = asio::ip::address_v6::bytes_type;
    out.source = {asio::ip::address_v6(read_bytes<Bytes>(block, 0)),
                  static_cast<unsigned short>(read_u16(block, 32))};
    out.destination = {asio::ip::address_v6(read_bytes<Bytes>(block, 16)),
                       static_cast<unsigned short>(read_u16(block, 34))};
  } else {
    return fail(error, "PROXY v2 family is not TCP over IPv4 or IPv6");
  }

  // TLVs (type, 16-bit length, value) must tile the rest of the block exactly; one that
  // overruns it means the sender and we disagree about the header, so nothing after is trusted.
  std::string_view tlvs = block.substr(address_size);
  while (!tlvs.empty()) {
    if (tlvs.size() < 3) return fail(error, "PROXY v2 TLV truncated");
    const std::size_t tlv_size = 3 + read_u16(tlvs, 1);
    if (tlv_size > tlvs.size()) return fail(error, "PROXY v2 TLV overruns the header");
    tlvs.remove_prefix(tlv_size);
  }
  return ProxyParse::complete;
}

// Both addresses in one family: IPv4 when both are (or map to) IPv4, else both IPv6.
struct AddressPair {
  bool ipv4 = true;
  asio::ip::address source;
  asio::ip::address destination;
};

asio::ip::address unmap(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

asio::ip::address_v6 as_v6(const asio::ip::address& address) {
  if (address.is_v4()) return asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4());
  return asio::ip::address_v6(address.to_v6().to_bytes());  // drops the scope id
}

AddressPair same_family(const asio::ip::address& source, const asio::ip::address& destination) {
  AddressPair pair{true, unmap(source), unmap(destination)};
  if (pair.source.is_v4() && pair.destination.is_v4()) return pair;
  pair.ipv4 = false;
  pair.source = as_v6(pair.source);
  pair.destination = as_v6(pair.destination);
  return pair;
}

void append_u16(std::string& out, unsigned value) {
  out.push_back(static_cast<char>((value >> 8) & 0xff));
  out.push_back(static_cast<char>(value & 0xff));
}

template <typename Bytes>
void append_bytes(std::string& out, const Bytes& bytes) {
  out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view data, ProxyHeader& out, std::string& error) {
  if (data.size() >= kV2Signature.size() && data.starts_with(kV2Signature)) {
    return parse_v2(data, out, error);
  }
  if (data.size() >= kV1Signature.size() && data.starts_with(kV1Signature)) {
    return parse_v1(data, out, error);
  }
  if (may_be(data, kV2Signature) || may_be(data, kV1Signature)) return ProxyParse::incomplete;
  return fail(error, "no PROXY protocol signature");
}

std::string make_proxy_v1(const asio::ip::tcp::endpoint& source,
                          const asio::ip::tcp::endpoint& destination) {
  const AddressPair pair = same_family(source.address(), destination.address());
  std::string line(kV1Signature);
  line += pair.ipv4 ? "TCP4 " : "TCP6 ";
  line += pair.source.to_string();
  line += ' ';
  line += pair.destination.to_string();
  line += ' ';
  line += std::to_string(source.port());
  line += ' ';
  line += std::to_string(destination.port());
  line += "\r\n";
  return line;
}

std::string make_proxy_v2(const asio::ip::tcp::endpoint& source,
                          const asio::ip::tcp::endpoint& destination) {
  const AddressPair pair = same_family(source.address(), destination.address());
  std::string header(kV2Signature);
  header.push_back('\x21');  // version 2, PROXY
  header.push_back(pair.ipv4 ? '\x11' : '\x21');
  append_u16(header, pair.ipv4 ? 12 : 36);
  if (pair.ipv4) {
    append_bytes(header, pair.source.to_v4().to_bytes());
    append_bytes(header, pair.destination.to_v4().to_bytes());
  } else {
    append_bytes(header, pair.source.to_v6().to_bytes());
    append_bytes(header, pair.destination.to_v6().to_bytes());
  }
  append_u16(header, source.port());
  append_u16(header, destination.port());
  return header;
}

}  // namespace tether::lb
