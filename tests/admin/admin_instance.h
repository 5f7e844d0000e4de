// A Tether in this process with its admin API, the way lb/main.cpp wires them: Daemon, bind(),
// AdminServer open() and start(), then the control loop on a thread of its own. Requests go
// through tetherctl's HTTP client.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "admin/admin_server.h"
#include "admin/json_reader.h"
#include "tests/integration/harness.h"
#include "tools/ctl/http_client.h"

namespace tether::test {

// `yaml` without an admin section: one listening on 127.0.0.1:0 is appended, with `token_file`
// when not empty.
std::string with_admin(const std::string& yaml, const std::string& token_file = "");

class AdminInstance {
 public:
  // `file` is the configuration's file name: what a reload reads.
  explicit AdminInstance(const std::string& yaml, admin::AdminServer::Options options = {},
                         const std::string& file = "t.yaml");
  ~AdminInstance();  // graceful stop, join, then the admin server and the daemon go

  lb::Daemon& daemon() { return *daemon_; }
  tcp::endpoint frontend(const std::string& name = "web") const;
  tcp::endpoint admin() const { return admin_->endpoint(); }

  // One request on a fresh connection; fails the test if there is no answer.
  ctl::HttpReply request(const std::string& method, const std::string& target,
                         const std::string& body = "", const std::string& token = "");
  // GET `target`, expecting 200 and JSON.
  admin::JsonValue get_json(const std::string& target);
  // POST a state change; the reply as it came.
  ctl::HttpReply set_state(const std::string& server, const std::string& body,
                           const std::string& token = "");

 private:
  std::unique_ptr<lb::Daemon> daemon_;
  std::unique_ptr<admin::AdminServer> admin_;
  std::thread thread_;
};

// JSON of a reply body; fails the test when it is not JSON.
admin::JsonValue json_of(const ctl::HttpReply& reply);

// The server object named `name` in a status document's pool `pool`.
const admin::JsonValue& server_in(const admin::JsonValue& status, const std::string& name,
                                  const std::string& pool = "web");

// What a raw connection received until the peer closed it, or until `limit` passed.
struct Received {
  std::string data;
  bool closed = false;  // the peer closed (EOF or reset) within the limit
};
Received read_until_closed(tcp::socket& socket, std::chrono::milliseconds limit);

}  // namespace tether::test
