// FaultTest in http mode: the "web" frontend's healthy server is an HttpBackend, and a client of
// it must be served whatever the faulty one does.
#pragma once

#include "tests/integration/fault_fixture.h"
#include "tests/integration/http_backend.h"

namespace tether::test {

class HttpFaultTest : public FaultTest {
 protected:
  HttpFaultTest() : FaultTest("http") {}
  std::string healthy_address() const override { return healthy.address(); }

  void expect_others_served() {
    HttpClient client(tether->endpoint("web"), "127.0.0.2");
    const auto r = client.get("/status/200");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "ok");
  }

  unsigned responses(unsigned status) { return frontend().http_responses[status].load(); }

  HttpBackend healthy{"good"};
};

}  // namespace tether::test
