#include "lb/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace tether::lb {
namespace {

using asio::ip::make_address;
using asio::ip::tcp;

const std::string kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);

tcp::endpoint endpoint(const char* address, unsigned short port) {
  return {make_address(address), port};
}

ProxyHeader parsed(std::string_view data) {
  ProxyHeader header;
  std::string error;
  EXPECT_EQ(parse_proxy_header(data, header, error), ProxyParse::complete) << error;
  return header;
}

ProxyParse outcome(std::string_view data) {
  ProxyHeader header;
  std::string error;
  const ProxyParse result = parse_proxy_header(data, header, error);
  if (result == ProxyParse::error) {
    EXPECT_FALSE(error.empty());
  }
  return result;
}

void expect_every_prefix_incomplete(std::string_view header) {
  for (std::size_t n = 0; n < header.size(); ++n) {
    EXPECT_EQ(outcome(header.substr(0, n)), ProxyParse::incomplete) << "prefix of " << n;
  }
}

// A v2 header: version/command byte, family byte, then the address block and TLVs.
std::string v2(unsigned char version_command, unsigned char family, std::string_view block) {
  std::string header = kV2Signature;
  header.push_back(static_cast<char>(version_command));
  header.push_back(static_cast<char>(family));
  header.push_back(static_cast<char>(block.size() >> 8));
  header.push_back(static_cast<char>(block.size() & 0xff));
  header.append(block);
  return header;
}

std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (unsigned value : values)
    out.push_back(static_cast<char>(value));
  return out;
}

// 192.0.2.1:56324 -> 198.51.100.7:443
const std::string kIpv4Block = bytes({192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb});
// AWS VPC endpoint id (0xEA) and ALPN (0x01) TLVs.
const std::string kTlvs = bytes({0xea, 0, 4}) + "vpce" + bytes({0x01, 0, 2}) + "h2";

// --- v1 -----------------------------------------------------------------------------------------

TEST(ProxyProtocolV1, Tcp4GivesTheClientAndTheAddressItReached) {
  const std::string line = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n";
  const ProxyHeader header = parsed(line + "GET / HTTP/1.1\r\n");
  EXPECT_FALSE(header.local);
  EXPECT_EQ(header.source, endpoint("192.0.2.1", 56324));
  EXPECT_EQ(header.destination, endpoint("198.51.100.7", 443));
  EXPECT_EQ(header.size, line.size());
}

TEST(ProxyProtocolV1, Tcp6GivesIpv6Endpoints) {
  const ProxyHeader header = parsed("PROXY TCP6 2001:db8::1 2001:DB8::ffff:0:2 0 65535\r\n");
  EXPECT_EQ(header.source, endpoint("2001:db8::1", 0));
  EXPECT_EQ(header.destination, endpoint("2001:db8::ffff:0:2", 65535));
}

TEST(ProxyProtocolV1, LongestLinesFit) {
  const std::string full_ipv6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  const std::string tcp6 = "PROXY TCP6 " + full_ipv6 + " " + full_ipv6 + " 65535 65535\r\n";
  EXPECT_EQ(parsed(tcp6).size, tcp6.size());
  // The spec's worst case: UNKNOWN followed by what a TCP6 line would carry.
  const std::string unknown = "PROXY UNKNOWN " + full_ipv6 + " " + full_ipv6 + " 65535 65535\r\n";
  ASSERT_EQ(unknown.size(), kMaxProxyV1Size);
  EXPECT_EQ(parsed(unknown).size, kMaxProxyV1Size);
  EXPECT_EQ(outcome("PROXY UNKNOWN " + full_ipv6 + " " + full_ipv6 + " 65535 655355\r\n"),
            ProxyParse::error);
}

TEST(ProxyProtocolV1, UnknownMeansUseTheConnectionItself) {
  EXPECT_TRUE(parsed("PROXY UNKNOWN\r\n").local);
  const std::string line = "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n";
  const ProxyHeader header = parsed(line + "data");
  EXPECT_TRUE(header.local);
  EXPECT_EQ(header.size, line.size());
}

