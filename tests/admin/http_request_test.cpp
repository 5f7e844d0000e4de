// Reading admin API requests: heads, bodies, limits, keep-alive, and the status a broken request
// is answered with.
#include "admin/http_request.h"

#include <gtest/gtest.h>

namespace tether::admin {
namespace {

using Status = RequestReader::Status;

// Feeds `bytes` and expects the reader to refuse them with `status`.
void expect_refused(const std::string& bytes, int status) {
  RequestReader reader;
  reader.feed(bytes);
  HttpRequest request;
  EXPECT_EQ(reader.next(request), Status::failed) << bytes;
  EXPECT_EQ(reader.error().status, status) << bytes << ": " << reader.error().message;
}

TEST(RequestReader, ReadsAGetRequest) {
  RequestReader reader;
  reader.feed("GET /api/v1/status?x=1 HTTP/1.1\r\nHost: admin\r\nX-Test:  spaced value \r\n\r\n");
  HttpRequest request;
  ASSERT_EQ(reader.next(request), Status::complete) << reader.error().message;
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/api/v1/status?x=1");
  EXPECT_EQ(request.minor_version, 1);
  EXPECT_TRUE(request.keep_alive);
  ASSERT_NE(request.header("x-test"), nullptr);
  EXPECT_EQ(*request.header("x-test"), "spaced value");
  EXPECT_EQ(*request.header("host"), "admin");
  EXPECT_TRUE(request.body.empty());
  EXPECT_FALSE(reader.buffered());
}

TEST(RequestReader, WaitsForTheWholeHeadAndBody) {
  RequestReader reader;
  HttpRequest request;
  const std::string bytes =
      "POST /api/v1/pools/web/servers/fe01/state HTTP/1.1\r\nHost: a\r\n"
      "Content-Length: 17\r\n\r\n{\"state\":\"drain\"}";
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    reader.feed(bytes.substr(i, 1));
    ASSERT_EQ(reader.next(request), Status::need_more) << "after " << i + 1 << " bytes";
  }
  reader.feed(bytes.substr(bytes.size() - 1));
  ASSERT_EQ(reader.next(request), Status::complete);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.body, R"({"state":"drain"})");
}

TEST(RequestReader, AnExpectedContinueIsDueOnceWhileTheBodyIsHeldBack) {
  const std::string head =
      "POST /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  RequestReader reader;
  HttpRequest request;
  reader.feed(head);
  ASSERT_EQ(reader.next(request), Status::need_more);
  EXPECT_TRUE(reader.take_continue());
  EXPECT_FALSE(reader.take_continue()) << "due once";
  reader.feed("{}");
  ASSERT_EQ(reader.next(request), Status::complete);
  EXPECT_EQ(request.body, "{}");
  EXPECT_FALSE(reader.take_continue());

  // The body came with the head: nothing to ask for. HTTP/1.0 knows no 100 (RFC 9110 §15.2).
  for (const std::string& bytes :
       {head + "{}", std::string("POST /a HTTP/1.0\r\nExpect: 100-continue\r\n"
                                 "Content-Length: 2\r\n\r\n")}) {
    RequestReader other;
    other.feed(bytes);
    other.next(request);
    EXPECT_FALSE(other.take_continue()) << bytes;
  }
}

TEST(RequestReader, KeepAliveConnectionCarriesTwoRequests) {
  RequestReader reader;
  reader.feed(
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
      "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /c");
  HttpRequest first, second, third;
  ASSERT_EQ(reader.next(first), Status::complete);
  EXPECT_EQ(first.target, "/a");
  EXPECT_EQ(first.body, "{}");
  EXPECT_TRUE(first.keep_alive);
  ASSERT_EQ(reader.next(second), Status::complete);
  EXPECT_EQ(second.target, "/b");
  EXPECT_FALSE(second.keep_alive);
  EXPECT_EQ(reader.next(third), Status::need_more);
}

