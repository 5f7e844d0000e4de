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

namespace {

// What frames or routes the message is never this hop's alone: "Connection: Transfer-Encoding"
// must not turn a chunked body into requests of its own for the next hop.
bool end_to_end(std::string_view field) {
  return iequals(field, "content-length") || iequals(field, "transfer-encoding") ||
         iequals(field, "host");
}

}  // namespace

ConnectionOptions::ConnectionOptions(const std::vector<Header>& headers) {
  for (const Header& header : headers) {
    if (!iequals(header.name, "connection")) continue;
    ListElements options(header.value);
    for (std::string_view option; options.next(option) && count_ < kMax;) {
      if (!option.empty() && !iequals(option, "close") && !iequals(option, "keep-alive") &&
          !end_to_end(option))
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
