#include <gtest/gtest.h>

#include <string>

#include "lb/http/message.h"

namespace tether::lb::http {
namespace {

ResponseHead parsed(std::string_view data, std::string_view method = "GET") {
  ResponseHead head;
  ParseError error;
  EXPECT_EQ(parse_response(data, method, head, error), Parse::complete) << error.reason << "\n"
                                                                        << data;
  return head;
}

bool refused(std::string_view data, std::string_view method = "GET") {
  ResponseHead head;
  ParseError error;
  if (parse_response(data, method, head, error) != Parse::error) return false;
  EXPECT_EQ(error.status, 502u);
  return true;
}

std::string ok_with(std::string_view fields) {
  return "HTTP/1.1 200 OK\r\n" + std::string(fields) + "\r\n";
}

TEST(HttpResponse, OkWithContentLengthHasALengthBody) {
  const std::string data = ok_with("Content-Length: 12\r\nServer: fe01\r\n");
  const ResponseHead head = parsed(data);
  EXPECT_EQ(head.version, Version::http11);
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.reason, "OK");
  EXPECT_EQ(head.body, BodyKind::length);
  EXPECT_EQ(head.content_length, 12u);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(header_value(head.headers, "server"), "fe01");
  EXPECT_EQ(head.size, data.size());
}

TEST(HttpResponse, HeadResponseHasNoBodyWhateverItsLength) {
  EXPECT_EQ(parsed(ok_with("Content-Length: 12\r\n"), "HEAD").body, BodyKind::none);
  EXPECT_EQ(parsed(ok_with("Transfer-Encoding: chunked\r\n"), "HEAD").body, BodyKind::none);
}

TEST(HttpResponse, NoContentAndNotModifiedHaveNoBody) {
  EXPECT_EQ(parsed("HTTP/1.1 204 No Content\r\n\r\n").body, BodyKind::none);
  const ResponseHead not_modified =
      parsed("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n");
  EXPECT_EQ(not_modified.body, BodyKind::none);
  EXPECT_TRUE(not_modified.keep_alive);
}

TEST(HttpResponse, InterimResponseIsItsOwnHeadBeforeTheFinalOne) {
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string final_head = ok_with("Content-Length: 0\r\n");
  const std::string buffer = interim + final_head;
  const ResponseHead first = parsed(buffer);
  EXPECT_EQ(first.status, 100u);
  EXPECT_EQ(first.body, BodyKind::none);
  EXPECT_EQ(first.size, interim.size());
  EXPECT_EQ(parsed(std::string_view(buffer).substr(first.size)).status, 200u);
  EXPECT_EQ(parsed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n").body,
            BodyKind::none);
}

TEST(HttpResponse, WithoutLengthTheBodyRunsUntilClose) {
  const ResponseHead head = parsed(ok_with("Content-Type: text/plain\r\n"));
  EXPECT_EQ(head.body, BodyKind::until_close);
  EXPECT_FALSE(head.keep_alive);
}

TEST(HttpResponse, ChunkedResponseIsChunked) {
  EXPECT_EQ(parsed(ok_with("Transfer-Encoding: gzip, chunked\r\n")).body, BodyKind::chunked);
}

TEST(HttpResponse, CodingOtherThanChunkedLastRunsUntilClose) {
  const ResponseHead head = parsed(ok_with("Transfer-Encoding: chunked, br\r\n"));
  EXPECT_EQ(head.body, BodyKind::until_close);
  EXPECT_FALSE(head.keep_alive);
}

TEST(HttpResponse, ConnectSuccessBecomesATunnel) {
  const ResponseHead head = parsed("HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT");
  EXPECT_EQ(head.body, BodyKind::until_close);
  EXPECT_EQ(parsed(ok_with("Content-Length: 3\r\n"), "CONNECT").body, BodyKind::until_close);
  EXPECT_EQ(parsed("HTTP/1.1 407 Auth\r\nContent-Length: 3\r\n\r\n", "CONNECT").body,
            BodyKind::length);
}

TEST(HttpResponse, KeepAliveFollowsVersionAndConnection) {
  EXPECT_FALSE(parsed(ok_with("Content-Length: 1\r\nConnection: close\r\n")).keep_alive);
  EXPECT_FALSE(parsed("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n").keep_alive);
  EXPECT_TRUE(
      parsed("HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n").keep_alive);
}

TEST(HttpResponse, ReasonMayBeEmptyOrMissing) {
  EXPECT_EQ(parsed("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n").reason, "");
  EXPECT_EQ(parsed("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n").status, 404u);
  EXPECT_EQ(parsed("HTTP/1.1 503 Service  Unavailable \r\n\r\n").reason, "Service  Unavailable ");
}

TEST(HttpResponse, EveryPrefixIsIncomplete) {
  const std::string data = ok_with("Content-Length: 1\r\n");
  for (std::size_t n = 0; n < data.size(); ++n) {
    ResponseHead head;
    ParseError error;
    EXPECT_EQ(parse_response(std::string_view(data).substr(0, n), "GET", head, error),
              Parse::incomplete);
  }
}

TEST(HttpResponse, MalformedResponsesAre502) {
  EXPECT_TRUE(refused(ok_with("Content-Length: 1\r\nTransfer-Encoding: chunked\r\n")));
  EXPECT_TRUE(refused(ok_with("Content-Length: 1\r\nContent-Length: 2\r\n")));
  EXPECT_TRUE(refused(ok_with("Content-Length: -1\r\n")));
  EXPECT_TRUE(refused("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  EXPECT_TRUE(refused("HTTP/2.0 200 OK\r\n\r\n"));
  EXPECT_TRUE(refused("HTTP/1.1 20 OK\r\n\r\n"));
  EXPECT_TRUE(refused("HTTP/1.1 2000 OK\r\n\r\n"));
  EXPECT_TRUE(refused("HTTP/1.1 600 Odd\r\n\r\n"));
  EXPECT_TRUE(refused("HTTP/1.1  200 OK\r\n\r\n"));
  EXPECT_TRUE(refused("HTTP/1.1 200OK\r\n\r\n"));
  EXPECT_TRUE(refused("HTTP/1.1 200 O\x01K\r\n\r\n"));
  EXPECT_TRUE(refused("ICY 200 OK\r\n\r\n"));
  EXPECT_TRUE(refused("HTTP/1.1 200 OK\nContent-Length: 1\n\n"));
  EXPECT_TRUE(refused(ok_with("X: a\r\n folded\r\n")));
  EXPECT_TRUE(refused(ok_with("X : a\r\n")));
  EXPECT_TRUE(refused(std::string(kMaxHeadSize, 'x')));
}

}  // namespace
}  // namespace tether::lb::http
