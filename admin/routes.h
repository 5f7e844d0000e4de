// The endpoints of the admin API (docs/admin-api.md): one request in, one response out.
//   GET  /                  the dashboard (admin/dashboard.html)
//   GET  /metrics           Prometheus text format
//   GET  /healthz
//   GET  /api/v1/status
//   POST /api/v1/pools/{pool}/servers/{server}/state   {"state": ..., "deadline": ...}
//   GET  /api/v1/pools/{pool}/affinity?client=ADDR[&cookie=VALUE]
//   POST /api/v1/reload[?dry_run=1]
// HEAD is answered like GET. Checks come in this order: path (404), method (405), token for
// POSTs (401), pool and server names (404), then the body or query (400). Endpoints that take
// parameters, and every POST, refuse a query parameter they do not take.
#pragma once

#include <string>

#include "admin/http_request.h"
#include "admin/http_response.h"
#include "admin/request_target.h"
#include "lb/daemon.h"

namespace tether::admin {

class Routes {
 public:
  // The bearer token is the daemon's `admin.token` of the moment (a reload may replace it);
  // none: POSTs need no Authorization.
  explicit Routes(lb::Daemon& daemon);

  // Control thread only: reads server states and health results, changes admin states, reloads.
  HttpResponse handle(const HttpRequest& request);

 private:
  HttpResponse healthz() const;
  HttpResponse unauthorized(const HttpRequest& request) const;
  HttpResponse reload(bool dry_run);
  HttpResponse set_state(const HttpRequest& request, const RequestTarget& target,
                         const std::string& pool, const std::string& server);
  HttpResponse explain(const std::string& pool, const RequestTarget& target);
  bool authorized(const HttpRequest& request) const;

  lb::Daemon& daemon_;
};

}  // namespace tether::admin
