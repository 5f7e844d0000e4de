#include "config/address.h"

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <charconv>

namespace tether::config {
namespace {

const char* const kForm = "expected host:port or [v6]:port";

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// The first address `host` resolves to (getaddrinfo through Asio), or why it does not.
Parsed<asio::ip::address> resolve(const std::string& host) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  asio::error_code ec;
  const auto results = resolver.resolve(host, "0", asio::ip::tcp::resolver::numeric_service, ec);
  if (ec) return failure("cannot resolve host " + quoted(host) + ": " + ec.message());
  if (results.empty()) return failure("host " + quoted(host) + " has no address");
  return results.begin()->endpoint().address();
}

}  // namespace

Parsed<HostPort> split_host_port(std::string_view text, PortZero port_zero) {
  std::string_view host;
  std::string_view rest;  // ":port"
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return failure(quoted(text) + " has no closing ']'");
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    asio::error_code ec;
    asio::ip::make_address_v6(std::string(host), ec);
    if (ec) return failure(quoted(host) + " in brackets is not an IPv6 address");
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return failure(quoted(text) + " has no port (" + kForm + ")");
    }
    host = text.substr(0, colon);
    rest = text.substr(colon);
    if (host.find(':') != std::string_view::npos) {
      return failure(quoted(text) + ": an IPv6 address needs brackets, as in [::1]:443");
    }
  }
  if (host.empty()) return failure(quoted(text) + " has no host (" + kForm + ")");
  if (!rest.starts_with(':') || rest.size() == 1) {
    return failure(quoted(text) + " has no port (" + kForm + ")");
  }

  const std::string_view port_text = rest.substr(1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec == std::errc::invalid_argument || end != port_text.data() + port_text.size()) {
    return failure("port " + quoted(port_text) + " in " + quoted(text) + " is not a number");
  }
  const unsigned lowest = port_zero == PortZero::allowed ? 0 : 1;
  if (ec == std::errc::result_out_of_range || port < lowest || port > 65535) {
    return failure("port " + std::string(port_text) + " in " + quoted(text) + " is not in " +
                   std::to_string(lowest) + "..65535");
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(port)};
}

Parsed<Address> parse_address(std::string_view text, PortZero port_zero, HostNames host_names) {
  Parsed<HostPort> split = split_host_port(text, port_zero);
  if (!split.ok()) return failure(std::move(split.error));

  asio::error_code ec;
  asio::ip::address ip = asio::ip::make_address(split.value->host, ec);
  if (ec) {
    if (host_names == HostNames::refused) {
      return failure("host " + quoted(split.value->host) +
                     " is not an IP address, and names are not resolved here");
    }
    Parsed<asio::ip::address> resolved = resolve(split.value->host);
    if (!resolved.ok()) return failure(std::move(resolved.error));
    ip = *resolved.value;
  }
  return Address{std::string(text), asio::ip::tcp::endpoint(ip, split.value->port)};
}

Parsed<Cidr> parse_cidr(std::string_view text) {
  const std::string_view form =
      " (expected a CIDR like 10.0.0.0/8 or 2001:db8::/32, or an address)";
  const auto slash = text.find('/');
  const std::string ip_text(text.substr(0, slash));
  asio::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(ip_text, ec);
  if (ec) return failure(quoted(ip_text) + " is not an IP address" + std::string(form));
  if (ip_text.find('%') != std::string::npos) {
    return failure(quoted(ip_text) + ": a zone (%interface) cannot be part of a CIDR");
  }
  const unsigned bits = ip.is_v4() ? 32 : 128;
  Cidr cidr;
  cidr.network = ip;
  cidr.prefix = bits;
  if (slash != std::string_view::npos) {
    const std::string_view prefix_text = text.substr(slash + 1);
    unsigned prefix = 0;
    const auto [end, error] =
        std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
    if (prefix_text.empty() || error == std::errc::invalid_argument ||
        end != prefix_text.data() + prefix_text.size()) {
      return failure("prefix " + quoted(prefix_text) + " in " + quoted(text) + " is not a number" +
                     std::string(form));
    }
    if (error == std::errc::result_out_of_range || prefix > bits) {
      return failure("prefix " + std::string(prefix_text) + " in " + quoted(text) +
                     " is not in 0.." + std::to_string(bits));
    }
    cidr.prefix = prefix;
  }
  // The network is the address with every bit past the prefix cleared.
  Cidr network = cidr;
  if (ip.is_v4()) {
    auto bytes = ip.to_v4().to_bytes();
    for (unsigned bit = cidr.prefix; bit < bits; ++bit)
      bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    network.network = asio::ip::address_v4(bytes);
  } else {
    auto bytes = ip.to_v6().to_bytes();
    for (unsigned bit = cidr.prefix; bit < bits; ++bit)
      bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    network.network = asio::ip::address_v6(bytes);
  }
  if (network != cidr) {
    return failure(quoted(text) + " has host bits set; write " + to_string(network) +
                   " for the network, or " + ip_text + " for the one address");
  }
  return cidr;
}

}  // namespace tether::config
