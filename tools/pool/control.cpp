#include "tools/pool/control.h"

#include <asio/post.hpp>
#include <optional>

#include "tools/pool/endpoint_text.h"

namespace tether::pool {

using asio::ip::tcp;

namespace {

const HttpConnection::Options control_options{std::chrono::milliseconds(30'000), true};

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char hex[] = "0123456789abcdef";
          out.append("\\u00").push_back(hex[(c >> 4) & 0xf]);
          out.push_back(hex[c & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

std::string error_json(std::string_view message) {
  std::string out = "{\"error\":";
  append_json_string(out, message);
  out.append("}\n");
  return out;
}

void reply(HttpConnection& connection, int status, std::string_view json) {
  auto& response = connection.response();
  response.reset(status);
  response.header("Content-Type", "application/json");
  if (status == 405) response.header("Allow", "GET, POST");
  response.body(json);
  connection.send();
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return segments;
}

std::optional<ServerState> state_for_action(std::string_view action) {
  if (action == "fail") return ServerState::failed;
  if (action == "hang") return ServerState::hung;
  if (action == "recover") return ServerState::up;
  return std::nullopt;
}

}  // namespace

std::string server_json(const PoolServer& server) {
  std::string out = "{\"name\":";
  append_json_string(out, server.name());
  out.append(",\"state\":");
  append_json_string(out, to_string(server.state()));
  out.append(",\"requests_served\":").append(std::to_string(server.requests_served()));
  out.append(",\"sessions_held\":").append(std::to_string(server.sessions_held()));
  if (server.tls()) {
    out.append(",\"tls\":{\"handshakes\":").append(std::to_string(server.tls_handshakes()));
    out.append(",\"resumed\":").append(std::to_string(server.tls_resumed())).push_back('}');
  } else {
    out.append(",\"tls\":null");
  }
  auto append_endpoints = [&](std::string_view key, const std::vector<tcp::endpoint>& endpoints) {
    out.append(",\"").append(key).append("\":[");
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_json_string(out, to_string(endpoints[i]));
    }
    out.push_back(']');
  };
  append_endpoints("http", server.http_endpoints());
  append_endpoints("check", server.check_endpoints());
  out.push_back('}');
  return out;
}

Control::Control(asio::io_context& io, const std::vector<std::unique_ptr<PoolServer>>& servers)
    : servers_(servers), listener_(io, [this](tcp::socket socket) {
        std::make_shared<HttpConnection>(std::move(socket), *this, control_options)->start();
      }) {}

bool Control::listen(const tcp::endpoint& endpoint, std::string& error) {
  if (auto ec = listener_.open(endpoint, false)) {
    error = "control: cannot listen on " + to_string(endpoint) + ": " + ec.message();
    return false;
  }
  endpoint_ = listener_.local_endpoint();
  return true;
}

PoolServer* Control::find(std::string_view name) const {
  for (const auto& server : servers_) {
    if (server->name() == name) return server.get();
  }
  return nullptr;
}

void Control::on_request(HttpConnection& connection, const HttpConnection::Request& request) {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  const auto segments = split_path(path);
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";

  if (segments.empty() || segments[0] != "servers" || segments.size() > 4) {
    reply(connection, 404, error_json("no such endpoint: " + std::string(path)));
    return;
  }
  if (segments.size() == 1) {
    if (!get) return reply(connection, 405, error_json("use GET"));
    std::string out = "[";
    for (std::size_t i = 0; i < servers_.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(server_json(*servers_[i]));
    }
    out.append("]\n");
    return reply(connection, 200, out);
  }

  PoolServer* server = find(segments[1]);
  const bool clear_sessions =
      segments.size() == 4 && segments[2] == "sessions" && segments[3] == "clear";
  const auto state = segments.size() == 3 ? state_for_action(segments[2]) : std::nullopt;
  if (segments.size() > 2 && !state && !clear_sessions) {
    return reply(connection, 404, error_json("no such endpoint: " + std::string(path)));
  }
  if (!server) {
    return reply(connection, 404, error_json("no server named " + std::string(segments[1])));
  }
  if (segments.size() == 2) {
    if (!get) return reply(connection, 405, error_json("use GET"));
    return reply(connection, 200, server_json(*server) + "\n");
  }
  if (!post) return reply(connection, 405, error_json("use POST"));
  if (clear_sessions) {
    server->clear_sessions();
    return reply(connection, 200, server_json(*server) + "\n");
  }
  // Answer once every io_context has applied the change, so a client that connects right after
  // the 200 already sees the new behaviour.
  server->set_state(*state, [self = connection.shared_from_this(), server](std::error_code ec) {
    asio::post(self->executor(), [self, server, ec] {
      if (ec) {
        reply(*self, 500,
              error_json(server->name() + ": cannot listen on its ports again: " + ec.message()));
      } else {
        reply(*self, 200, server_json(*server) + "\n");
      }
    });
  });
}

}  // namespace tether::pool
