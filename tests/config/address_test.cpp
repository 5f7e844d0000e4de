#include "config/address.h"

#include <gtest/gtest.h>

namespace tether::config {
namespace {

asio::ip::tcp::endpoint endpoint(const char* ip, std::uint16_t port) {
  return {asio::ip::make_address(ip), port};
}

TEST(Address, Ipv4WithPort) {
  const Parsed<Address> parsed = parse_address("10.0.0.11:443", PortZero::refused);
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  EXPECT_EQ(parsed.value->text, "10.0.0.11:443");
  EXPECT_EQ(parsed.value->endpoint, endpoint("10.0.0.11", 443));
}

TEST(Address, Ipv6InBrackets) {
  const Parsed<Address> parsed = parse_address("[2001:db8::13]:4443", PortZero::refused);
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  EXPECT_EQ(parsed.value->endpoint, endpoint("2001:db8::13", 4443));
}

TEST(Address, WildcardsToListenOn) {
  EXPECT_EQ(parse_address("0.0.0.0:443", PortZero::allowed).value->endpoint,
            endpoint("0.0.0.0", 443));
  EXPECT_EQ(parse_address("[::]:443", PortZero::allowed).value->endpoint, endpoint("::", 443));
}

TEST(Address, NameIsResolvedAtLoad) {
  const Parsed<Address> parsed = parse_address("localhost:8080", PortZero::refused);
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  EXPECT_EQ(parsed.value->text, "localhost:8080");
  EXPECT_TRUE(parsed.value->endpoint.address().is_loopback());
  EXPECT_EQ(parsed.value->endpoint.port(), 8080);
}

TEST(Address, NameThatDoesNotResolveIsNamedInTheError) {
  const Parsed<Address> parsed = parse_address("nonexistent.invalid:80", PortZero::refused);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error.find("cannot resolve host \"nonexistent.invalid\""), std::string::npos)
      << parsed.error;
}

TEST(Address, PortZeroOnlyToListenOn) {
  EXPECT_TRUE(parse_address("127.0.0.1:0", PortZero::allowed).ok());
  const Parsed<Address> server = parse_address("127.0.0.1:0", PortZero::refused);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.error.find("not in 1..65535"), std::string::npos) << server.error;
}

struct BadAddress {
  const char* text;
  const char* reason;  // a fragment of the message
};

class AddressRefused : public testing::TestWithParam<BadAddress> {};

TEST_P(AddressRefused, SaysWhy) {
  const Parsed<HostPort> parsed = split_host_port(GetParam().text, PortZero::allowed);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error.find(GetParam().reason), std::string::npos) << parsed.error;
}

INSTANTIATE_TEST_SUITE_P(
    Mistakes, AddressRefused,
    testing::Values(BadAddress{"10.0.0.1", "has no port"}, BadAddress{"10.0.0.1:", "has no port"},
                    BadAddress{"[::1]", "has no port"},
                    BadAddress{"[::1]:99999", "not in 0..65535"},
                    BadAddress{"10.0.0.1:65536", "not in 0..65535"},
                    BadAddress{"10.0.0.1:99999999999999999999", "not in 0..65535"},
                    BadAddress{"10.0.0.1:http", "is not a number"},
                    BadAddress{"10.0.0.1:-1", "is not a number"},
                    BadAddress{"10.0.0.1:80x", "is not a number"}, BadAddress{":80", "has no host"},
                    BadAddress{"[]:80", "not an IPv6 address"},
                    BadAddress{"::1:80", "needs brackets"}, BadAddress{"[::1:80", "no closing ']'"},
                    BadAddress{"[fe01.contoso.net]:80", "not an IPv6 address"}));

TEST(HostPort, SplitsWithoutResolving) {
  const Parsed<HostPort> parsed = split_host_port("fe01.contoso.net:443", PortZero::refused);
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  EXPECT_EQ(parsed.value->host, "fe01.contoso.net");
  EXPECT_EQ(parsed.value->port, 443);
}

}  // namespace
}  // namespace tether::config
