#include "health/checker.h"

#include <spdlog/spdlog.h>

#include "health/http_probe.h"
#include "health/tcp_probe.h"

namespace tether::health {

namespace {

std::string host_of(const config::Address& address) {
  // "fe01.contoso.net:443" → "fe01.contoso.net"; "[::1]:443" → "[::1]" (a valid Host header).
  const auto colon = address.text.rfind(':');
  return colon == std::string::npos ? address.text : address.text.substr(0, colon);
}

}  // namespace

Checker::Checker(asio::io_context& control, lb::Pool& pool, lb::Server& server)
    : control_(control),
      pool_(pool),
      server_(server),
      config_(pool.config().health),
      target_(server.config.address.endpoint),
      host_(config_.host.empty() ? host_of(server.config.address) : config_.host),
      tls_peer_(lb::tls_peer_name(config_.host.empty() ? pool.config().tls.sni : config_.host,
                                  server.config.address.text)),
      state_(config_.rise, config_.fall, server.healthy.load(std::memory_order_relaxed)),
      interval_timer_(control),
      timeout_timer_(control),
      random_(std::random_device{}()) {
  if (config_.port != 0) target_.port(config_.port);
}

Checker::~Checker() {
  stop();
}

void Checker::start() {
  // The first check comes soon, spread over a tenth of the interval across servers.
  const auto spread = config_.interval / 10;
  schedule(std::chrono::milliseconds(spread.count() ? random_() % spread.count() : 0));
}

void Checker::stop() {
  stopped_ = true;
  interval_timer_.cancel();
  timeout_timer_.cancel();
  if (probe_) probe_->cancel();
}

void Checker::schedule(std::chrono::steady_clock::duration delay) {
  interval_timer_.expires_after(delay);
  interval_timer_.async_wait([this](std::error_code ec) {
    if (!ec && !stopped_) run();
  });
}

std::shared_ptr<Probe> Checker::make_probe() {
  if (config_.type == config::HealthConfig::Type::https)
    return std::make_shared<HttpProbe>(control_, target_, config_.path, host_,
                                       config_.expect_status,
                                       HttpProbe::Tls{pool_.tls(), tls_peer_});
  if (config_.type == config::HealthConfig::Type::http)
    return std::make_shared<HttpProbe>(control_, target_, config_.path, host_,
                                       config_.expect_status);
  return std::make_shared<TcpProbe>(control_, target_);
}

void Checker::run() {
  // The next check is due an interval after this one started, less up to 10% spread; timeout <
  // interval (validated), so a server is down within fall × interval + timeout of failing.
  const auto spread = config_.interval.count() / 10;
  schedule(config_.interval -
           std::chrono::milliseconds(spread ? random_() % static_cast<unsigned>(spread) : 0));

  probe_ = make_probe();
  probe_started_ = std::chrono::steady_clock::now();
  timeout_timer_.expires_after(config_.timeout);
  timeout_timer_.async_wait([this](std::error_code ec) {
    if (ec || stopped_ || !probe_) return;
    probe_->cancel();
    probe_done(false, "timeout after " + std::to_string(config_.timeout.count()) + "ms");
  });
  probe_->start([this](bool ok, std::string detail) {
    timeout_timer_.cancel();
    probe_done(ok, std::move(detail));
  });
}

void Checker::observe_connect_failure() {
  if (stopped_) return;
  record(false, "connection from traffic failed");
}

void Checker::probe_done(bool ok, std::string detail) {
  last_.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - probe_started_);
  probe_.reset();
  record(ok, std::move(detail));
}

void Checker::record(bool ok, std::string detail) {
  last_.ok = ok;
  last_.detail = std::move(detail);
  last_.at = std::chrono::system_clock::now();
  (ok ? server_.checks_passed : server_.checks_failed).fetch_add(1, std::memory_order_relaxed);

  // Two-phase, as HAProxy does: compute the next state, then commit it to the server and publish.
  const auto change = state_.record(ok);
  if (change == HealthState::Change::none) return;
  const bool up = change == HealthState::Change::went_up;
  server_.healthy.store(up, std::memory_order_relaxed);
  pool_.republish();
  if (up)
    spdlog::warn("pool {} server {} is UP: {} ({} successful checks)", pool_.name(), server_.name(),
                 last_.detail, config_.rise);
  else
    spdlog::warn("pool {} server {} is DOWN: {} ({} failed checks)", pool_.name(), server_.name(),
                 last_.detail, config_.fall);
}

}  // namespace tether::health
