// tetherctl's pure parts: reading an HTTP reply, and the text it prints for the API's answers.
#include <gtest/gtest.h>

#include "tools/ctl/http_client.h"
#include "tools/ctl/output.h"

namespace tether::ctl {
namespace {

using namespace std::chrono_literals;

admin::JsonValue json(std::string_view text) {
  auto parsed = admin::parse_json(text);
  EXPECT_TRUE(parsed.ok()) << parsed.error;
  return parsed.ok() ? *parsed.value : admin::JsonValue();
}

const auto kNow = *parse_rfc3339("2026-11-22T04:35:10Z");

TEST(CtlReply, ReadsStatusAndBodyByContentLength) {
  const auto reply = parse_reply(
      "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\ncontent-length: 7\r\n\r\n"
      "{\"a\":1}trailing");
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_EQ(reply.value->status, 404);
  EXPECT_EQ(reply.value->body, "{\"a\":1}");
  EXPECT_EQ(parse_reply("HTTP/1.0 200 OK\r\n\r\nuntil close").value->body, "until close");
}

TEST(CtlReply, RefusesWhatIsNotHttp) {
  for (const char* bad :
       {"", "SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "HTTP/1.1 200 OK\r\n"})
    EXPECT_FALSE(parse_reply(bad).ok()) << bad;
}

TEST(CtlText, PercentEncodesAllButUnreserved) {
  EXPECT_EQ(percent_encode("fe01.web-int_443~"), "fe01.web-int_443~");
  EXPECT_EQ(percent_encode("2001:db8::1"), "2001%3Adb8%3A%3A1");
  EXPECT_EQ(percent_encode("a/b c"), "a%2Fb%20c");
}

TEST(CtlText, TimesAndAges) {
  EXPECT_EQ(parse_rfc3339("2026-11-22T04:35:03Z"), kNow - 7s);
  EXPECT_FALSE(parse_rfc3339("2026-11-22 04:35:03").has_value());
  EXPECT_FALSE(parse_rfc3339("yesterday").has_value());
  EXPECT_EQ(format_age(0s), "0s");
  EXPECT_EQ(format_age(59s), "59s");
  EXPECT_EQ(format_age(185s), "3m05s");
  EXPECT_EQ(format_age(2h + 7min), "2h07m");
  EXPECT_EQ(format_age(76h), "3d04h");
}

constexpr const char* kStatus = R"({
  "version": "0.1.0", "uptime_s": 12,
  "frontends": [{"name": "web-int-443", "listen": ["127.0.0.1:8443"], "mode": "tcp",
                 "pool": "int-443", "active": 3, "accepted": 120}],
  "pools": [{"name": "int-443", "stick_entries": 57,
    "breaks": {"server_down": 0, "server_maint": 2, "drain_deadline": 0, "expired": 1,
               "evicted": 0, "cookie_invalid": 0, "removed": 0},
    "decisions": {"stick": 90, "hash": 30, "cookie": 0, "fallback": 0, "none": 0},
    "servers": [
      {"name": "fe01", "address": "127.0.10.1:10443", "weight": 1, "admin_state": "ready",
       "health": "up", "active": 1, "total": 40, "bytes_in": 1, "bytes_out": 2, "pinned": 19,
       "drain_deadline": null,
       "last_check": {"ok": true, "detail": "connected in 0.2ms", "at": "2026-11-22T04:35:08Z"}},
      {"name": "fe02", "address": "127.0.10.2:10443", "weight": 1, "admin_state": "drain",
       "health": "down", "active": 0, "total": 7, "bytes_in": 1, "bytes_out": 2, "pinned": 3,
       "drain_deadline": "2026-11-22T04:45:10Z",
       "last_check": {"ok": false, "detail": "connection refused", "at": "2026-11-22T04:35:09Z"}},
      {"name": "fe03", "address": "127.0.10.3:10443", "weight": 2, "admin_state": "maint",
       "health": "up", "active": 0, "total": 0, "bytes_in": 0, "bytes_out": 0, "pinned": 0,
       "drain_deadline": null, "last_check": null}
    ]}]
})";

TEST(CtlStatus, PrintsATableOfServers) {
  EXPECT_EQ(render_status(json(kStatus), kNow),
            R"(frontend web-int-443 127.0.0.1:8443 tcp -> pool int-443: 3 active, 120 accepted

POOL     SERVER  ADDRESS           HEALTH  STATE                    ACTIVE  TOTAL  PINNED  LAST CHECK
int-443  fe01    127.0.10.1:10443  up      ready                    1       40     19      ok 2s ago
int-443  fe02    127.0.10.2:10443  down    drain (maint in 10m00s)  0       7      3       FAIL 1s ago: connection refused
int-443  fe03    127.0.10.3:10443  up      maint                    0       0      0       -

pool int-443: 57 stick entries, affinity broken: server_maint 2, expired 1
)");
}

TEST(CtlStatus, PrintsAServerAndAnExplanation) {
  const auto status = json(kStatus);
  EXPECT_EQ(render_server("int-443", status["pools"][0]["servers"][1], kNow),
            "int-443/fe02: drain (maint in 10m00s), health down, 0 active, 3 pinned\n");
  EXPECT_EQ(render_explanation(json(R"({"pool": "int-443", "client": "10.1.2.3",
                                        "key": "10.1.2.3/32", "server": "fe02",
                                        "reason": "stick"})")),
            "10.1.2.3 -> fe02 (stick; key 10.1.2.3/32 in pool int-443)\n");
  EXPECT_EQ(render_explanation(json(R"({"pool": "p", "client": "::1", "key": "::/64",
                                        "server": null, "reason": "none"})")),
            "::1 -> no usable server (none; key ::/64 in pool p)\n");
}

TEST(CtlOutput, ReloadAnswers) {
  EXPECT_EQ(render_reload(json(R"({"ok": true, "dry_run": false, "generation": 4,
                                   "moved": {"int-443": 0.1034, "ext-443": 0}})")),
            "reload applied (generation 4); hash space moved: int-443 10.3%, ext-443 0.0%\n");
  EXPECT_EQ(render_reload(json(R"({"ok": true, "dry_run": true, "generation": 1,
                                   "moved": {"web": 1}})")),
            "dry run: valid; hash space that would move: web 100.0%\n");
}

}  // namespace
}  // namespace tether::ctl
