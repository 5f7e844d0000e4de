#include "tests/admin/admin_instance.h"

#include <gtest/gtest.h>

#include "config/loader.h"

namespace tether::test {

std::string with_admin(const std::string& yaml, const std::string& token_file) {
  std::string admin = "admin:\n  listen: \"127.0.0.1:0\"\n";
  if (!token_file.empty()) admin += "  token_file: \"" + token_file + "\"\n";
  return yaml + admin;
}

AdminInstance::AdminInstance(const std::string& yaml, admin::AdminServer::Options options,
                             const std::string& file) {
  auto loaded = config::load_string(yaml, file);
  if (!loaded.ok()) {
    std::string all;
    for (const auto& e : loaded.errors)
      all += e + "\n";
    throw std::runtime_error("test config refused:\n" + all + yaml);
  }
  daemon_ = std::make_unique<lb::Daemon>(std::move(*loaded.config));
  if (auto error = daemon_->bind()) throw std::runtime_error(*error);
  if (!daemon_->config().admin) throw std::runtime_error("test config has no admin section");
  admin_ = std::make_unique<admin::AdminServer>(*daemon_, *daemon_->config().admin, options);
  if (auto ec = admin_->open()) throw std::runtime_error("admin: " + ec.message());
  admin_->start();
  thread_ = std::thread([this] { daemon_->run(); });
}

AdminInstance::~AdminInstance() {
  daemon_->shutdown();
  thread_.join();
  admin_.reset();  // the control loop has ended: safe from this thread
  daemon_.reset();
}

tcp::endpoint AdminInstance::frontend(const std::string& name) const {
  return daemon_->listening(name).at(0);
}

ctl::HttpReply AdminInstance::request(const std::string& method, const std::string& target,
                                      const std::string& body, const std::string& token) {
  auto reply = ctl::http_exchange(admin(), {method, target, body, token}, std::chrono::seconds(5));
  EXPECT_TRUE(reply.ok()) << method << " " << target << ": " << reply.error;
  return reply.ok() ? *reply.value : ctl::HttpReply{};
}

admin::JsonValue AdminInstance::get_json(const std::string& target) {
  const auto reply = request("GET", target);
  EXPECT_EQ(reply.status, 200) << target << ": " << reply.body;
  return json_of(reply);
}

ctl::HttpReply AdminInstance::set_state(const std::string& server, const std::string& body,
                                        const std::string& token) {
  return request("POST", "/api/v1/pools/web/servers/" + server + "/state", body, token);
}

admin::JsonValue json_of(const ctl::HttpReply& reply) {
  auto parsed = admin::parse_json(reply.body);
  EXPECT_TRUE(parsed.ok()) << parsed.error << " in: " << reply.body;
  return parsed.ok() ? *parsed.value : admin::JsonValue();
}

Received read_until_closed(tcp::socket& socket, std::chrono::milliseconds limit) {
  auto& context = static_cast<asio::io_context&>(socket.get_executor().context());
  Received received;
  asio::async_read(socket, asio::dynamic_buffer(received.data),
                   [&](std::error_code ec, std::size_t) { received.closed = ec.value() != 0; });
  context.restart();
  context.run_for(limit);
  if (!context.stopped()) {  // still reading: give up, and let the cancelled read finish
    socket.cancel();
    context.run();
    received.closed = false;
  }
  return received;
}

const admin::JsonValue& server_in(const admin::JsonValue& status, const std::string& name,
                                  const std::string& pool) {
  static const admin::JsonValue null;
  for (const auto& p : status["pools"].as_array())
    if (p["name"].as_string() == pool)
      for (const auto& s : p["servers"].as_array())
        if (s["name"].as_string() == name) return s;
  ADD_FAILURE() << "no server " << name << " in pool " << pool;
  return null;
}

}  // namespace tether::test
