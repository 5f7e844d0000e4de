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

// What loading may reach outside the YAML text. The daemon and `--check` use the defaults; the
// config fuzz target turns both off, so that arbitrary input neither queries DNS nor opens the
// files it names.
struct LoadOptions {
  bool resolve_names = true;  // false: a host name where an address goes is an error
  bool read_files = true;     // false: admin.token_file and cookie.secret_file are errors
};

// `file` is only used in messages when loading from a string.
LoadResult load_file(const std::string& path);
LoadResult load_string(const std::string& yaml, const std::string& file);
LoadResult load_string(const std::string& yaml, const std::string& file, const LoadOptions&);

// The one-screen summary printed by `tether --check`.
std::string summary(const Config&);

}  // namespace tether::config