TEST(ProxyProtocolV1, TruncatedLineIsIncomplete) {
  expect_every_prefix_incomplete("PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n");
}

class ProxyProtocolV1Malformed : public testing::TestWithParam<std::string> {};

TEST_P(ProxyProtocolV1Malformed, IsAnError) {
  EXPECT_EQ(outcome(GetParam()), ProxyParse::error) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    Lines, ProxyProtocolV1Malformed,
    testing::Values("GET / HTTP/1.1\r\n\r\n", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
                    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",
                    "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
                    "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
                    "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n",
                    "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",
                    "PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
                    "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
                    "PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
                    "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", "PROXY TCP6 ::g ::1 1 2\r\n",
                    "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY UNKNOWNX\r\n", "PROXY \r\n",
                    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2" + std::string(80, ' ') + "\r\n",
                    "PROXY UNKNOWN" + std::string(100, 'x')));

// --- v2 -----------------------------------------------------------------------------------------

TEST(ProxyProtocolV2, ProxyOverIpv4WithTlvs) {
  const std::string header_bytes = v2(0x21, 0x11, kIpv4Block + kTlvs);
  const ProxyHeader header = parsed(header_bytes + "\x16\x03\x01");
  EXPECT_FALSE(header.local);
  EXPECT_EQ(header.source, endpoint("192.0.2.1", 56324));
  EXPECT_EQ(header.destination, endpoint("198.51.100.7", 443));
  EXPECT_EQ(header.size, header_bytes.size());
}

TEST(ProxyProtocolV2, ProxyOverIpv6) {
  std::string block = bytes({0x20, 0x01, 0x0d, 0xb8}) + std::string(11, '\0') + bytes({1});
  block += bytes({0x20, 0x01, 0x0d, 0xb8}) + std::string(11, '\0') + bytes({2});
  block += bytes({0x30, 0x39, 0x01, 0xbb});
  const ProxyHeader header = parsed(v2(0x21, 0x21, block + kTlvs));
  EXPECT_EQ(header.source, endpoint("2001:db8::1", 12345));
  EXPECT_EQ(header.destination, endpoint("2001:db8::2", 443));
}

TEST(ProxyProtocolV2, LocalIgnoresTheAddressBlock) {
  const std::string header_bytes = v2(0x20, 0x31, "whatever the family says");
  const ProxyHeader header = parsed(header_bytes);
  EXPECT_TRUE(header.local);
  EXPECT_EQ(header.size, header_bytes.size());
  EXPECT_TRUE(parsed(v2(0x20, 0x00, "")).local);
}

TEST(ProxyProtocolV2, UnspecifiedFamilyIsLikeLocal) {
  EXPECT_TRUE(parsed(v2(0x21, 0x00, kTlvs)).local);
}

TEST(ProxyProtocolV2, TruncatedHeaderIsIncomplete) {
  expect_every_prefix_incomplete(v2(0x21, 0x11, kIpv4Block + kTlvs));
}

TEST(ProxyProtocolV2, Malformed) {
  EXPECT_EQ(outcome(v2(0x11, 0x11, kIpv4Block)), ProxyParse::error);             // version 1
  EXPECT_EQ(outcome(v2(0x22, 0x11, kIpv4Block)), ProxyParse::error);             // command 2
  EXPECT_EQ(outcome(v2(0x21, 0x12, kIpv4Block)), ProxyParse::error);             // UDP
  EXPECT_EQ(outcome(v2(0x21, 0x31, std::string(216, 'a'))), ProxyParse::error);  // UNIX
  EXPECT_EQ(outcome(v2(0x21, 0x11, kIpv4Block.substr(0, 8))), ProxyParse::error);
  EXPECT_EQ(outcome(v2(0x21, 0x21, kIpv4Block + kIpv4Block)), ProxyParse::error);  // 24 < 36
  EXPECT_EQ(outcome(v2(0x21, 0x11, kIpv4Block + bytes({0xea, 0, 5}) + "vpce")),
            ProxyParse::error);  // TLV overruns
  EXPECT_EQ(outcome(v2(0x21, 0x11, kIpv4Block + kTlvs + bytes({0x04, 0}))), ProxyParse::error);
  // Too long: refused as soon as the length is known, without waiting for the bytes.
  std::string too_long = v2(0x21, 0x11, std::string(kMaxProxyV2Size, '\0'));
  EXPECT_EQ(outcome(std::string_view(too_long).substr(0, 16)), ProxyParse::error);
  // A signature that goes wrong in its last byte.
  EXPECT_EQ(outcome(std::string("\r\n\r\n\0\r\nQUIT\r", 12)), ProxyParse::error);
}

