// The result of reading one configuration value: the value, or a sentence saying why the text is
// wrong (naming the text). The loader prefixes file:line:column and the key path.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace tether::config {

struct Failure {
  std::string error;
};

inline Failure failure(std::string why) {
  return Failure{std::move(why)};
}

template <class T>
struct Parsed {
  Parsed(T parsed) : value(std::move(parsed)) {}
  Parsed(Failure failed) : error(std::move(failed.error)) {}

  bool ok() const { return value.has_value(); }

  std::optional<T> value;
  std::string error;  // set when !ok()
};

}  // namespace tether::config
