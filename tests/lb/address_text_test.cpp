#include "lb/address_text.h"

#include <gtest/gtest.h>

namespace tether::lb {
namespace {

std::string endpoint_text(const char* address, unsigned short port) {
  std::string out = "client=";
  append_endpoint(out, {asio::ip::make_address(address), port});
  return out;
}

TEST(AddressText, IPv4IsDottedDecimalAndAppended) {
  std::string out = "for ";
  append_address(out, asio::ip::make_address("192.0.2.7"));
  append_address(out, asio::ip::make_address("0.0.0.0"));
  append_address(out, asio::ip::make_address("255.255.255.255"));
  EXPECT_EQ(out, "for 192.0.2.70.0.0.0255.255.255.255");
}

TEST(AddressText, EndpointsBracketIPv6AsURLsDo) {
  EXPECT_EQ(endpoint_text("10.9.0.7", 51234), "client=10.9.0.7:51234");
  EXPECT_EQ(endpoint_text("127.0.0.1", 0), "client=127.0.0.1:0");
  EXPECT_EQ(endpoint_text("2001:db8::7", 443), "client=[2001:db8::7]:443");
  EXPECT_EQ(endpoint_text("::ffff:192.0.2.7", 65535), "client=[::ffff:192.0.2.7]:65535");
}

}  // namespace
}  // namespace tether::lb
