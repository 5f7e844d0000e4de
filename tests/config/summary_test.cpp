#include <gtest/gtest.h>

#include <ctime>

#include "config/loader.h"
#include "tests/tls/test_certs.h"

namespace tether::config {
namespace {

std::string summary_of(const std::string& name) {
  const LoadResult result = load_file(std::string(TETHER_TEST_DATA) + "/" + name);
  if (!result.ok()) return testing::PrintToString(result.errors);
  return summary(*result.config);
}

TEST(Summary, ShowsEachFrontendPoolAndServerOnOneLine) {
  const std::string text = summary_of("good_full.yaml");
  EXPECT_EQ(text.rfind("config OK: ", 0), 0u) << text;
  EXPECT_NE(text.find("frontend web-int-443  tcp  listen 0.0.0.0:443,[2001:db8::2]:443  -> pool "
                      "web-int-443  idle 30m  affinity source /24 /56 timeout 20m table 500000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("frontend web-int-80  tcp  listen 0.0.0.0:80  -> pool web-int-80  idle 30m  "
                      "affinity none\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("pool web-int-443  maglev  seed 18446744073709551615  connect 500ms  server "
                      "2m  retries 10  max_connections 4294967295\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  server fe03  [2001:db8::13]:443  weight 2\n"), std::string::npos) << text;
}

TEST(Summary, ShowsWhatANameResolvedTo) {
  const std::string text = summary_of("good_full.yaml");
  EXPECT_NE(text.find("localhost:4443 (127.0.0.1:4443)"), std::string::npos) << text;
}

TEST(Summary, SaysOffForZeroDurations) {
  const std::string text = summary_of("good_full.yaml");
  EXPECT_NE(text.find("frontend web-ext-443  tcp  listen [2001:db8::1]:443,localhost:8443"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("idle off  affinity source /32 /128 timeout 1h table 1000\n"),
            std::string::npos)
      << text;
}

// The file Tether will append to, wherever it was started from (relative paths are next to the
// config file), as for state_file.
TEST(Summary, ShowsTheAccessLogPathAsResolved) {
  const std::string text = summary_of("good_full.yaml");
  EXPECT_NE(text.find("  access " + std::string(TETHER_TEST_DATA) + "/access.log\n"),
            std::string::npos)
      << text;
}

TEST(Summary, ShowsTheAdminPortAndWhetherATokenGuardsIt) {
  EXPECT_NE(summary_of("good_full.yaml").find("\nadmin [::]:9900  token: yes\n"), std::string::npos)
      << summary_of("good_full.yaml");
  const LoadResult loopback = load_string(R"(admin: { listen: "127.0.0.1:9900" }
frontends: [{ name: web, listen: "127.0.0.1:0", pool: web }]
pools: [{ name: web, servers: [{ name: fe01, address: "127.0.0.1:8080" }] }]
)",
                                          "inline.yaml");
  ASSERT_TRUE(loopback.ok()) << testing::PrintToString(loopback.errors);
  EXPECT_NE(summary(*loopback.config).find("\nadmin 127.0.0.1:9900  token: no\n"),
            std::string::npos)
      << summary(*loopback.config);
  EXPECT_EQ(summary_of("good_minimal.yaml").find("admin"), std::string::npos);
}

TEST(Summary, ShowsEachPoolsHealthCheckUnderIt) {
  const std::string text = summary_of("good_full.yaml");
  EXPECT_NE(text.find("max_connections 4294967295\n"
                      "  health tcp port 5061 every 10s timeout 10s rise 1 fall 100 observe\n"
                      "  server fe01"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("  health http port (server's) GET /healthz?full=1 Host pool.contoso.net "
                "expect 200,204,300-399 every 500ms timeout 250ms rise 2 fall 3 no observe\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("max_connections unlimited\n  health none\n  server fe01.contoso.net"),
            std::string::npos)
      << text;
}

TEST(Summary, ShowsTheHealthDefaults) {
  const LoadResult loaded =
      load_string(R"(frontends: [{ name: web, listen: "127.0.0.1:0", pool: web }]
pools:
  - { name: a, servers: [{ name: fe01, address: "127.0.0.1:8080" }], health: {} }
  - name: b
    servers: [{ name: fe01, address: "127.0.0.1:8080" }]
    health: { type: http }
  - { name: web, servers: [{ name: fe01, address: "127.0.0.1:8080" }] }
)",
                  "inline.yaml");
  ASSERT_TRUE(loaded.ok()) << testing::PrintToString(loaded.errors);
  const std::string text = summary(*loaded.config);
  EXPECT_NE(text.find("  health tcp port (server's) every 5s timeout 2s rise 2 fall 3 observe\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  health http port (server's) GET / Host (server's address) expect 200-399 "
                      "every 5s timeout 2s rise 2 fall 3 observe\n"),
            std::string::npos)
      << text;
}

TEST(Summary, ShowsCookieAffinityAndWhoseWordAboutTheClientIsTaken) {
  const std::string text = summary_of("good_http.yaml");
  EXPECT_NE(text.find("frontend web-ext-443  http  listen 127.0.0.1:0  -> pool web-ext  idle 30m  "
                      "affinity cookie MS-WSMAN httponly no secure no secret yes fallback "
                      "least_conn /32 /64  client x-forwarded-for  "
                      "trusted_proxies 10.0.0.0/8,2001:db8::/32,192.0.2.7/32\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("frontend web-int-443  tcp  listen 127.0.0.1:0  -> pool web-int  idle 30m  "
                      "affinity source /32 /64 timeout 20m table 1000000  accept_proxy  "
                      "trusted_proxies 10.1.2.0/24,::ffff:192.0.2.0/120\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("affinity cookie app_srv!#$%&'*+-.^_`|~ httponly yes secure yes secret no "
                      "fallback round_robin /32 /64  accept_proxy (from "
                      "any peer)\n"),
            std::string::npos)
      << text;
}

TEST(Summary, ShowsSendProxyOnlyWhenOn) {
  const std::string text = summary_of("good_http.yaml");
  EXPECT_NE(text.find("  server fe01  127.0.0.1:4443  weight 1  send_proxy v2\n"
                      "  server fe02  127.0.0.1:4444  weight 1  send_proxy v1\n"
                      "  server fe03  127.0.0.1:4445  weight 1\n"),
            std::string::npos)
      << text;
}

TEST(Summary, ShowsATlsFrontendsCertificatesWithNamesAndExpiry) {
  const auto& certs = test::test_certs();
  const LoadResult result = load_string(
      "frontends:\n  - name: web\n    listen: \"127.0.0.1:0\"\n    pool: web\n    mode: http\n"
      "    tls:\n      min_version: \"1.3\"\n      certificates:\n"
      "        - { cert: " +
          certs.cert("ext") + ", key: " + certs.key("ext") +
          " }\n"
          "        - { cert: " +
          certs.cert("int") + ", key: " + certs.key("int") +
          " }\n"
          "pools: [{ name: web, servers: [{ name: fe01, address: \"127.0.0.1:80\" }] }]\n",
      "inline.yaml");
  ASSERT_TRUE(result.ok()) << result.errors.front();
  const auto date = [](std::chrono::system_clock::time_point t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
    return std::string(text);
  };
  const auto& list = result.config->frontends[0].tls->certificates;
  const std::string text = summary(*result.config);
  EXPECT_NE(
      text.find("affinity source /32 /64 timeout 20m table 1000000  tls 1.3+  cert " +
                certs.cert("ext") + " [ext.contoso.test,localhost] until " +
                date(list[0].not_after) + "  cert " + certs.cert("int") +
                " [int.contoso.test,*.int.contoso.test] until " + date(list[1].not_after) + "\n"),
      std::string::npos)
      << text;
}

}  // namespace
}  // namespace tether::config
