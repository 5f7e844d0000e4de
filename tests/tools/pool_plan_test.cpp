#include "tools/pool/pool_plan.h"

#include <gtest/gtest.h>

#include "tools/pool/endpoint_text.h"

namespace tether::pool {
namespace {

using asio::ip::tcp;

tcp::endpoint endpoint(const char* text) {
  return *parse_endpoint(text);
}

config::ServerConfig server(const char* name, const char* address) {
  config::ServerConfig s;
  s.name = name;
  s.address.text = address;
  s.address.endpoint = endpoint(address);
  return s;
}

config::PoolConfig pool(const char* name, std::vector<config::ServerConfig> servers) {
  config::PoolConfig p;
  p.name = name;
  p.servers = std::move(servers);
  return p;
}

FlagPlan flags(unsigned servers, std::uint16_t base_port = 0,
               std::optional<std::uint16_t> check_base_port = std::nullopt) {
  FlagPlan plan;
  plan.servers = servers;
  plan.base_port = base_port;
  plan.check_base_port = check_base_port;
  return plan;
}

TEST(PlanFromFlags, NamesAndPortsAreConsecutive) {
  const auto plan = plan_from_flags(flags(3, 8081, 9061));
  ASSERT_TRUE(plan.ok()) << plan.error;
  ASSERT_EQ(plan.servers.size(), 3u);
  EXPECT_EQ(plan.servers[0].name, "fe01");
  EXPECT_EQ(plan.servers[2].name, "fe03");
  EXPECT_EQ(plan.servers[2].http.at(0), endpoint("127.0.0.1:8083"));
  EXPECT_EQ(plan.servers[2].checks, std::vector{endpoint("127.0.0.1:9063")});
}

TEST(PlanFromFlags, BindsIpv6AndLetsTheOsChoosePorts) {
  auto ipv6 = flags(2);
  ipv6.bind = *parse_address("::1");
  ipv6.name_prefix = "web";
  const auto plan = plan_from_flags(ipv6);
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_EQ(plan.servers[1].name, "web02");
  EXPECT_EQ(plan.servers[1].http.at(0), endpoint("[::1]:0"));
  EXPECT_EQ(plan.servers[1].checks, std::vector{endpoint("[::1]:0")});
}

TEST(PlanFromFlags, PortsBeyond65535AreRefused) {
  EXPECT_FALSE(plan_from_flags(flags(2, 65535)).ok());
  EXPECT_FALSE(plan_from_flags(flags(2, 0, 65535)).ok());
  EXPECT_FALSE(plan_from_flags(flags(0)).ok());
}

TEST(PoolServerName, WidensBeyond99) {
  EXPECT_EQ(server_name("fe", 7, 12), "fe07");
  EXPECT_EQ(server_name("fe", 7, 120), "fe007");
}

// A Lync pool: internal VIPs on 80/443, external ones on 4443/8080, the same two Front Ends.
TEST(PlanFromConfig, OneServerPerNameListeningOnEveryPort) {
  config::Config config;
  config.pools.push_back(
      pool("int-443", {server("fe01", "127.0.0.1:10443"), server("fe02", "127.0.0.2:10443")}));
  config.pools.push_back(
      pool("ext-4443", {server("fe01", "127.0.0.1:14443"), server("fe02", "127.0.0.2:14443")}));
  config.pools.push_back(pool("int-443-again", {server("fe01", "127.0.0.1:10443")}));
  const auto plan = plan_from_config(config, 15061);
  ASSERT_TRUE(plan.ok()) << plan.error;
  ASSERT_EQ(plan.servers.size(), 2u);
  EXPECT_EQ(plan.servers[0].name, "fe01");
  EXPECT_EQ(plan.servers[0].http,
            (std::vector{endpoint("127.0.0.1:10443"), endpoint("127.0.0.1:14443")}));
  EXPECT_EQ(plan.servers[0].checks, std::vector{endpoint("127.0.0.1:15061")});
  EXPECT_EQ(plan.servers[1].checks, std::vector{endpoint("127.0.0.2:15062")});
}

// Microsoft's templates probe every Front End's SIP port 5061: the simulated servers listen there.
TEST(PlanFromConfig, CheckPortComesFromTheConfigsHealthPort) {
  config::Config config;
  auto checked =
      pool("int-443", {server("fe01", "127.0.0.1:10443"), server("fe02", "127.0.0.2:10443")});
  checked.health.type = config::HealthConfig::Type::tcp;
  checked.health.port = 15061;
  config.pools.push_back(pool("int-80", {server("fe01", "127.0.0.1:10080")}));  // not checked
  config.pools.push_back(checked);
  const auto plan = plan_from_config(config, std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_EQ(plan.servers[0].checks, std::vector{endpoint("127.0.0.1:15061")});
  EXPECT_EQ(plan.servers[1].checks, std::vector{endpoint("127.0.0.2:15061")});
}

config::PoolConfig checked_pool(const char* name, std::vector<config::ServerConfig> servers,
                                config::HealthConfig::Type type, std::uint16_t port) {
  auto p = pool(name, std::move(servers));
  p.health.type = type;
  p.health.port = port;
  return p;
}

// Tether probes every checked pool's health port on the server's address in that pool: each of
// them must be open, or the pools checking the others mark every server down.
TEST(PlanFromConfig, EveryHealthPortItsPoolsProbeIsACheckPort) {
  using Type = config::HealthConfig::Type;
  config::Config config;
  config.pools.push_back(
      checked_pool("a", {server("fe01", "127.0.0.1:10443"), server("fe02", "127.0.0.2:10443")},
                   Type::tcp, 23160));
  config.pools.push_back(
      checked_pool("b", {server("fe01", "127.0.0.1:14443"), server("fe02", "127.0.0.2:14443")},
                   Type::tcp, 23161));
  config.pools.push_back(
      checked_pool("a-again", {server("fe01", "127.0.0.1:18080")}, Type::http, 23160));
  config.pools.push_back(checked_pool("c", {server("fe01", "127.0.0.3:10080")}, Type::tcp, 23160));
  const auto plan = plan_from_config(config, std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_EQ(plan.servers[0].checks,
            (std::vector{endpoint("127.0.0.1:23160"), endpoint("127.0.0.1:23161"),
                         endpoint("127.0.0.3:23160")}));
  EXPECT_EQ(plan.servers[1].checks,
            (std::vector{endpoint("127.0.0.2:23160"), endpoint("127.0.0.2:23161")}));
  // --check-base-port still puts every server's checks on one port of its own.
  const auto overridden = plan_from_config(config, 15061);
  ASSERT_TRUE(overridden.ok()) << overridden.error;
  EXPECT_EQ(overridden.servers[0].checks, std::vector{endpoint("127.0.0.1:15061")});
  EXPECT_EQ(overridden.servers[1].checks, std::vector{endpoint("127.0.0.2:15062")});
}

// An http check of the server's own HTTP port (or of port 0, the same) is answered by that port;
// a check listener there too would take half of the port's traffic.
TEST(PlanFromConfig, ACheckOnTheServersOwnHttpPortAddsNoListener) {
  using Type = config::HealthConfig::Type;
  config::Config config;
  config.pools.push_back(
      checked_pool("own", {server("fe01", "127.0.0.1:10080")}, Type::http, 10080));
  config.pools.push_back(checked_pool("zero", {server("fe01", "127.0.0.1:10443")}, Type::tcp, 0));
  config.pools.push_back(pool("sip", {server("fe02", "127.0.0.2:10080")}));
  config.pools.back().health.port = 5061;  // type none: not probed
  auto plan = plan_from_config(config, std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.error;
  // No port of its own is probed: a check port the OS chooses, as in the flags form.
  EXPECT_EQ(plan.servers[0].checks, std::vector{endpoint("127.0.0.1:0")});
  EXPECT_EQ(plan.servers[1].checks, std::vector{endpoint("127.0.0.2:0")});

  config.pools.push_back(
      checked_pool("sip5061", {server("fe01", "127.0.0.1:14443")}, Type::tcp, 5061));
  plan = plan_from_config(config, std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.error;
  EXPECT_EQ(plan.servers[0].checks, std::vector{endpoint("127.0.0.1:5061")});
}

TEST(PlanFromConfig, TwoNamesOnOneAddressAreRefused) {
  config::Config config;
  config.pools.push_back(
      pool("p", {server("fe01", "127.0.0.1:10443"), server("fe02", "127.0.0.1:10443")}));
  const auto plan = plan_from_config(config, std::nullopt);
  EXPECT_FALSE(plan.ok());
  EXPECT_NE(plan.error.find("fe01"), std::string::npos);
}

TEST(PoolEndpointText, RoundTripsIpv4AndIpv6) {
  EXPECT_EQ(to_string(endpoint("[::1]:80")), "[::1]:80");
  EXPECT_EQ(to_string(endpoint("10.0.0.1:443")), "10.0.0.1:443");
  EXPECT_FALSE(parse_endpoint("::1:80"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1"));
  EXPECT_FALSE(parse_endpoint(":80"));
  EXPECT_FALSE(parse_endpoint("127.0.0.1:70000"));
}

}  // namespace
}  // namespace tether::pool
