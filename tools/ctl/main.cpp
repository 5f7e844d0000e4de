// tetherctl: the admin API from a shell (SPEC §6, docs/admin-api.md).
//   tetherctl [--admin HOST:PORT] [--token-file F] [--json] status
//   tetherctl drain POOL SERVER [--deadline 10m] | ready POOL SERVER | maint POOL SERVER
//   tetherctl explain POOL CLIENT_ADDR [--cookie VALUE]
//   tetherctl reload [--dry-run]
//   tetherctl --version
// Exit status: 0 success; 1 the API refused (its error message is printed); 2 usage error, or the
// admin API cannot be reached or does not answer like one.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "admin/json_reader.h"
#include "admin/json_writer.h"
#include "config/address.h"
#include "config/duration.h"
#include "tools/ctl/http_client.h"
#include "tools/ctl/output.h"

namespace {

using namespace tether;

constexpr int kExitApiError = 1;
constexpr int kExitUsage = 2;
constexpr const char* kDefaultAdmin = "127.0.0.1:9900";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "tetherctl: %s\n", message.c_str());
  return kExitUsage;
}

std::optional<std::string> read_token(const std::string& path, std::string& error) {
  std::ifstream file(path);
  if (!file) {
    error = "cannot read token file " + path;
    return std::nullopt;
  }
  std::stringstream content;
  content << file.rdbuf();
  std::string token = content.str();
  const auto first = token.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    error = "token file " + path + " is empty";
    return std::nullopt;
  }
  token = token.substr(first, token.find_last_not_of(" \t\r\n") - first + 1);
  return token;
}

struct Command {
  ctl::HttpCall call;
  enum class Shows { status, server, explanation, reload } shows = Shows::status;
  std::string pool;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tetherctl: inspect and steer a running Tether through its admin API"};
  const char* env_admin = std::getenv("TETHER_ADMIN");
  std::string admin = env_admin && *env_admin ? env_admin : kDefaultAdmin;
  std::string token_file;
  std::string timeout_text = "5s";
  bool json = false;
  app.add_option(
      "--admin", admin,
      "admin API address HOST:PORT (default $TETHER_ADMIN or " + std::string(kDefaultAdmin) + ")");
  app.add_option("--token-file", token_file, "file holding the bearer token for changes");
  app.add_option("--timeout", timeout_text, "give up after this long (default 5s)");
  app.add_flag("--json", json, "print the API's JSON answer as it is");
  app.set_version_flag("--version", std::string("tetherctl ") + TETHER_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  std::string pool, server, client, deadline;
  auto* status = app.add_subcommand("status", "pools, servers, health, states and counters");
  const auto add_server_command = [&](const char* name, const char* help) {
    auto* command = app.add_subcommand(name, help);
    command->add_option("POOL", pool, "pool name")->required();
    command->add_option("SERVER", server, "server name")->required();
    return command;
  };
  auto* drain = add_server_command("drain", "take no new clients; keep pinned ones");
  drain->add_option("--deadline", deadline, "then go to maint after this long (e.g. 10m)");
  auto* ready = add_server_command("ready", "take new clients again");
  add_server_command("maint", "take no traffic; pinned clients move on reconnect");
  auto* explain = app.add_subcommand("explain", "which server a client address reaches, and why");
  explain->add_option("POOL", pool, "pool name")->required();
  explain->add_option("CLIENT_ADDR", client, "client IP address")->required();
  std::string cookie;
  explain->add_option("--cookie", cookie, "the affinity cookie's value (cookie affinity)");

  bool dry_run = false;
  auto* reload = app.add_subcommand("reload", "re-read the configuration file, as SIGHUP does");
  reload->add_flag("--dry-run", dry_run, "validate and report what would move; change nothing");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  auto timeout = config::parse_duration(timeout_text);
  if (!timeout.ok() || timeout.value->count() == 0)
    return usage_error("--timeout: " + (timeout.ok() ? "must not be 0" : timeout.error));
  auto address = config::parse_address(admin, config::PortZero::refused);
  if (!address.ok()) return usage_error("--admin: " + address.error);

  Command command;
  if (status->parsed()) {
    command.call.target = "/api/v1/status";
  } else if (explain->parsed()) {
    command.shows = Command::Shows::explanation;
    command.call.target = "/api/v1/pools/" + ctl::percent_encode(pool) +
                          "/affinity?client=" + ctl::percent_encode(client) +
                          (cookie.empty() ? "" : "&cookie=" + ctl::percent_encode(cookie));
  } else if (reload->parsed()) {
    command.shows = Command::Shows::reload;
    command.call.method = "POST";
    command.call.target = dry_run ? "/api/v1/reload?dry_run=1" : "/api/v1/reload";
  } else {
    const char* state = drain->parsed() ? "drain" : ready->parsed() ? "ready" : "maint";
    if (!deadline.empty() && !drain->parsed()) return usage_error("--deadline goes with drain");
    if (!deadline.empty()) {
      if (auto parsed = config::parse_duration(deadline); !parsed.ok())
        return usage_error("--deadline: " + parsed.error);
    }
    command.shows = Command::Shows::server;
    command.pool = pool;
    command.call.method = "POST";
    command.call.target = "/api/v1/pools/" + ctl::percent_encode(pool) + "/servers/" +
                          ctl::percent_encode(server) + "/state";
    admin::JsonWriter body;
    body.begin_object().field("state", state);
    if (!deadline.empty()) body.field("deadline", deadline);
    command.call.body = body.end_object().text();
  }
  if (command.call.method == "POST" && !token_file.empty()) {
    std::string error;
    const auto token = read_token(token_file, error);
    if (!token) return usage_error(error);
    command.call.bearer_token = *token;
  }

  const auto reply = ctl::http_exchange(address.value->endpoint, command.call, *timeout.value);
  if (!reply.ok()) return usage_error(reply.error);
  const bool success = reply.value->status >= 200 && reply.value->status < 300;
  if (json) {
    std::fwrite(reply.value->body.data(), 1, reply.value->body.size(), stdout);
    if (!reply.value->body.empty() && reply.value->body.back() != '\n') std::fputc('\n', stdout);
  }
  const auto parsed = admin::parse_json(reply.value->body);
  if (!success) {
    const admin::JsonValue& message = parsed.ok() ? (*parsed.value)["error"] : admin::JsonValue();
    std::fprintf(stderr, "tetherctl: %s (HTTP %d)\n",
                 message.is_string() ? message.as_string().c_str() : "request refused",
                 reply.value->status);
    return kExitApiError;
  }
  if (json) return 0;
  if (!parsed.ok()) return usage_error("unexpected answer from " + admin + ": " + parsed.error);
  const auto now = std::chrono::system_clock::now();
  std::string out;
  switch (command.shows) {
    case Command::Shows::status:
      out = ctl::render_status(*parsed.value, now);
      break;
    case Command::Shows::server:
      out = ctl::render_server(command.pool, *parsed.value, now);
      break;
    case Command::Shows::explanation:
      out = ctl::render_explanation(*parsed.value);
      break;
    case Command::Shows::reload:
      out = ctl::render_reload(*parsed.value);
      break;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
