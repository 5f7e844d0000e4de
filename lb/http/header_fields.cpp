#include "lb/http/header_fields.h"

#include "lb/http/tokens.h"

namespace tether::lb::http {

std::string_view header_value(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& header : headers) {
    if (iequals(header.name, name)) return header.value;
  }
  return {};
}

std::string_view content_length_value(std::string_view value) {
  ListElements elements(value);
  std::string_view first;
  elements.next(first);
  return first;
}

ConnectionOptions::ConnectionOptions(const std::vector<Header>& headers) {
  for (const Header& header : headers) {
    if (!iequals(header.name, "connection")) continue;
    ListElements options(header.value);
    for (std::string_view option; options.next(option) && count_ < kMax;) {
      if (!option.empty() && !iequals(option, "close") && !iequals(option, "keep-alive"))
        options_[count_++] = option;
    }
  }
}

bool ConnectionOptions::names(std::string_view field) const {
  for (std::size_t i = 0; i < count_; ++i)
    if (iequals(options_[i], field)) return true;
  return false;
}

}  // namespace tether::lb::http
