#include "config/config.h"

namespace tether::config {

const PoolConfig* Config::find_pool(const std::string& name) const {
  for (const PoolConfig& pool : pools) {
    if (pool.name == name) return &pool;
  }
  return nullptr;
}

const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::tcp:
      return "tcp";
    case Mode::http:
      return "http";
  }
  return "?";
}

const char* to_string(AffinityType type) {
  switch (type) {
    case AffinityType::source:
      return "source";
    case AffinityType::cookie:
      return "cookie";
    case AffinityType::none:
      return "none";
  }
  return "?";
}

const char* to_string(Balance balance) {
  switch (balance) {
    case Balance::maglev:
      return "maglev";
    case Balance::least_conn:
      return "least_conn";
    case Balance::round_robin:
      return "round_robin";
  }
  return "?";
}

const char* to_string(HealthConfig::Type type) {
  switch (type) {
    case HealthConfig::Type::tcp:
      return "tcp";
    case HealthConfig::Type::http:
      return "http";
    case HealthConfig::Type::none:
      return "none";
  }
  return "?";
}

}  // namespace tether::config
