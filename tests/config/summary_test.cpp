#include <gtest/gtest.h>

#include "config/loader.h"

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
  EXPECT_NE(text.find("frontend web-int-443  tcp  listen 0.0.0.0:443,[::]:443  -> pool "
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
  EXPECT_NE(text.find("idle off  affinity source /32 /64 timeout 1h table 1000\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace tether::config
