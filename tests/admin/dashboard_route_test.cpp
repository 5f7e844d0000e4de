// GET / answers the dashboard page, self-contained; the status tells it whether to ask for a
// token. (The page's behaviour in a browser: dashboard_browser_test.py.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "tests/admin/admin_instance.h"
#include "tests/integration/http_backend.h"

namespace tether::test {
namespace {

class DashboardRoute : public ::testing::Test {
 protected:
  std::vector<std::unique_ptr<EchoServer>> servers = echo_pool(1);
};

TEST_F(DashboardRoute, RootIsOneHtmlPageWithNoExternalAssets) {
  AdminInstance tether(with_admin(single_pool_yaml(servers)));
  HttpClient client(tether.admin());
  const HttpReply reply = client.get("/");
  ASSERT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(reply.body.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(reply.body.find("/api/v1/status"), std::string::npos);
  // No src= or href= attribute, no url(...) in the styles, no absolute URL anywhere.
  std::string lower = reply.body;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* needle : {" src=", " href=", "url(", "http://", "https://", "@import"})
    EXPECT_EQ(lower.find(needle), std::string::npos) << needle;
}

TEST_F(DashboardRoute, OnlyGetAndHeadAreAllowed) {
  AdminInstance tether(with_admin(single_pool_yaml(servers)));
  EXPECT_EQ(tether.request("POST", "/").status, 405);
  EXPECT_EQ(tether.request("POST", "/metrics").status, 405);
  HttpClient client(tether.admin());
  client.send("HEAD / HTTP/1.1\r\nHost: admin\r\n\r\n");
  const HttpReply head = client.read(true);
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_TRUE(head.body.empty());
}

TEST_F(DashboardRoute, StatusSaysWhetherATokenIsRequired) {
  {
    AdminInstance open(with_admin(single_pool_yaml(servers)));
    EXPECT_EQ(open.get_json("/api/v1/status")["token_required"].as_bool(), false);
  }
  AdminInstance guarded(with_admin(single_pool_yaml(servers),
                                   write_temp_file("dashboard_route_token", "s3cret-token\n")));
  EXPECT_EQ(guarded.get_json("/api/v1/status")["token_required"].as_bool(), true);
}

}  // namespace
}  // namespace tether::test