// --- writers ------------------------------------------------------------------------------------

TEST(ProxyProtocolWriter, V1LineIsTheSpecsExample) {
  EXPECT_EQ(make_proxy_v1(endpoint("192.0.2.1", 56324), endpoint("198.51.100.7", 443)),
            "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n");
  EXPECT_EQ(make_proxy_v1(endpoint("2001:db8::1", 1), endpoint("2001:db8::2", 2)),
            "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n");
}

TEST(ProxyProtocolWriter, V2HeaderIsTheSpecsLayout) {
  EXPECT_EQ(make_proxy_v2(endpoint("192.0.2.1", 56324), endpoint("198.51.100.7", 443)),
            v2(0x21, 0x11, kIpv4Block));
}

TEST(ProxyProtocolWriter, V4MappedAddressesAreWrittenAsIpv4) {
  EXPECT_EQ(make_proxy_v1(endpoint("::ffff:192.0.2.1", 1), endpoint("::ffff:198.51.100.7", 2)),
            "PROXY TCP4 192.0.2.1 198.51.100.7 1 2\r\n");
}

TEST(ProxyProtocolWriter, MixedFamiliesAreWrittenAsIpv6) {
  const std::string line = make_proxy_v1(endpoint("192.0.2.1", 1), endpoint("2001:db8::2", 2));
  EXPECT_EQ(line, "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 2\r\n");
  EXPECT_EQ(parsed(line).source, endpoint("::ffff:192.0.2.1", 1));
}

TEST(ProxyProtocolWriter, ScopeIdIsNotWritten) {
  asio::ip::address_v6 scoped = make_address("fe80::1").to_v6();
  scoped.scope_id(3);
  const tcp::endpoint source(scoped, 1);
  EXPECT_EQ(make_proxy_v1(source, endpoint("fe80::2", 2)), "PROXY TCP6 fe80::1 fe80::2 1 2\r\n");
}

struct RoundTrip {
  const char* source;
  const char* destination;
};

class ProxyProtocolRoundTrip : public testing::TestWithParam<RoundTrip> {};

TEST_P(ProxyProtocolRoundTrip, WhatIsWrittenParsesBack) {
  const tcp::endpoint source = endpoint(GetParam().source, 50123);
  const tcp::endpoint destination = endpoint(GetParam().destination, 443);
  for (const std::string& header :
       {make_proxy_v1(source, destination), make_proxy_v2(source, destination)}) {
    const ProxyHeader parsed_header = parsed(header + "payload");
    EXPECT_FALSE(parsed_header.local);
    EXPECT_EQ(parsed_header.source, source);
    EXPECT_EQ(parsed_header.destination, destination);
    EXPECT_EQ(parsed_header.size, header.size());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Addresses, ProxyProtocolRoundTrip,
    testing::Values(RoundTrip{"10.1.2.3", "10.0.0.11"}, RoundTrip{"0.0.0.0", "255.255.255.255"},
                    RoundTrip{"2001:db8::1", "2001:db8:0:1::11"},
                    RoundTrip{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}));

}  // namespace
}  // namespace tether::lb