TEST(RequestReader, KeepAliveFollowsVersionAndConnectionHeader) {
  const auto keep_alive = [](const std::string& version, const std::string& connection) {
    RequestReader reader;
    reader.feed("GET / " + version + "\r\nHost: x\r\n" +
                (connection.empty() ? "" : "Connection: " + connection + "\r\n") + "\r\n");
    HttpRequest request;
    EXPECT_EQ(reader.next(request), Status::complete);
    return request.keep_alive;
  };
  EXPECT_TRUE(keep_alive("HTTP/1.1", ""));
  EXPECT_FALSE(keep_alive("HTTP/1.1", "close"));
  EXPECT_FALSE(keep_alive("HTTP/1.1", "Keep-Alive, Close"));
  EXPECT_FALSE(keep_alive("HTTP/1.0", ""));
  EXPECT_TRUE(keep_alive("HTTP/1.0", "keep-alive"));
}

TEST(RequestReader, SkipsEmptyLinesBeforeARequest) {
  RequestReader reader;
  reader.feed("\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  HttpRequest request;
  ASSERT_EQ(reader.next(request), Status::complete);
  EXPECT_EQ(request.target, "/healthz");
}

TEST(RequestReader, AcceptsAbsoluteFormTargets) {
  RequestReader reader;
  reader.feed("GET http://admin:9900/healthz?x HTTP/1.1\r\nHost: admin:9900\r\n\r\n");
  HttpRequest request;
  ASSERT_EQ(reader.next(request), Status::complete);
  EXPECT_EQ(request.target, "/healthz?x");
}

TEST(RequestReader, MalformedRequestsAre400) {
  for (const std::string bad : {
           "GET /healthz HTTP/1.1\nHost: x\n\n",          // bare LF
           "GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n",   // two spaces
           "GET /healthz\r\nHost: x\r\n\r\n",             // HTTP/0.9
           "GET /healthz HTTP/1.1 x\r\nHost: x\r\n\r\n",  // extra field
           "G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n",    // not a token
           "GET healthz HTTP/1.1\r\nHost: x\r\n\r\n",     // not a path
           "GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n",      // control character
           "GET / HTTP/1.x\r\nHost: x\r\n\r\n",
           "GET / http/1.1\r\nHost: x\r\n\r\n",
           "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
           "GET / HTTP/1.1\r\nHost : x\r\n\r\n",              // space before the colon
           "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",    // obs-fold
           "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01z\r\n\r\n",  // control in a value
           "GET / HTTP/1.1\r\n\r\n",                          // no Host
           "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
       })
    expect_refused(bad, 400);
}

TEST(RequestReader, GarbageIsRefusedBeforeTheHeadEnds) {
  RequestReader reader;
  reader.feed("HELLO THERE\r\n");  // no blank line yet, but the request line is already wrong
  HttpRequest request;
  EXPECT_EQ(reader.next(request), Status::failed);
  EXPECT_EQ(reader.error().status, 400);
  reader.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");  // and it stays failed
  EXPECT_EQ(reader.next(request), Status::failed);
}

TEST(RequestReader, TooLargeHeadIs431) {
  expect_refused("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(17000, 'a') + "\r\n\r\n",
                 431);
  // Without a blank line ever coming, the limit still ends it.
  expect_refused("GET / HTTP/1.1\r\nX-Big: " + std::string(17000, 'a'), 431);
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 101; ++i)
    many += "X-" + std::to_string(i) + ": 1\r\n";
  expect_refused(many + "\r\n", 431);
}

TEST(RequestReader, HeadJustUnderTheLimitIsRead) {
  std::string head = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ";
  head += std::string(16 * 1024 - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(head.size(), 16u * 1024);
  RequestReader reader;
  reader.feed(head);
  HttpRequest request;
  EXPECT_EQ(reader.next(request), Status::complete) << reader.error().message;
}

TEST(RequestReader, BodyOverTheLimitIs413) {
  expect_refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n", 413);
  expect_refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
                 413);
}

TEST(RequestReader, ChunkedBodiesAre411) {
  expect_refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 411);
  expect_refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", 411);
}

TEST(RequestReader, OtherHttpVersionsAre505) {
  expect_refused("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
}

}  // namespace
}  // namespace tether::admin
