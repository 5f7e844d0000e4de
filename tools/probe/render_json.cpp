#include "admin/json_writer.h"
#include "tools/probe/render.h"
#include "tools/probe/text_format.h"

namespace tether::probe {
namespace {

// Builds one JSON object member by member, with commas where they belong.
class Object {
 public:
  explicit Object(std::string& out, int indent) : out_(out), indent_(indent) { out_ += '{'; }

  void raw(std::string_view name, const std::string& value) {
    out_ += first_ ? "\n" : ",\n";
    first_ = false;
    out_.append(static_cast<std::size_t>(indent_ + 2), ' ');
    out_ += admin::json_string(name) + ": " + value;
  }
  void number(std::string_view name, std::size_t value) { raw(name, std::to_string(value)); }
  void number(std::string_view name, double value, int decimals) {
    raw(name, format("%.*f", decimals, value));
  }
  void boolean(std::string_view name, bool value) { raw(name, value ? "true" : "false"); }
  void string(std::string_view name, std::string_view value) {
    raw(name, admin::json_string(value));
  }

  void close() {
    if (!first_) {
      out_ += '\n';
      out_.append(static_cast<std::size_t>(indent_), ' ');
    }
    out_ += '}';
  }

 private:
  std::string& out_;
  int indent_;
  bool first_ = true;
};

// A nested object built by `fill`, as the value of a member.
template <class Fill>
std::string nested(int indent, Fill fill) {
  std::string text;
  Object object(text, indent);
  fill(object);
  object.close();
  return text;
}

}  // namespace

std::string render_json(const Report& r) {
  std::string out;
  Object top(out, 0);
  top.string("target", r.run.target);
  top.string("path", r.run.path);
  top.string("mode", r.run.new_connections ? "new-connections" : "keep-alive");
  top.boolean("tls", r.run.tls);
  top.raw("cookie", r.run.cookie.empty() ? "null" : admin::json_string(r.run.cookie));
  top.number("clients_planned", r.run.clients_planned);
  top.number("requests_per_client", r.run.requests_per_client);
  top.number("concurrency", r.run.concurrency);
  top.number("roam", r.run.roam_fraction, 4);
  top.number("duration_s", r.run.duration_s, 3);
  top.boolean("stopped_early", r.run.stopped_early);
  top.raw("stopped_by", r.run.stopped_early ? admin::json_string(r.run.stopped_by) : "null");

  top.number("clients", r.clients);
  top.number("clients_single_server", r.clients_single_server);
  top.number("clients_unanswered", r.clients_unanswered);
  top.number("sessions_lost", r.sessions_lost);
  top.number("requests", r.requests);
  top.number("answered", r.answered);
  top.number("unattributed", r.unattributed);
  top.number("requests_off_home", r.requests_off_home);
  top.number("errors", r.errors.total());
  top.raw("errors_by_kind", nested(2, [&](Object& o) {
            o.number("connect", r.errors.connect);
            o.number("tls_handshake", r.errors.tls_handshake);
            o.number("timeout", r.errors.timeout);
            o.number("closed", r.errors.closed);
            o.number("malformed", r.errors.malformed);
            o.number("http_5xx", r.errors.http_5xx);
          }));
  top.number("bodies_checked", r.bodies_checked);
  top.number("bodies_corrupt", r.bodies_corrupt);
  top.raw("statuses", nested(2, [&](Object& o) {
            for (const auto& [status, count] : r.statuses)
              o.number(std::to_string(status), count);
          }));

  // `servers` is the distribution the statistics describe; a server first seen after the
  // scenario point is listed in `servers_joined`.
  top.raw("servers", nested(2, [&](Object& o) {
            for (const auto& share : r.servers)
              if (share.in_distribution) o.number(share.name, share.clients);
          }));
  top.raw("servers_joined", nested(2, [&](Object& o) {
            for (const auto& share : r.servers)
              if (!share.in_distribution) o.number(share.name, share.clients);
          }));
  top.raw("server_requests", nested(2, [&](Object& o) {
            for (const auto& share : r.servers)
              o.number(share.name, share.requests);
          }));
  top.number("mean_clients", r.mean_clients, 4);
  top.number("max_over_mean", r.max_over_mean, 4);
  top.number("cov", r.cov, 4);
  const auto percentiles = [](const Latency& l) {
    return nested(2, [&](Object& o) {
      o.number("p50", l.p50, 3);
      o.number("p90", l.p90, 3);
      o.number("p99", l.p99, 3);
      o.number("max", l.max, 3);
      o.number("samples", l.samples);
    });
  };
  top.raw("latency_ms", percentiles(r.latency));
  if (r.run.tls) {
    top.raw("handshake_ms", percentiles(r.handshake));
    top.raw("tls_error", r.tls_error.empty() ? "null" : admin::json_string(r.tls_error));
  } else {
    top.raw("handshake_ms", "null");
    top.raw("tls_error", "null");
  }
  top.number("roamed", r.roamed);
  top.number("roamed_moved", r.roamed_moved);

  if (r.scenario.kind == Scenario::none) {
    top.raw("scenario", "null");
  } else {
    top.raw("scenario", nested(2, [&](Object& o) {
              o.string("kind", to_string(r.scenario.kind));
              o.string("server", r.scenario.server);
              o.boolean("performed", r.scenario.performed);
              o.string("action", r.scenario.action);
              o.raw("skipped_because",
                    r.scenario.performed ? "null" : admin::json_string(r.scenario.skipped_because));
              o.raw("servers_after", nested(4, [&](Object& after) {
                      for (const auto& share : r.servers)
                        after.number(share.name, share.clients_after);
                    }));
            }));
  }
  top.raw("moves", nested(2, [&](Object& o) {
            o.number("required", r.moves.required);
            o.number("needless", r.moves.needless);
            o.number("to_added", r.moves.to_added);
            o.number("stayed", r.moves.stayed);
            o.number("unserved", r.moves.unserved);
            o.number("considered", r.moves.considered);
          }));
  top.close();
  out += '\n';
  return out;
}

}  // namespace tether::probe
