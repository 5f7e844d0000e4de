#include "lb/tls_client_context.h"

#include <gtest/gtest.h>

#include <asio/ssl/error.hpp>

#include "lb/pool.h"

namespace tether::lb {
namespace {

TEST(TlsPeerName, SniWhenSetElseTheHostOfTheAddressAsWritten) {
  const auto sni = tls_peer_name("pool.contoso.test", "10.0.0.1:443");
  EXPECT_EQ(sni.name, "pool.contoso.test");
  EXPECT_FALSE(sni.ip);
  const auto name = tls_peer_name("", "fe01.contoso.test:4443");
  EXPECT_EQ(name.name, "fe01.contoso.test");
  EXPECT_FALSE(name.ip);
}

TEST(TlsPeerName, AnIpLiteralIsVerifiedAsAnIp) {
  const auto v4 = tls_peer_name("", "10.0.0.1:443");
  EXPECT_EQ(v4.name, "10.0.0.1");
  EXPECT_TRUE(v4.ip);
  const auto v6 = tls_peer_name("", "[2001:db8::5]:443");
  EXPECT_EQ(v6.name, "2001:db8::5");  // without the brackets
  EXPECT_TRUE(v6.ip);
}

TEST(TlsFailure, SaysWhatWentWrongInWords) {
  EXPECT_EQ(describe_tls_failure(asio::ssl::error::stream_truncated, nullptr),
            "the server closed the connection during the handshake");
  EXPECT_EQ(describe_tls_failure(asio::error::eof, nullptr),
            "the server closed the connection during the handshake");
  EXPECT_EQ(describe_tls_failure(asio::error::connection_reset, nullptr),
            std::error_code(asio::error::connection_reset).message());
}

config::PoolConfig pool_config(bool enabled, config::HealthConfig::Type health) {
  config::PoolConfig c;
  c.name = "web";
  config::ServerConfig s;
  s.name = "fe01";
  s.address = {"127.0.0.1:443", {asio::ip::make_address("127.0.0.1"), 443}};
  c.servers.push_back(s);
  c.tls.enabled = enabled;
  c.health.type = health;
  return c;
}

TEST(PoolTlsContext, MadeForReencryptionOrHttpsChecksAndKeptByAReloadThatKeepsTheSettings) {
  using Type = config::HealthConfig::Type;
  EXPECT_EQ(Pool(pool_config(false, Type::http), nullptr, nullptr).tls(), nullptr);
  EXPECT_NE(Pool(pool_config(false, Type::https), nullptr, nullptr).tls(), nullptr);

  const Pool before(pool_config(true, Type::none), nullptr, nullptr);
  ASSERT_NE(before.tls(), nullptr);
  // Same settings: the same context, and so the sessions it keeps for resumption.
  EXPECT_EQ(Pool(pool_config(true, Type::tcp), nullptr, &before).tls(), before.tls());
  auto unverified = pool_config(true, Type::none);
  unverified.tls.verify = false;
  const Pool after(unverified, nullptr, &before);
  ASSERT_NE(after.tls(), nullptr);
  EXPECT_NE(after.tls(), before.tls());
  EXPECT_FALSE(after.tls()->settings().verify);
}

}  // namespace
}  // namespace tether::lb
