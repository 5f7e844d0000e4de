#include "tools/pool/pool_plan.h"

#include <algorithm>

#include "tools/pool/endpoint_text.h"

namespace tether::pool {

using asio::ip::tcp;

namespace {

constexpr std::size_t max_port = 65535;

// The check ports must fit below 65536 too.
std::string check_ports_fit(std::size_t count, std::optional<std::uint16_t> check_base_port) {
  if (check_base_port && *check_base_port + count - 1 > max_port) {
    return "--check-base-port " + std::to_string(*check_base_port) + " leaves no room for " +
           std::to_string(count) + " check ports";
  }
  return {};
}

}  // namespace

std::string server_name(const std::string& prefix, std::size_t index, std::size_t count) {
  const auto digits = std::max<std::size_t>(2, std::to_string(count).size());
  auto number = std::to_string(index);
  if (number.size() < digits) number.insert(0, digits - number.size(), '0');
  return prefix + number;
}

tcp::endpoint check_endpoint_for(const ServerSpec& server, std::size_t index,
                                 std::optional<std::uint16_t> check_base_port) {
  const auto host = server.http.empty() ? asio::ip::address(asio::ip::address_v4::loopback())
                                        : server.http.front().address();
  const auto port = check_base_port ? *check_base_port + index : 0;
  return tcp::endpoint(host, static_cast<unsigned short>(port));
}

Plan plan_from_flags(const FlagPlan& flags) {
  Plan plan;
  if (flags.servers == 0) {
    plan.error = "--servers must be at least 1";
    return plan;
  }
  if (flags.base_port != 0 && flags.base_port + std::size_t{flags.servers} - 1 > max_port) {
    plan.error = "--base-port " + std::to_string(flags.base_port) + " leaves no room for " +
                 std::to_string(flags.servers) + " servers";
    return plan;
  }
  plan.error = check_ports_fit(flags.servers, flags.check_base_port);
  if (!plan.ok()) return plan;
  for (std::size_t i = 0; i < flags.servers; ++i) {
    ServerSpec spec;
    spec.name = server_name(flags.name_prefix, i + 1, flags.servers);
    const auto port = flags.base_port == 0 ? 0 : flags.base_port + i;
    spec.http.emplace_back(flags.bind, static_cast<unsigned short>(port));
    spec.checks.push_back(check_endpoint_for(spec, i, flags.check_base_port));
    plan.servers.push_back(std::move(spec));
  }
  return plan;
}

Plan plan_from_config(const config::Config& config, std::optional<std::uint16_t> check_base_port) {
  Plan plan;
  for (const auto& pool : config.pools) {
    for (const auto& server : pool.servers) {
      const auto& endpoint = server.address.endpoint;
      auto spec = std::find_if(plan.servers.begin(), plan.servers.end(),
                               [&](const ServerSpec& s) { return s.name == server.name; });
      if (spec == plan.servers.end()) {
        plan.servers.push_back(ServerSpec{server.name, {}, {}});
        spec = plan.servers.end() - 1;
      }
      // Tether probes the server's address in this pool on the health port (Lync: 5061); port 0
      // is the address itself, which the server listens on anyway.
      if (pool.health.type != config::HealthConfig::Type::none && pool.health.port != 0) {
        const tcp::endpoint check(endpoint.address(), pool.health.port);
        if (std::find(spec->checks.begin(), spec->checks.end(), check) == spec->checks.end())
          spec->checks.push_back(check);
      }
      if (std::find(spec->http.begin(), spec->http.end(), endpoint) != spec->http.end()) continue;
      // Two names on one address would be one machine under two names: say so before binding.
      for (const auto& other : plan.servers) {
        if (other.name != server.name &&
            std::find(other.http.begin(), other.http.end(), endpoint) != other.http.end()) {
          plan.error = "pool " + pool.name + ": servers " + other.name + " and " + server.name +
                       " share the address " + to_string(endpoint);
          return plan;
        }
      }
      spec->http.push_back(endpoint);
    }
  }
  if (plan.servers.empty()) {
    plan.error = "the configuration names no servers";
    return plan;
  }
  plan.error = check_ports_fit(plan.servers.size(), check_base_port);
  if (!plan.ok()) return plan;
  for (std::size_t i = 0; i < plan.servers.size(); ++i) {
    auto& spec = plan.servers[i];
    // An http check on a server's own HTTP port is answered by that port: a second listener
    // there would take half of its traffic.
    std::erase_if(spec.checks, [&](const tcp::endpoint& check) {
      return std::find(spec.http.begin(), spec.http.end(), check) != spec.http.end();
    });
    if (check_base_port || spec.checks.empty())
      spec.checks.assign(1, check_endpoint_for(spec, i, check_base_port));
  }
  return plan;
}

}  // namespace tether::pool
