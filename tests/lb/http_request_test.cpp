#include <gtest/gtest.h>

#include <string>

#include "lb/http/message.h"

namespace tether::lb::http {
namespace {

RequestHead parsed(std::string_view data) {
  RequestHead head;
  ParseError error;
  EXPECT_EQ(parse_request(data, head, error), Parse::complete) << error.reason << "\n" << data;
  return head;
}

// The status the request is refused with (0 if it is not refused).
unsigned refusal(std::string_view data) {
  RequestHead head;
  ParseError error;
  return parse_request(data, head, error) == Parse::error ? error.status : 0;
}

std::string get_with(std::string_view fields) {
  return "GET / HTTP/1.1\r\nHost: a\r\n" + std::string(fields) + "\r\n";
}

std::string post_with(std::string_view fields) {
  return "POST /upload HTTP/1.1\r\nHost: a\r\n" + std::string(fields) + "\r\n";
}

TEST(HttpRequest, SimpleGetIsComplete) {
  const std::string data =
      "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
  const RequestHead head = parsed(data);
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/index.html?q=1");
  EXPECT_EQ(head.version, Version::http11);
  ASSERT_EQ(head.headers.size(), 2u);
  EXPECT_EQ(head.headers[0].name, "Host");
  EXPECT_EQ(head.headers[0].value, "example.com");
  EXPECT_EQ(head.body, BodyKind::none);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_FALSE(head.expect_continue);
  EXPECT_FALSE(head.upgrade);
  EXPECT_EQ(head.size, data.size());
}

TEST(HttpRequest, HeaderValuesAreTrimmedAndKeepTheirOrder) {
  const std::string data = get_with("X-A: \t one two \t\r\nx-b:\r\nX-A: three\r\n");
  const RequestHead head = parsed(data);  // views into `data`
  ASSERT_EQ(head.headers.size(), 4u);
  EXPECT_EQ(head.headers[1].value, "one two");
  EXPECT_EQ(head.headers[2].name, "x-b");
  EXPECT_EQ(head.headers[2].value, "");
  EXPECT_EQ(header_value(head.headers, "x-a"), "one two");
  EXPECT_EQ(header_value(head.headers, "absent"), "");
}

TEST(HttpRequest, PostWithContentLengthHasALengthBody) {
  const RequestHead head = parsed(post_with("Content-Length: 42\r\n"));
  EXPECT_EQ(head.body, BodyKind::length);
  EXPECT_EQ(head.content_length, 42u);
}

TEST(HttpRequest, ZeroContentLengthMeansNoBody) {
  EXPECT_EQ(parsed(post_with("Content-Length: 0\r\n")).body, BodyKind::none);
}

TEST(HttpRequest, RepeatedEqualContentLengthsAreOneLength) {
  EXPECT_EQ(parsed(post_with("Content-Length: 7\r\nContent-Length: 007\r\n")).content_length, 7u);
  EXPECT_EQ(parsed(post_with("Content-Length: 7, 7\r\n")).content_length, 7u);
}

TEST(HttpRequest, ChunkedPostHasAChunkedBody) {
  EXPECT_EQ(parsed(post_with("Transfer-Encoding: chunked\r\n")).body, BodyKind::chunked);
  EXPECT_EQ(parsed(post_with("Transfer-Encoding: gzip, CHUNKED\r\n")).body, BodyKind::chunked);
  EXPECT_EQ(parsed(post_with("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")).body,
            BodyKind::chunked);
}

TEST(HttpRequest, PipelinedRequestsAreParsedOneAtATime) {
  const std::string first = post_with("Content-Length: 5\r\n") + "hello";
  const std::string second = "GET /second HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string buffer = first + second;

  const RequestHead head = parsed(buffer);
  EXPECT_EQ(head.target, "/upload");
  const std::size_t next = head.size + head.content_length;
  EXPECT_EQ(next, first.size());
  EXPECT_EQ(parsed(std::string_view(buffer).substr(next)).target, "/second");
}

TEST(HttpRequest, OneEmptyLineBeforeTheRequestIsSkipped) {
  const std::string data = "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const RequestHead head = parsed(data);
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.size, data.size());
  EXPECT_EQ(refusal("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400u);
}

TEST(HttpRequest, ReusedHeadKeepsItsHeaderStorage) {
  RequestHead head;
  ParseError error;
  head.headers.reserve(kMaxHeaders);
  const Header* storage = head.headers.data();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(parse_request(get_with("A: 1\r\nB: 2\r\n"), head, error), Parse::complete);
    EXPECT_EQ(head.headers.size(), 3u);
    EXPECT_EQ(head.headers.data(), storage);
  }
}

TEST(HttpRequest, Http11KeepsAliveUnlessClose) {
  EXPECT_TRUE(parsed(get_with("")).keep_alive);
  EXPECT_FALSE(parsed(get_with("Connection: close\r\n")).keep_alive);
  EXPECT_FALSE(parsed(get_with("Connection: foo, CLOSE\r\n")).keep_alive);
}

TEST(HttpRequest, Http10ClosesUnlessKeepAlive) {
  EXPECT_FALSE(parsed("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(parsed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
  EXPECT_FALSE(parsed("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
  EXPECT_EQ(parsed("GET / HTTP/1.0\r\n\r\n").version, Version::http10);
}

TEST(HttpRequest, ExpectContinueOnlyInHttp11) {
  EXPECT_TRUE(parsed(post_with("Content-Length: 3\r\nExpect: 100-Continue\r\n")).expect_continue);
  EXPECT_FALSE(parsed("POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
                   .expect_continue);
}

TEST(HttpRequest, UpgradeNeedsTheConnectionTokenAndAnUpgradeField) {
  EXPECT_TRUE(
      parsed(get_with("Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n")).upgrade);
  EXPECT_FALSE(parsed(get_with("Upgrade: websocket\r\n")).upgrade);
  EXPECT_FALSE(parsed(get_with("Connection: upgrade\r\n")).upgrade);
  EXPECT_FALSE(
      parsed("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n").upgrade);
}

TEST(HttpRequest, TargetFormsFollowTheMethod) {
  EXPECT_EQ(parsed("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").target, "*");
  EXPECT_EQ(parsed("GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n").target, "http://a/x");
  EXPECT_EQ(refusal("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400u);
  EXPECT_EQ(refusal("GET index.html HTTP/1.1\r\nHost: a\r\n\r\n"), 400u);
  // A fragment never travels (RFC 9112 §3.2): neither in origin-form nor in absolute-form.
  EXPECT_EQ(refusal("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n"), 400u);
  EXPECT_EQ(refusal("GET http://a/x#frag HTTP/1.1\r\nHost: a\r\n\r\n"), 400u);
}

TEST(HttpRequest, ConnectIsNotImplementedByAReverseProxy) {
  // Accepted, it would be answered with the server's 200 and no tunnel behind it.
  EXPECT_EQ(refusal("CONNECT pool.contoso.net:443 HTTP/1.1\r\nHost: pool.contoso.net:443\r\n\r\n"),
            501u);
  EXPECT_EQ(refusal("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n"), 501u);
}

TEST(HttpRequest, AHigherMinorVersionOfHttp1IsServedAsHttp11) {
  // RFC 9110 §2.5; HAProxy does the same. HTTP/2.0 and above are another protocol (505).
  EXPECT_EQ(parsed("GET / HTTP/1.2\r\nHost: a\r\n\r\n").version, Version::http11);
  EXPECT_EQ(parsed("GET / HTTP/1.9\r\nHost: a\r\n\r\n").version, Version::http11);
  EXPECT_EQ(refusal("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505u);
}

TEST(HttpRequest, Http10NeedsNoHost) {
  EXPECT_EQ(parsed("GET / HTTP/1.0\r\n\r\n").method, "GET");
}

TEST(HttpRequest, EveryPrefixIsIncomplete) {
  const std::string data = post_with("Content-Length: 5\r\n");
  for (std::size_t n = 0; n < data.size(); ++n) {
    RequestHead head;
    ParseError error;
    EXPECT_EQ(parse_request(std::string_view(data).substr(0, n), head, error), Parse::incomplete)
        << n;
  }
}

TEST(HttpRequest, HeadOf64KiBIsAccepted) {
  std::string data = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ";
  data += std::string(kMaxHeadSize - data.size() - 4, 'x') + "\r\n\r\n";
  ASSERT_EQ(data.size(), kMaxHeadSize);
  EXPECT_EQ(parsed(data).size, kMaxHeadSize);
}

TEST(HttpRequest, HeadOver64KiBIs431) {
  std::string data = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ";
  data += std::string(kMaxHeadSize - data.size() - 3, 'x') + "\r\n\r\n";
  EXPECT_EQ(refusal(data), 431u);
  // No end in sight after 64 KiB: refused without waiting for more.
  EXPECT_EQ(refusal(std::string_view(data).substr(0, kMaxHeadSize)), 431u);
}

TEST(HttpRequest, MoreThanMaxHeadersIs431) {
  std::string fields;
  for (std::size_t i = 1; i < kMaxHeaders; ++i)
    fields += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parsed(get_with(fields)).headers.size(), kMaxHeaders);
  EXPECT_EQ(refusal(get_with(fields + "X-Last: v\r\n")), 431u);
}

struct Rejection {
  const char* scenario;
  std::string request;
  unsigned status;
};

class HttpRequestRejection : public testing::TestWithParam<Rejection> {};

TEST_P(HttpRequestRejection, IsRefusedWithItsStatus) {
  EXPECT_EQ(refusal(GetParam().request), GetParam().status) << GetParam().request;
}

INSTANTIATE_TEST_SUITE_P(
    Strictness, HttpRequestRejection,
    testing::Values(
        // Request line.
        Rejection{"MethodWithSeparator", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Rejection{"EmptyMethod", " / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Rejection{"DoubleSpace", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Rejection{"SpaceInTarget", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Rejection{"ControlInTarget", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Rejection{"TabInTarget", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Rejection{"Http09", "GET /\r\n\r\n", 400},
        Rejection{"LowercaseVersion", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
        Rejection{"VersionWithoutMinor", "GET / HTTP/1\r\nHost: a\r\n\r\n", 400},
        Rejection{"TrailingSpaceAfterVersion", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
        Rejection{"Http20Preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
        // Line structure.
        Rejection{"BareLfLines", "GET / HTTP/1.1\nHost: a\n\n", 400},
        Rejection{"BareLfInHeaders", "GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n", 400},
        Rejection{"BareCrInValue", get_with("X: a\rb\r\n"), 400},
        Rejection{"ObsFold", get_with("X: a\r\n b\r\n"), 400},
        Rejection{"WhitespaceBeforeFirstField", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},
        Rejection{"WhitespaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
        Rejection{"SpaceInName", get_with("Bad Name: x\r\n"), 400},
        Rejection{"EmptyName", get_with(": x\r\n"), 400},
        Rejection{"NoColon", get_with("Justaname\r\n"), 400},
        Rejection{"NulInValue", get_with(std::string("X: a\0b\r\n", 8)), 400},
        Rejection{"DelInValue", get_with("X: a\x7f\r\n"), 400},
        // Content-Length.
        Rejection{"SignedLength", post_with("Content-Length: +5\r\n"), 400},
        Rejection{"NegativeLength", post_with("Content-Length: -1\r\n"), 400},
        Rejection{"HexLength", post_with("Content-Length: 0x10\r\n"), 400},
        Rejection{"SpaceInsideLength", post_with("Content-Length: 5 5\r\n"), 400},
        Rejection{"EmptyLength", post_with("Content-Length:\r\n"), 400},
        Rejection{"EmptyListElement", post_with("Content-Length: 5,\r\n"), 400},
        Rejection{"ConflictingList", post_with("Content-Length: 1, 2\r\n"), 400},
        Rejection{"ConflictingFields", post_with("Content-Length: 1\r\nContent-Length: 2\r\n"),
                  400},
        Rejection{"HugeLength", post_with("Content-Length: 99999999999999999999999\r\n"), 400},
        Rejection{"JustOver2To53", post_with("Content-Length: 9007199254740993\r\n"), 400},
        // Transfer-Encoding.
        Rejection{"BothLengthAndChunked",
                  post_with("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400},
        Rejection{"ChunkedNotLast", post_with("Transfer-Encoding: chunked, gzip\r\n"), 400},
        Rejection{"OnlyGzip", post_with("Transfer-Encoding: gzip\r\n"), 400},
        Rejection{"ChunkedTwice", post_with("Transfer-Encoding: chunked, chunked\r\n"), 400},
        Rejection{"ChunkedTwiceAcrossFields",
                  post_with("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip, chunked\r\n"),
                  400},
        Rejection{"EmptyCoding", post_with("Transfer-Encoding: , chunked\r\n"), 400},
        Rejection{"ChunkedWithParameter", post_with("Transfer-Encoding: chunked;x=1\r\n"), 400},
        Rejection{"UnknownCoding", post_with("Transfer-Encoding: foo, chunked\r\n"), 501},
        Rejection{"OnlyUnknownCoding", post_with("Transfer-Encoding: identity\r\n"), 501},
        Rejection{"ChunkedInHttp10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        // Host.
        Rejection{"Http11WithoutHost", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400},
        Rejection{"TwoHosts", get_with("Host: b\r\n"), 400},
        Rejection{"TwoHostsInHttp10", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400}),
    [](const testing::TestParamInfo<Rejection>& info) { return info.param.scenario; });

TEST(HttpHeaderFields, TheFieldsAConnectionHeaderNamesAreThisHops) {
  // The head's views point into the text: it must outlive them.
  const std::string text =
      get_with("Connection: keep-alive, X-Hop ,, HTTP2-Settings\r\nconnection: TE\r\nX-Hop: 1\r\n");
  const RequestHead head = parsed(text);
  const ConnectionOptions hop(head.headers);
  for (const char* name : {"X-Hop", "x-hop", "HTTP2-Settings", "te"})
    EXPECT_TRUE(hop.names(name)) << name;
  // close and keep-alive are options, not field names; nothing else is named.
  for (const char* name : {"keep-alive", "Host", "Cookie", "X-Hop2", ""})
    EXPECT_FALSE(hop.names(name)) << name;
}

}  // namespace
}  // namespace tether::lb::http
