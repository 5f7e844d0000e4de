// The report as text, JSON and SVG: the figures appear exactly, escaped where they must be.
#include <gtest/gtest.h>

#include <string>

#include "tools/probe/render.h"

namespace tether::probe {
namespace {

// A report as the Tally would make it: 4 clients on a (2), b (1), c (1), a fail of b that moved
// one client as required and one needlessly.
Report sample_report() {
  Report r;
  r.run.target = "127.0.0.1:8443";
  r.run.cookie = "MS-WSMAN";
  r.run.clients_planned = 4;
  r.run.requests_per_client = 4;
  r.run.concurrency = 64;
  r.run.duration_s = 1.5;
  r.scenario = {Scenario::fail, "b", true, "POST http://127.0.0.1:9000/servers/b/fail -> 200"};
  r.clients = 4;
  r.clients_single_server = 2;
  r.sessions_lost = 1;
  r.requests = 16;
  r.answered = 15;
  r.errors.connect = 1;
  r.statuses = {{200, 14}, {440, 1}};
  r.servers = {{"a", 2, 7, 2, true}, {"b", 1, 4, 0, true}, {"c", 1, 4, 2, true}};
  r.distribution_servers = 3;
  r.mean_clients = 4.0 / 3.0;
  r.max_over_mean = 1.5;
  r.cov = 0.35355339;
  r.latency = {15, 0.5, 1.25, 2.125, 3};
  r.moves = {1, 1, 0, 0, 0, 4};
  return r;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ProbeRenderJson, CarriesTheContractFieldsWithExactValues) {
  const auto json = render_json(sample_report());
  for (const char* field :
       {"\"clients\": 4,", "\"clients_single_server\": 2,", "\"sessions_lost\": 1,",
        "\"servers\": {\n    \"a\": 2,\n    \"b\": 1,\n    \"c\": 1\n  },",
        "\"max_over_mean\": 1.5000,", "\"cov\": 0.3536,",
        "\"latency_ms\": {\n    \"p50\": 0.500,\n    \"p90\": 1.250,\n    \"p99\": 2.125,",
        "\"errors\": 1,", "\"requests\": 16,", "\"duration_s\": 1.500,", "\"cookie\": \"MS-WSMAN\"",
        "\"statuses\": {\n    \"200\": 14,\n    \"440\": 1\n  }", "\"kind\": \"fail\"",
        "\"moves\": {\n    \"required\": 1,\n    \"needless\": 1,"}) {
    EXPECT_TRUE(contains(json, field)) << field << "\nin\n" << json;
  }
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.substr(json.size() - 2), "}\n");
}

TEST(ProbeRenderJson, NoScenarioMeansNullAndZeroMoves) {
  auto r = sample_report();
  r.scenario = {};
  r.moves = {};
  r.run.cookie.clear();
  const auto json = render_json(r);
  EXPECT_TRUE(contains(json, "\"scenario\": null,"));
  EXPECT_TRUE(contains(json, "\"cookie\": null,"));
  EXPECT_TRUE(contains(json, "\"moves\": {\n    \"required\": 0,\n    \"needless\": 0,"));
}

TEST(ProbeRenderJson, EscapesNames) {
  auto r = sample_report();
  r.servers[0].name = "a\"b\\c\n";
  EXPECT_TRUE(contains(render_json(r), "\"a\\\"b\\\\c\\n\": 2"));
}

TEST(ProbeRenderTable, SummaryLinesAndOneRowPerServer) {
  const auto table = render_table(sample_report());
  EXPECT_TRUE(contains(table, "stayed on one server   2 of 4 (50.0%)\n")) << table;
  EXPECT_TRUE(contains(table, "sessions lost          1\n"));
  EXPECT_TRUE(contains(table, "p50 0.500  p90 1.250  p99 2.125"));
  EXPECT_TRUE(contains(table, "moves                  required 1, needless 1"));
  EXPECT_TRUE(contains(table, "\na             2   50.0%         7      2\n")) << table;
  EXPECT_TRUE(contains(table, "max/mean 1.500  cov 0.354  (3 servers, mean 1.3 clients)"));
}

TEST(ProbeRenderTable, AddShowsTheMovesToTheAddedServerAsPartOfTheNeedless) {
  auto r = sample_report();
  r.scenario = {Scenario::add, "c", true, "hook"};
  r.moves = {0, 3, 2, 0, 0, 4};
  EXPECT_TRUE(contains(render_table(r),
                       "moves                  required 0, needless 3 (2 to the added server)"))
      << render_table(r);
  EXPECT_TRUE(contains(render_svg(r), "<title>to added: 2 clients (of the 3 needless)</title>"));
}

// No answer named its server. When all of them were the load balancer's own errors (no server
// up: 503; a head too large: 431) the header is not the problem: say what came back. The
// --server-header advice is for successful answers that lacked the header.
TEST(ProbeRenderWarning, NamesWhatCameBackAndAdvisesTheHeaderOnlyForSuccessfulAnswers) {
  Report r;
  r.answered = r.unattributed = 42;
  r.statuses = {{431, 2}, {503, 40}};
  EXPECT_EQ(attribution_warning(r, "X-Tether-Server"),
            "no response was successful or carried X-Tether-Server: 431 x 2, 503 x 40");
  r.statuses = {{200, 40}, {503, 2}};
  EXPECT_EQ(attribution_warning(r, "X-Backend"),
            "no response carried X-Backend, so no server could be told apart (200 x 40, 503 x "
            "2); name the servers' identity header with --server-header");
  r.unattributed = 41;  // one answer named its server
  EXPECT_EQ(attribution_warning(r, "X-Backend"), "");
  EXPECT_EQ(attribution_warning(Report{}, "X-Backend"), "");  // nothing answered
}

TEST(ProbeRenderSvg, SelfContainedBarsMeanAndMoves) {
  const auto svg = render_svg(sample_report());
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_FALSE(contains(svg, "href"));  // nothing external
  EXPECT_TRUE(contains(svg, "<title>a: 2 clients (home), 7 requests</title>"));
  EXPECT_TRUE(contains(svg, "<title>c: 2 clients after fail</title>"));
  EXPECT_TRUE(contains(svg, ">mean 1.3 clients</text>"));
  EXPECT_TRUE(contains(svg, "<title>required: 1 clients</title>"));
  EXPECT_TRUE(contains(svg, "<title>needless: 1 clients</title>"));
}

TEST(ProbeRenderSvg, EscapesServerNames) {
  auto r = sample_report();
  r.servers[0].name = "<fe&01>";
  const auto svg = render_svg(r);
  EXPECT_TRUE(contains(svg, "&lt;fe&amp;01&gt;"));
  EXPECT_FALSE(contains(svg, "<fe&01>"));
}

}  // namespace
}  // namespace tether::probe
