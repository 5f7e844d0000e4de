#include "admin/bearer_token.h"

namespace tether::admin {

namespace {

bool starts_with_bearer(std::string_view value) {
  constexpr std::string_view scheme = "bearer";
  if (value.size() <= scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = value[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[i]) return false;
  }
  return value[scheme.size()] == ' ';
}

}  // namespace

bool bearer_matches(const std::string* authorization, std::string_view token) {
  if (!authorization || token.empty() || !starts_with_bearer(*authorization)) return false;
  std::string_view presented = std::string_view(*authorization).substr(6);
  while (!presented.empty() && presented.front() == ' ')
    presented.remove_prefix(1);
  // Runs over the presented token (the client's length, not the secret's) and never stops early.
  unsigned char difference = presented.size() == token.size() ? 0 : 1;
  for (std::size_t i = 0; i < presented.size(); ++i) {
    const auto expected = static_cast<unsigned char>(token[i % token.size()]);
    difference |= static_cast<unsigned char>(static_cast<unsigned char>(presented[i]) ^ expected);
  }
  // A compiler may not shortcut through a volatile read.
  volatile unsigned char result = difference;
  return result == 0;
}

}  // namespace tether::admin
