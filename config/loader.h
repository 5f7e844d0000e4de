// Reads a Tether YAML file (SPEC §3) into a validated Config. Nothing half-valid escapes:
// either a complete Config or the list of every error found, each "file:line:column: key: reason".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace tether::config {

struct LoadResult {
  std::optional<Config> config;
  std::vector<std::string> errors;

  bool ok() const { return config.has_value(); }
};

// `file` is only used in messages when loading from a string.
LoadResult load_file(const std::string& path);
LoadResult load_string(const std::string& yaml, const std::string& file);

// The one-screen summary printed by `tether --check`.
std::string summary(const Config&);

}  // namespace tether::config
