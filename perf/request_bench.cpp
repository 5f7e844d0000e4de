// The per-request cost of http mode's decisions: parsing a request head, finding and checking the
// MS-WSMAN cookie (plain XXH64 tokens and HMAC tokens), and stripping it before forwarding.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "lb/cookie_token.h"
#include "lb/http/cookie_header.h"
#include "lb/http/request_head.h"

namespace tether::lb {
namespace {

std::vector<std::string> server_names(int n) {
  std::vector<std::string> names;
  for (int i = 1; i <= n; ++i)
    names.push_back("fe" + std::to_string(i));
  return names;
}

// What a Lync mobile client's request through the reverse proxy looks like, roughly.
std::string lync_request(const std::string& cookie) {
  return "POST /Mcx/McxService.svc/WebTicket_Proof HTTP/1.1\r\n"
         "Host: lyncext.contoso.com\r\n"
         "User-Agent: Microsoft Lync 2010 Mobile (iPhone OS 6.1)\r\n"
         "Content-Type: application/soap+xml; charset=utf-8\r\n"
         "Accept: */*\r\n"
         "Accept-Language: en-us\r\n"
         "X-Forwarded-For: 198.51.100.23\r\n"
         "Cookie: MRASCredential=abc123; MS-WSMAN=" +
         cookie +
         "; other=1\r\n"
         "Content-Length: 1834\r\n"
         "Connection: keep-alive\r\n"
         "\r\n";
}

void ParseRequestHead(benchmark::State& state) {
  const std::string data = lync_request(cookie_token("fe2", 0, ""));
  http::RequestHead head;
  http::ParseError error;
  for (auto _ : state) {
    benchmark::DoNotOptimize(http::parse_request(data, head, error));
    benchmark::DoNotOptimize(head.content_length);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(ParseRequestHead);

// Find the cookie among the parsed headers and map its token to a server (arg: secret or not).
void CookieCheck(benchmark::State& state) {
  const std::string secret = state.range(0) ? "a cookie secret of 32 bytes......" : "";
  const auto names = server_names(12);
  const CookieTokens tokens(names, 0, secret);
  const std::string data = lync_request(tokens.token(7));
  http::RequestHead head;
  http::ParseError error;
  http::parse_request(data, head, error);
  for (auto _ : state) {
    const auto value = http::find_cookie(head.headers, "MS-WSMAN");
    benchmark::DoNotOptimize(tokens.server(*value));
  }
}
BENCHMARK(CookieCheck)->Arg(0)->Arg(1)->ArgName("secret");

void CookieStrip(benchmark::State& state) {
  const std::string value =
      "MRASCredential=abc123; MS-WSMAN=" + cookie_token("fe2", 0, "") + "; other=1";
  for (auto _ : state)
    benchmark::DoNotOptimize(http::remove_cookie(value, "MS-WSMAN"));
}
BENCHMARK(CookieStrip);

}  // namespace
}  // namespace tether::lb
