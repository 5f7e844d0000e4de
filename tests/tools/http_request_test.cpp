#include "tools/pool/http_request.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace tether::pool {
namespace {

HeadParse parse(std::string_view bytes) {
  return parse_request_head(bytes, 64 * 1024);
}

TEST(PoolRequestHead, SimpleGetIsKeepAliveOnHttp11) {
  const auto parsed = parse("GET /index HTTP/1.1\r\nHost: a\r\n\r\nextra");
  ASSERT_EQ(parsed.status, HeadStatus::complete);
  EXPECT_EQ(parsed.head.method, "GET");
  EXPECT_EQ(parsed.head.target, "/index");
  EXPECT_TRUE(parsed.head.keep_alive);
  EXPECT_EQ(parsed.size, std::strlen("GET /index HTTP/1.1\r\nHost: a\r\n\r\n"));
}

TEST(PoolRequestHead, Http10ClosesUnlessKeepAliveAsked) {
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nConnection: te, close\r\n\r\n").head.keep_alive);
}

TEST(PoolRequestHead, ReadsSessionHeaderAndCookie) {
  const auto parsed = parse(
      "GET / HTTP/1.1\r\nx-session:  abc \r\nCookie: MS-WSMAN=t; ASP.NET_SessionId=42\r\n\r\n");
  ASSERT_EQ(parsed.status, HeadStatus::complete);
  EXPECT_TRUE(parsed.head.has_session);
  EXPECT_EQ(parsed.head.session, "abc");
  EXPECT_TRUE(parsed.head.has_session_cookie);
  EXPECT_EQ(parsed.head.session_cookie, "42");
}

TEST(PoolRequestHead, PartialHeadAsksForMore) {
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n").status, HeadStatus::need_more);
  EXPECT_EQ(parse("GE").status, HeadStatus::need_more);
}

TEST(PoolRequestHead, GarbageIsRefusedBeforeTheBlankLine) {
  EXPECT_EQ(parse("\x16\x03\x01\x02").status, HeadStatus::malformed);  // a TLS hello
  EXPECT_EQ(parse("GET / HTTP/1.1\nHost: a\n").status, HeadStatus::malformed);
}

TEST(PoolRequestHead, MalformedRequestsAreRefused) {
  for (const char* bad : {
           "GET /\r\n\r\n",
           "GET / HTTP/2.0\r\n\r\n",
           "GET  / HTTP/1.1\r\n\r\n",
           "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
           "GET / HTTP/1.1\r\nName : v\r\n\r\n",
           "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
       }) {
    EXPECT_EQ(parse(bad).status, HeadStatus::malformed) << bad;
  }
}

TEST(PoolRequestHead, HugeHeadIsTooLarge) {
  std::string head = "GET / HTTP/1.1\r\nX-Big: " + std::string(1000, 'a');
  EXPECT_EQ(parse_request_head(head, 512).status, HeadStatus::too_large);
}

TEST(PoolChunkedBody, SkipsChunksExtensionsAndTrailers) {
  const std::string body = "5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  ChunkedBodySkipper skipper;
  std::size_t used = 0;
  ASSERT_EQ(skipper.feed(body, used), ChunkedBodySkipper::Status::done);
  EXPECT_EQ(body.substr(used), "NEXT");
}

TEST(PoolChunkedBody, WorksByteByByte) {
  const std::string body = "a\r\n0123456789\r\n0\r\n\r\n";
  ChunkedBodySkipper skipper;
  for (std::size_t i = 0; i < body.size(); ++i) {
    std::size_t used = 0;
    const auto status = skipper.feed(body.substr(i, 1), used);
    EXPECT_EQ(used, 1u);
    EXPECT_EQ(status, i + 1 == body.size() ? ChunkedBodySkipper::Status::done
                                           : ChunkedBodySkipper::Status::need_more);
  }
}

TEST(PoolChunkedBody, BadFramingIsMalformed) {
  for (const char* bad : {"x\r\n", "5\r\nhelloX\r\n", "5\nhello", "\r\n"}) {
    ChunkedBodySkipper skipper;
    std::size_t used = 0;
    EXPECT_EQ(skipper.feed(bad, used), ChunkedBodySkipper::Status::malformed) << bad;
  }
}

// Appends `bytes` to what the stream has buffered, as one read would.
void feed(RequestStream& stream, std::string_view bytes) {
  const auto space = stream.prepare();
  ASSERT_GE(space.size(), bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  stream.commit(bytes.size());
}

TEST(PoolRequestStream, PipelinedRequestsWithBodiesComeOutInOrder) {
  RequestStream stream;
  feed(stream,
       "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
       "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
       "GET /c HTTP/1.1\r\n\r\n");
  for (const char* target : {"/a", "/b", "/c"}) {
    const auto parsed = stream.next_head();
    ASSERT_EQ(parsed.status, HeadStatus::complete);
    EXPECT_EQ(parsed.head.target, target);
    EXPECT_EQ(stream.skip_body(), RequestStream::BodyStatus::done);
  }
  EXPECT_EQ(stream.next_head().status, HeadStatus::need_more);
}

TEST(PoolRequestStream, BodySplitAcrossReadsIsDiscarded) {
  RequestStream stream;
  feed(stream, "PUT / HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234");
  ASSERT_EQ(stream.next_head().status, HeadStatus::complete);
  EXPECT_EQ(stream.skip_body(), RequestStream::BodyStatus::need_more);
  feed(stream, "56789GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(stream.skip_body(), RequestStream::BodyStatus::done);
  EXPECT_EQ(stream.next_head().status, HeadStatus::complete);
}

TEST(PoolRequestStream, GrowsForALongHeadUpToTheLimit) {
  RequestStream stream(32 * 1024);
  const std::string long_header = "X-Long: " + std::string(20 * 1024, 'a') + "\r\n";
  const std::string head = "GET / HTTP/1.1\r\n" + long_header + "\r\n";
  std::size_t offset = 0;
  while (offset < head.size()) {
    const auto space = stream.prepare();
    const auto n = std::min(space.size(), head.size() - offset);
    std::memcpy(space.data(), head.data() + offset, n);
    stream.commit(n);
    offset += n;
  }
  EXPECT_EQ(stream.next_head().status, HeadStatus::complete);
}

}  // namespace
}  // namespace tether::pool
