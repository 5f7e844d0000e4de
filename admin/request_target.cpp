#include "admin/request_target.h"

namespace tether::admin {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

config::Parsed<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const bool complete = i + 2 < text.size();
    const int high = complete ? hex_digit(text[i + 1]) : -1;
    const int low = complete ? hex_digit(text[i + 2]) : -1;
    if (high < 0 || low < 0)
      return config::failure("malformed percent-escape in \"" + std::string(text) + "\"");
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

config::Parsed<RequestTarget> parse_target(std::string_view target) {
  RequestTarget result;
  const std::size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (;;) {
    const std::size_t slash = path.find('/');
    auto segment = percent_decode(path.substr(0, slash));
    if (!segment.ok()) return config::failure(segment.error);
    result.segments.push_back(std::move(*segment.value));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  if (question == std::string_view::npos) return result;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    if (!item.empty()) {
      const std::size_t equals = item.find('=');
      auto name = percent_decode(item.substr(0, equals));
      auto value = percent_decode(equals == std::string_view::npos ? std::string_view()
                                                                   : item.substr(equals + 1));
      if (!name.ok()) return config::failure(name.error);
      if (!value.ok()) return config::failure(value.error);
      result.query.emplace_back(std::move(*name.value), std::move(*value.value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return result;
}

const std::string* RequestTarget::parameter(std::string_view name) const {
  for (const auto& [key, value] : query)
    if (key == name) return &value;
  return nullptr;
}

}  // namespace tether::admin
