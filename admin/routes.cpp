#include "admin/routes.h"

#include <algorithm>
#include <optional>

#include "admin/affinity_explain.h"
#include "admin/bearer_token.h"
#include "admin/dashboard.h"
#include "admin/json_reader.h"
#include "admin/json_writer.h"
#include "admin/metrics.h"
#include "admin/metrics_text.h"
#include "admin/request_target.h"
#include "admin/status_json.h"
#include "config/duration.h"

namespace tether::admin {

namespace {

// `allowed` is "GET" (HEAD goes with it) or "POST".
HttpResponse method_not_allowed(std::string_view allowed) {
  HttpResponse response = error_response(405, "method not allowed; use " + std::string(allowed));
  response.headers.emplace_back("Allow", allowed == "GET" ? "GET, HEAD" : std::string(allowed));
  return response;
}

std::optional<lb::AdminState> parse_state(const std::string& text) {
  for (const auto state : {lb::AdminState::ready, lb::AdminState::drain, lb::AdminState::maint})
    if (text == lb::to_string(state)) return state;
  return std::nullopt;
}

// What a state change asks for, from a body like {"state": "drain", "deadline": "10m"}.
struct StateChange {
  lb::AdminState state = lb::AdminState::ready;
  std::optional<config::Duration> deadline;  // drain only; "0" (off) is no deadline
};

config::Parsed<StateChange> parse_state_change(std::string_view body) {
  auto parsed = parse_flat_object(body);
  if (!parsed.ok()) return config::failure(parsed.error);
  const JsonValue& object = *parsed.value;
  for (const auto& [key, value] : object.as_object())
    if (key != "state" && key != "deadline")
      return config::failure("unknown field \"" + key + "\"; expected state and deadline");

  StateChange change;
  const JsonValue* state = object.find("state");
  if (!state) return config::failure("missing \"state\": ready, drain or maint");
  if (!state->is_string()) return config::failure("\"state\" must be a string");
  const auto parsed_state = parse_state(state->as_string());
  if (!parsed_state)
    return config::failure("unknown state \"" + state->as_string() +
                           "\": expected ready, drain or maint");
  change.state = *parsed_state;

  const JsonValue* deadline = object.find("deadline");
  if (deadline && !deadline->is_null()) {
    if (change.state != lb::AdminState::drain)
      return config::failure("\"deadline\" goes with state drain only");
    if (!deadline->is_string())
      return config::failure("\"deadline\" must be a duration string such as \"10m\"");
    auto duration = config::parse_duration(deadline->as_string());
    if (!duration.ok()) return config::failure("bad deadline: " + duration.error);
    if (duration.value->count() > 0) change.deadline = *duration.value;
  }
  return change;
}

// A query parameter the endpoint does not take, or one given twice, is refused rather than
// ignored: `reload?dry-run=1` (a misspelt dry_run) must not apply a real reload, nor a misspelt
// `cookie` explain another request than the one meant. Null when the query is acceptable.
std::optional<HttpResponse> refuse_query(const RequestTarget& target,
                                         std::initializer_list<std::string_view> known) {
  std::string takes;
  for (const std::string_view name : known)
    takes += (takes.empty() ? "" : ", ") + std::string(name);
  for (std::size_t i = 0; i < target.query.size(); ++i) {
    const std::string& name = target.query[i].first;
    if (std::find(known.begin(), known.end(), name) == known.end())
      return error_response(400, "unknown query parameter \"" + name + "\" (this endpoint takes " +
                                     (takes.empty() ? "none" : takes) + ")");
    for (std::size_t j = 0; j < i; ++j)
      if (target.query[j].first == name)
        return error_response(400, "query parameter \"" + name + "\" given twice");
  }
  return std::nullopt;
}

}  // namespace

Routes::Routes(lb::Daemon& daemon) : daemon_(daemon) {}

bool Routes::authorized(const HttpRequest& request) const {
  const auto& admin = daemon_.config().admin;
  return !admin || admin->token.empty() ||
         bearer_matches(request.header("authorization"), admin->token);
}

HttpResponse Routes::handle(const HttpRequest& request) {
  auto target = parse_target(request.target);
  if (!target.ok()) return error_response(400, target.error);
  const auto& path = target.value->segments;
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  const auto is = [&](std::initializer_list<std::string_view> expected) {
    return std::equal(path.begin(), path.end(), expected.begin(), expected.end());
  };
  const bool api = path.size() >= 3 && path[0] == "api" && path[1] == "v1";

  if (is({"healthz"})) return get ? healthz() : method_not_allowed("GET");
  if (is({""})) {
    if (!get) return method_not_allowed("GET");
    return {200, "text/html; charset=utf-8", {}, std::string(dashboard_html())};
  }
  if (is({"metrics"})) {
    if (!get) return method_not_allowed("GET");
    return {200, std::string(kMetricsContentType), {}, metrics_text(daemon_)};
  }
  if (is({"api", "v1", "status"}))
    return get ? json_response(200, status_json(daemon_)) : method_not_allowed("GET");
  if (api && path.size() == 7 && path[2] == "pools" && path[4] == "servers" && path[6] == "state") {
    if (!post) return method_not_allowed("POST");
    if (!authorized(request)) return unauthorized(request);
    return set_state(request, *target.value, path[3], path[5]);
  }
  if (is({"api", "v1", "reload"})) {
    if (!post) return method_not_allowed("POST");
    if (!authorized(request)) return unauthorized(request);
    if (auto refused = refuse_query(*target.value, {"dry_run"})) return std::move(*refused);
    const std::string* dry_run = target.value->parameter("dry_run");
    if (dry_run && *dry_run != "1" && *dry_run != "0" && *dry_run != "true" && *dry_run != "false")
      return error_response(400, "dry_run must be 1 or 0");
    return reload(dry_run && (*dry_run == "1" || *dry_run == "true"));
  }
  if (api && path.size() == 5 && path[2] == "pools" && path[4] == "affinity")
    return get ? explain(path[3], *target.value) : method_not_allowed("GET");
  return error_response(404, "no such endpoint: " + request.target);
}

HttpResponse Routes::unauthorized(const HttpRequest& request) const {
  HttpResponse response =
      error_response(401, request.header("authorization") ? "wrong token" : "missing bearer token");
  response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

HttpResponse Routes::reload(bool dry_run) {
  const lb::Daemon::ReloadOutcome outcome = daemon_.reload(dry_run);
  JsonWriter json;
  json.begin_object().field("ok", outcome.ok).field("dry_run", outcome.dry_run);
  if (!outcome.ok) {
    json.field("error", outcome.errors.empty() ? std::string("refused") : outcome.errors.front());
    json.key("errors").begin_array();
    for (const auto& e : outcome.errors)
      json.value(e);
    json.end_array();
  }
  json.key("moved").begin_object();
  for (const auto& [pool, share] : outcome.moved)
    json.field(pool, share);
  json.end_object();
  json.field("generation", daemon_.reloads.generation.load(std::memory_order_relaxed));
  json.end_object();
  return json_response(outcome.ok ? 200 : 422, json.text());
}

HttpResponse Routes::healthz() const {
  if (daemon_.stopping()) return text_response(503, "stopping\n");
  return text_response(200, "ok\n");
}

HttpResponse Routes::set_state(const HttpRequest& request, const RequestTarget& target,
                               const std::string& pool_name, const std::string& server_name) {
  lb::Pool* pool = daemon_.find_pool(pool_name);
  if (!pool) return error_response(404, "unknown pool \"" + pool_name + "\"");
  lb::Server* server = pool->find_server(server_name);
  if (!server)
    return error_response(404,
                          "unknown server \"" + server_name + "\" in pool \"" + pool_name + "\"");
  if (auto refused = refuse_query(target, {})) return std::move(*refused);
  auto change = parse_state_change(request.body);
  if (!change.ok()) return error_response(400, change.error);
  daemon_.set_server_state(*pool, *server, change.value->state, change.value->deadline);
  return json_response(200, server_json(daemon_, *pool, *server));
}

HttpResponse Routes::explain(const std::string& pool_name, const RequestTarget& target) {
  lb::Pool* pool = daemon_.find_pool(pool_name);
  if (!pool) return error_response(404, "unknown pool \"" + pool_name + "\"");
  if (auto refused = refuse_query(target, {"client", "cookie"})) return std::move(*refused);
  const std::string* client = target.parameter("client");
  const std::string* cookie = target.parameter("cookie");
  if (!client || client->empty()) return error_response(400, "missing query parameter client=ADDR");
  std::string text = *client;
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  // make_address reads a C string: a decoded %00 would cut the address short, unseen.
  const bool has_nul = text.find('\0') != std::string::npos;
  std::error_code ec;
  const auto address = asio::ip::make_address(text, ec);
  if (ec || has_nul) return error_response(400, "invalid client address \"" + *client + "\"");
  const Explanation explanation =
      explain_client(*pool, daemon_.frontends(), address, cookie, lb::Clock::now());
  return json_response(200, explanation_json(*pool, explanation));
}

}  // namespace tether::admin
