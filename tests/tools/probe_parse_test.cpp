// The probe's pure input side: HTTP responses as load balancers send them, Set-Cookie, the
// source-address range and which clients roam.
#include <gtest/gtest.h>

#include <string>

#include "tools/probe/response_parser.h"
#include "tools/probe/source_range.h"

namespace tether::probe {
namespace {

using Status = ResponseParser::Status;

// Feeds `bytes` in pieces of `step` bytes; the status after the last piece, with every byte
// before the response's end consumed.
Status feed_in_pieces(ResponseParser& parser, std::string_view bytes, std::size_t step,
                      std::size_t* consumed = nullptr) {
  Status status = Status::need_more;
  std::size_t total = 0;
  while (total < bytes.size() && status == Status::need_more) {
    std::size_t used = 0;
    status = parser.feed(bytes.substr(total, step), used);
    total += used;
  }
  if (consumed) *consumed = total;
  return status;
}

TEST(ProbeResponseParser, ContentLengthResponseByteByByte) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nx-tether-server: fe02\r\nX-Session: abc\r\n"
      "Set-Cookie: MS-WSMAN=tok; path=/\r\nContent-Length: 5\r\n\r\nhello";
  ResponseParser parser;
  EXPECT_EQ(feed_in_pieces(parser, response, 1), Status::complete);
  EXPECT_EQ(parser.response().status, 200);
  EXPECT_EQ(parser.response().server, "fe02");
  EXPECT_EQ(parser.response().session, "abc");
  ASSERT_EQ(parser.response().cookies.size(), 1u);
  EXPECT_EQ(parser.response().cookies[0], "MS-WSMAN=tok; path=/");
  EXPECT_TRUE(parser.response().keep_alive);
}

TEST(ProbeResponseParser, StopsAtTheEndOfOneResponse) {
  const std::string two =
      "HTTP/1.1 440 Login Timeout\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 200 OK\r\n";
  ResponseParser parser;
  std::size_t used = 0;
  EXPECT_EQ(parser.feed(two, used), Status::complete);
  EXPECT_EQ(used, two.find("HTTP/1.1 200"));
  EXPECT_EQ(parser.response().status, 440);
}

TEST(ProbeResponseParser, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Tether-Server: fe01\r\n\r\n"
      "4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n";
  for (const std::size_t step : {std::size_t{1}, std::size_t{7}, response.size()}) {
    ResponseParser parser("X-Tether-Server", true);
    std::size_t consumed = 0;
    EXPECT_EQ(feed_in_pieces(parser, response, step, &consumed), Status::complete) << step;
    EXPECT_EQ(consumed, response.size());
    EXPECT_EQ(parser.response().body, "wikipedia");
    EXPECT_TRUE(parser.response().keep_alive);
  }
}

TEST(ProbeResponseParser, BodyUntilCloseEndsWithTheConnection) {
  ResponseParser parser("X-Tether-Server", true);
  EXPECT_EQ(feed_in_pieces(parser, "HTTP/1.1 200 OK\r\n\r\nall of it", 4), Status::need_more);
  EXPECT_FALSE(parser.response().keep_alive);
  EXPECT_EQ(parser.finish_on_close(), Status::complete);
  EXPECT_EQ(parser.response().body, "all of it");
}

TEST(ProbeResponseParser, ACloseInsideALengthIsMalformed) {
  ResponseParser parser;
  EXPECT_EQ(feed_in_pieces(parser, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 64),
            Status::need_more);
  EXPECT_EQ(parser.finish_on_close(), Status::malformed);
}

TEST(ProbeResponseParser, InterimResponsesAreSkipped) {
  ResponseParser parser;
  EXPECT_EQ(feed_in_pieces(parser,
                           "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n"
                           "X-Tether-Server: fe03\r\n\r\n",
                           64),
            Status::complete);
  EXPECT_EQ(parser.response().status, 204);
  EXPECT_EQ(parser.response().server, "fe03");
}

TEST(ProbeResponseParser, ConnectionHandling) {
  ResponseParser parser;
  EXPECT_EQ(feed_in_pieces(parser,
                           "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 64),
            Status::complete);
  EXPECT_FALSE(parser.response().keep_alive);
  parser.reset();
  EXPECT_EQ(feed_in_pieces(parser, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 64),
            Status::complete);
  EXPECT_FALSE(parser.response().keep_alive);
  parser.reset();
  EXPECT_EQ(
      feed_in_pieces(parser,
                     "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", 64),
      Status::complete);
  EXPECT_TRUE(parser.response().keep_alive);
}

TEST(ProbeResponseParser, MalformedResponsesAreRefused) {
  for (const std::string bad :
       {"HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "SSH-2.0-OpenSSH\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    ResponseParser parser;
    EXPECT_EQ(feed_in_pieces(parser, bad, 64), Status::malformed) << bad;
  }
}

TEST(ProbeResponseParser, StartedOnlyOnceBytesArrive) {
  ResponseParser parser;
  EXPECT_FALSE(parser.started());
  std::size_t used = 0;
  parser.feed("HT", used);
  EXPECT_TRUE(parser.started());
  parser.reset();
  EXPECT_FALSE(parser.started());
}

TEST(ProbeSetCookie, TakesTheNamedCookieOnly) {
  std::string value;
  EXPECT_TRUE(set_cookie_value("MS-WSMAN=abc123; path=/; secure", "MS-WSMAN", value));
  EXPECT_EQ(value, "abc123");
  EXPECT_TRUE(set_cookie_value(" MS-WSMAN = \"q\" ", "MS-WSMAN", value));
  EXPECT_EQ(value, "\"q\"");
  value = "kept";
  EXPECT_FALSE(set_cookie_value("ASP.NET_SessionId=x; path=/", "MS-WSMAN", value));
  EXPECT_FALSE(set_cookie_value("ms-wsman=x", "MS-WSMAN", value));
  EXPECT_FALSE(set_cookie_value("MS-WSMAN", "MS-WSMAN", value));
  EXPECT_EQ(value, "kept");
}

TEST(ProbeSourceRange, IPv4LeavesOutNetworkAndBroadcast) {
  std::string error;
  const auto range = SourceRange::parse("127.1.0.0/16", error);
  ASSERT_TRUE(range) << error;
  EXPECT_EQ(range->size(), 65534u);
  EXPECT_EQ(range->from_bottom(0).to_string(), "127.1.0.1");
  EXPECT_EQ(range->from_bottom(255).to_string(), "127.1.1.0");
  EXPECT_EQ(range->from_top(0).to_string(), "127.1.255.254");
  EXPECT_EQ(range->from_top(65533).to_string(), "127.1.0.1");
}

TEST(ProbeSourceRange, SmallRangesUseEveryAddress) {
  std::string error;
  const auto one = SourceRange::parse("127.0.0.5", error);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1u);
  EXPECT_EQ(one->from_bottom(0).to_string(), "127.0.0.5");
  const auto two = SourceRange::parse("127.0.0.4/31", error);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->size(), 2u);
  EXPECT_EQ(two->from_top(0).to_string(), "127.0.0.5");
}

TEST(ProbeSourceRange, IPv6Slash64) {
  std::string error;
  const auto range = SourceRange::parse("fd00::/64", error);
  ASSERT_TRUE(range) << error;
  EXPECT_TRUE(range->is_v6());
  EXPECT_EQ(range->size(), UINT64_MAX);  // 2^64 - 1 usable: saturated
  EXPECT_EQ(range->from_bottom(0).to_string(), "fd00::1");
  EXPECT_EQ(range->from_bottom(65535).to_string(), "fd00::1:0");
  EXPECT_EQ(range->from_top(0).to_string(), "fd00::ffff:ffff:ffff:ffff");
  const auto small = SourceRange::parse("fd00:0:0:7::/120", error);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->size(), 255u);
  EXPECT_EQ(small->from_top(0).to_string(), "fd00:0:0:7::ff");
}

