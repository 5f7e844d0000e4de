#include "health/http_probe.h"

#include <gtest/gtest.h>

namespace tether::health {
namespace {

TEST(HttpStatusLine, ReadsTheStatusOnceTheLineIsComplete) {
  EXPECT_EQ(parse_status_line("HTTP/1.1 200 OK\r\n"), 200u);
  EXPECT_EQ(parse_status_line("HTTP/1.0 503 Service Unavailable\r\nServer: x\r\n"), 503u);
  EXPECT_EQ(parse_status_line("HTTP/1.1 204\r\n"), 204u);
  EXPECT_EQ(parse_status_line("HTTP/1.1 200 O"), std::nullopt);
  EXPECT_EQ(parse_status_line(""), std::nullopt);
}

TEST(HttpStatusLine, RefusesWhatIsNotHttp1) {
  EXPECT_EQ(parse_status_line("SSH-2.0-OpenSSH\r\n"), 0u);
  EXPECT_EQ(parse_status_line("HTTP/2 200\r\n"), 0u);
  EXPECT_EQ(parse_status_line("HTTP/1.1 2x0 OK\r\n"), 0u);
  EXPECT_EQ(parse_status_line("HTTP/1.1 2000 OK\r\n"), 0u);
  EXPECT_EQ(parse_status_line("HTTP/1.1 099 OK\r\n"), 0u);
  EXPECT_EQ(parse_status_line(std::string(300, 'x')), 0u);
}

TEST(HttpStatusLine, ExpectedRanges) {
  const std::vector<config::StatusRange> ranges = {{200, 399}, {404, 404}};
  EXPECT_TRUE(status_expected(200, ranges));
  EXPECT_TRUE(status_expected(399, ranges));
  EXPECT_TRUE(status_expected(404, ranges));
  EXPECT_FALSE(status_expected(400, ranges));
  EXPECT_FALSE(status_expected(500, ranges));
}

}  // namespace
}  // namespace tether::health
