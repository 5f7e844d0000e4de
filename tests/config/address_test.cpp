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

TEST(Address, NameIsRefusedWhenNamesAreNotResolved) {
  const Parsed<Address> parsed =
      parse_address("localhost:8080", PortZero::refused, HostNames::refused);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error,
            "host \"localhost\" is not an IP address, and names are not resolved here");
  EXPECT_TRUE(parse_address("[::1]:8080", PortZero::refused, HostNames::refused).ok());
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

// ---- CIDRs (affinity.trusted_proxies) ----

asio::ip::address ip(const char* text) {
  return asio::ip::make_address(text);
}

Cidr cidr(const char* text) {
  const Parsed<Cidr> parsed = parse_cidr(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.error;
  return parsed.value.value_or(Cidr{});
}

TEST(CidrParse, NetworkAndPrefix) {
  EXPECT_EQ(cidr("10.0.0.0/8").network, ip("10.0.0.0"));
  EXPECT_EQ(cidr("10.0.0.0/8").prefix, 8u);
  EXPECT_EQ(cidr("2001:db8::/32").network, ip("2001:db8::"));
  EXPECT_EQ(cidr("2001:db8::/32").prefix, 32u);
  EXPECT_EQ(cidr("10.1.2.128/25").prefix, 25u);
  EXPECT_EQ(cidr("0.0.0.0/0").prefix, 0u);
  EXPECT_EQ(cidr("::/0").prefix, 0u);
  EXPECT_EQ(cidr("10.0.0.1/32").prefix, 32u);
  EXPECT_EQ(cidr("::1/128").prefix, 128u);
}

TEST(CidrParse, ABareAddressIsOneAddress) {
  EXPECT_EQ(cidr("192.0.2.7").network, ip("192.0.2.7"));
  EXPECT_EQ(cidr("192.0.2.7").prefix, 32u);
  EXPECT_EQ(cidr("2001:db8::7").prefix, 128u);
  EXPECT_EQ(cidr("::ffff:192.0.2.7").prefix, 128u);
}

TEST(CidrParse, PrintsAsNetworkSlashPrefix) {
  EXPECT_EQ(to_string(cidr("10.0.0.0/8")), "10.0.0.0/8");
  EXPECT_EQ(to_string(cidr("2001:0db8:0000::/32")), "2001:db8::/32");
  EXPECT_EQ(to_string(cidr("192.0.2.7")), "192.0.2.7/32");
}

struct BadCidr {
  const char* text;
  const char* error;  // the whole message
};

void PrintTo(const BadCidr& bad, std::ostream* out) {
  *out << bad.text;
}

class CidrRefused : public testing::TestWithParam<BadCidr> {};

TEST_P(CidrRefused, SaysWhy) {
  const Parsed<Cidr> parsed = parse_cidr(GetParam().text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error, GetParam().error);
}

#define CIDR_FORM " (expected a CIDR like 10.0.0.0/8 or 2001:db8::/32, or an address)"

INSTANTIATE_TEST_SUITE_P(
    Mistakes, CidrRefused,
    testing::Values(
        BadCidr{"10.0.0.0/33", "prefix 33 in \"10.0.0.0/33\" is not in 0..32"},
        BadCidr{"::/129", "prefix 129 in \"::/129\" is not in 0..128"},
        BadCidr{"10.0.0.0/99999999999",
                "prefix 99999999999 in \"10.0.0.0/99999999999\" is not in "
                "0..32"},
        BadCidr{"10.0.0.0/", "prefix \"\" in \"10.0.0.0/\" is not a number" CIDR_FORM},
        BadCidr{"10.0.0.0/-1", "prefix \"-1\" in \"10.0.0.0/-1\" is not a number" CIDR_FORM},
        BadCidr{"10.0.0.0/8/8", "prefix \"8/8\" in \"10.0.0.0/8/8\" is not a number" CIDR_FORM},
        BadCidr{"10.0.0.0/255.0.0.0",
                "prefix \"255.0.0.0\" in \"10.0.0.0/255.0.0.0\" is not a number" CIDR_FORM},
        BadCidr{"/8", "\"\" is not an IP address" CIDR_FORM},
        BadCidr{"10.0.0/8", "\"10.0.0\" is not an IP address" CIDR_FORM},
        BadCidr{"proxy.contoso.net", "\"proxy.contoso.net\" is not an IP address" CIDR_FORM},
        BadCidr{"[2001:db8::]/32", "\"[2001:db8::]\" is not an IP address" CIDR_FORM},
        BadCidr{"fe80::1%1/64", "\"fe80::1%1\": a zone (%interface) cannot be part of a CIDR"},
        // Host bits are a typo more often than not: refused, not masked away.
        BadCidr{"10.0.0.1/8",
                "\"10.0.0.1/8\" has host bits set; write 10.0.0.0/8 for the network, "
                "or 10.0.0.1 for the one address"},
        BadCidr{"10.0.0.128/24",
                "\"10.0.0.128/24\" has host bits set; write 10.0.0.0/24 for the "
                "network, or 10.0.0.128 for the one address"},
        BadCidr{"10.0.0.1/31",
                "\"10.0.0.1/31\" has host bits set; write 10.0.0.0/31 for the "
                "network, or 10.0.0.1 for the one address"},
        BadCidr{"2001:db8::1/32",
                "\"2001:db8::1/32\" has host bits set; write 2001:db8::/32 for "
                "the network, or 2001:db8::1 for the one address"},
        BadCidr{"1.0.0.0/0",
                "\"1.0.0.0/0\" has host bits set; write 0.0.0.0/0 for the network, "
                "or 1.0.0.0 for the one address"}));

TEST(CidrContains, Ipv4) {
  const Cidr block = cidr("10.0.0.0/8");
  EXPECT_TRUE(block.contains(ip("10.0.0.0")));
  EXPECT_TRUE(block.contains(ip("10.255.255.255")));
  EXPECT_FALSE(block.contains(ip("11.0.0.0")));
  EXPECT_FALSE(block.contains(ip("9.255.255.255")));
  // A prefix that ends inside a byte.
  const Cidr odd = cidr("10.0.0.0/9");
  EXPECT_TRUE(odd.contains(ip("10.127.255.255")));
  EXPECT_FALSE(odd.contains(ip("10.128.0.0")));
  const Cidr one = cidr("192.0.2.7");
  EXPECT_TRUE(one.contains(ip("192.0.2.7")));
  EXPECT_FALSE(one.contains(ip("192.0.2.6")));
  EXPECT_FALSE(one.contains(ip("192.0.2.8")));
}

TEST(CidrContains, Ipv6) {
  const Cidr block = cidr("2001:db8::/32");
  EXPECT_TRUE(block.contains(ip("2001:db8::")));
  EXPECT_TRUE(block.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(block.contains(ip("2001:db9::")));
  EXPECT_FALSE(block.contains(ip("2001:db7:ffff::")));
  const Cidr odd = cidr("2001:db8:8000::/33");
  EXPECT_TRUE(odd.contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(odd.contains(ip("2001:db8:7fff::1")));
  const Cidr one = cidr("::1");
  EXPECT_TRUE(one.contains(ip("::1")));
  EXPECT_FALSE(one.contains(ip("::2")));
}

TEST(CidrContains, FamiliesNeverMix) {
  EXPECT_FALSE(cidr("10.0.0.0/8").contains(ip("2001:db8::")));
  EXPECT_FALSE(cidr("2001:db8::/32").contains(ip("32.1.13.184")));  // 0x20010db8
  // ::10.1.2.3 (the deprecated v4-compatible form) is a v6 address, not 10.1.2.3.
  EXPECT_FALSE(cidr("10.0.0.0/8").contains(ip("::10.1.2.3")));
}

// A dual-stack socket reports a v4 peer as ::ffff:a.b.c.d; it is still that v4 peer.
TEST(CidrContains, V4MappedAddressesAreTheirV4Address) {
  EXPECT_TRUE(cidr("10.0.0.0/8").contains(ip("::ffff:10.1.2.3")));
  EXPECT_FALSE(cidr("10.0.0.0/8").contains(ip("::ffff:11.1.2.3")));
  EXPECT_TRUE(cidr("192.0.2.7").contains(ip("::ffff:192.0.2.7")));
  // And a block written v4-mapped is the v4 block.
  const Cidr mapped = cidr("::ffff:192.0.2.0/120");
  EXPECT_TRUE(mapped.contains(ip("192.0.2.9")));
  EXPECT_TRUE(mapped.contains(ip("::ffff:192.0.2.9")));
  EXPECT_FALSE(mapped.contains(ip("192.0.3.9")));
  EXPECT_FALSE(mapped.contains(ip("2001:db8::")));
  EXPECT_TRUE(cidr("::ffff:0.0.0.0/96").contains(ip("203.0.113.1")));
}

TEST(CidrContains, SlashZeroIsAWholeFamily) {
  const Cidr v4 = cidr("0.0.0.0/0");
  EXPECT_TRUE(v4.contains(ip("0.0.0.0")));
  EXPECT_TRUE(v4.contains(ip("255.255.255.255")));
  EXPECT_TRUE(v4.contains(ip("::ffff:203.0.113.1")));
  EXPECT_FALSE(v4.contains(ip("2001:db8::1")));
  const Cidr v6 = cidr("::/0");
  EXPECT_TRUE(v6.contains(ip("::")));
  EXPECT_TRUE(v6.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  // Every v4 peer is trusted only when 0.0.0.0/0 says so.
  EXPECT_FALSE(v6.contains(ip("203.0.113.1")));
  EXPECT_FALSE(v6.contains(ip("::ffff:203.0.113.1")));
}

}  // namespace
}  // namespace tether::config