TEST(ProbeSourceRange, RefusesWhatIsNotARange) {
  std::string error;
  EXPECT_FALSE(SourceRange::parse("127.1.2.3/16", error));
  EXPECT_NE(error.find("host bits"), std::string::npos);
  EXPECT_FALSE(SourceRange::parse("127.1.0.0/33", error));
  EXPECT_FALSE(SourceRange::parse("127.1.0.0/", error));
  EXPECT_FALSE(SourceRange::parse("localhost/8", error));
  EXPECT_FALSE(SourceRange::parse("fd00::/129", error));
}

TEST(ProbeRoamingPlan, SpreadsTheFractionEvenly) {
  const RoamingPlan three_in_ten(0.3);
  std::vector<std::size_t> roaming;
  for (std::size_t i = 0; i < 10; ++i)
    if (three_in_ten.roams(i)) roaming.push_back(i);
  EXPECT_EQ(roaming, (std::vector<std::size_t>{3, 6, 9}));
  EXPECT_EQ(three_in_ten.roamers_before(10), 3u);
  EXPECT_EQ(three_in_ten.roamers_before(9), 2u);  // client 9, the third to roam, takes top - 2
  EXPECT_EQ(RoamingPlan(0.29).roamers_before(100), 29u);
  EXPECT_EQ(RoamingPlan(1.0).roamers_before(1000), 1000u);
  EXPECT_FALSE(RoamingPlan(0).roams(0));
  EXPECT_TRUE(RoamingPlan(1.0).roams(0));
}

}  // namespace
}  // namespace tether::probe
