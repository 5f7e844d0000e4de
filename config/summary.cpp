// summary(): what `tether --check` prints, one screen an operator can compare with intent.
#include <ctime>
#include <sstream>

#include "config/duration.h"
#include "config/loader.h"

namespace tether::config {
namespace {

// "fe01.contoso.net:443 (10.0.0.11:443)" when a name was resolved, else the text as written.
std::string describe(const Address& address) {
  std::ostringstream resolved;
  resolved << address.endpoint;
  if (resolved.str() == address.text) return address.text;
  return address.text + " (" + resolved.str() + ")";
}

std::string off_or(Duration duration) {
  return duration == Duration::zero() ? "off" : format_duration(duration);
}

const char* yes_no(bool flag) {
  return flag ? "yes" : "no";
}

// "affinity cookie MS-WSMAN httponly no secure no secret yes fallback source /32 /64 ..."
void describe_affinity(std::ostream& out, const AffinityConfig& affinity) {
  out << "affinity " << to_string(affinity.type);
  if (affinity.type == AffinityType::none) return;
  if (affinity.type == AffinityType::cookie) {
    const CookieConfig& cookie = affinity.cookie;
    out << " " << cookie.name << " httponly " << yes_no(cookie.httponly) << " secure "
        << yes_no(cookie.secure) << " secret " << yes_no(!cookie.secret.empty()) << " fallback "
        << to_string(affinity.fallback);
  }
  out << " /" << affinity.ipv4_mask << " /" << affinity.ipv6_mask;
  if (affinity.type == AffinityType::cookie) return;  // the cookie is the pin: no stick table
  if (affinity.timeout == Duration::zero()) {
    out << " no stick table";
  } else {
    out << " timeout " << format_duration(affinity.timeout) << " table " << affinity.table_size;
  }
}

std::string describe(const std::vector<StatusRange>& ranges) {
  std::string text;
  for (const StatusRange& range : ranges) {
    if (!text.empty()) text += ",";
    text += std::to_string(range.low);
    if (range.high != range.low) text += "-" + std::to_string(range.high);
  }
  return text;
}

// "health tcp port 5061 every 5s timeout 2s rise 2 fall 3 observe"
void describe_health(std::ostream& out, const HealthConfig& health) {
  out << "health " << to_string(health.type);
  if (health.type == HealthConfig::Type::none) return;
  out << " port " << (health.port == 0 ? "(server's)" : std::to_string(health.port));
  if (health.type == HealthConfig::Type::http || health.type == HealthConfig::Type::https) {
    out << " GET " << health.path << " Host "
        << (health.host.empty() ? "(server's address)" : health.host) << " expect "
        << describe(health.expect_status);
  }
  out << " every " << format_duration(health.interval) << " timeout "
      << format_duration(health.timeout) << " rise " << health.rise << " fall " << health.fall
      << (health.observe ? " observe" : " no observe");
}

// "  tls 1.2+  cert /etc/tether/ext.pem [ext.contoso.test,localhost] until 2028-02-25"
void describe_tls(std::ostream& out, const FrontendTls& tls) {
  out << "  tls " << to_string(tls.min_version) << "+";
  for (const TlsCertificate& certificate : tls.certificates) {
    out << "  cert " << certificate.cert_file << " [";
    for (std::size_t i = 0; i < certificate.names.size(); ++i)
      out << (i == 0 ? "" : ",") << certificate.names[i];
    const std::time_t t = std::chrono::system_clock::to_time_t(certificate.not_after);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char date[16];
    std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
    out << "] until " << date;
  }
}

}  // namespace

std::string summary(const Config& config) {
  std::ostringstream out;
  out << "config OK: " << config.file << "\n";
  out << "threads " << (config.threads == 0 ? "auto" : std::to_string(config.threads))
      << "  shutdown_grace " << off_or(config.shutdown_grace) << "  log " << config.log.level
      << "  access " << config.log.access << "\n";
  if (!config.state_file.empty()) out << "state_file " << config.state_file << "\n";
  if (config.admin) {
    out << "admin " << describe(config.admin->listen)
        << "  token: " << (config.admin->token.empty() ? "no" : "yes") << "\n";
  }

  for (const FrontendConfig& frontend : config.frontends) {
    out << "frontend " << frontend.name << "  " << to_string(frontend.mode) << "  listen ";
    for (std::size_t i = 0; i < frontend.listen.size(); ++i) {
      out << (i == 0 ? "" : ",") << describe(frontend.listen[i]);
    }
    out << "  -> pool " << frontend.pool << "  idle " << off_or(frontend.idle_timeout) << "  ";
    describe_affinity(out, frontend.affinity);
    if (frontend.tls) describe_tls(out, *frontend.tls);
    // Whose word about the client's address is taken; nothing when it is the connection's.
    const AffinityConfig& affinity = frontend.affinity;
    if (frontend.accept_proxy) {
      out << "  accept_proxy" << (affinity.trusted_proxies.empty() ? " (from any peer)" : "");
    }
    if (affinity.client_address != ClientAddress::connection) {
      out << "  client " << to_string(affinity.client_address);
    }
    if (!affinity.trusted_proxies.empty()) {
      out << "  trusted_proxies ";
      for (std::size_t i = 0; i < affinity.trusted_proxies.size(); ++i) {
        out << (i == 0 ? "" : ",") << to_string(affinity.trusted_proxies[i]);
      }
    }
    out << "\n";
  }

  for (const PoolConfig& pool : config.pools) {
    out << "pool " << pool.name << "  " << to_string(pool.balance) << "  seed " << pool.hash_seed
        << "  connect " << format_duration(pool.connect_timeout) << "  server "
        << format_duration(pool.server_timeout) << "  retries " << pool.retries
        << "  max_connections "
        << (pool.max_connections == 0 ? "unlimited" : std::to_string(pool.max_connections)) << "\n";
    out << "  ";
    describe_health(out, pool.health);
    out << "\n";
    for (const ServerConfig& server : pool.servers) {
      out << "  server " << server.name << "  " << describe(server.address) << "  weight "
          << server.weight;
      if (server.send_proxy != SendProxy::off)
        out << "  send_proxy " << to_string(server.send_proxy);
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace tether::config
