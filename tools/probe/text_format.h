// Small text helpers the report renderers share: printf into a std::string, and escaping for
// JSON strings and XML text.
#pragma once

#include <string>
#include <string_view>

namespace tether::probe {

std::string format(const char* pattern, ...) __attribute__((format(printf, 1, 2)));

// Text safe inside an XML element or attribute.
std::string xml_escape(std::string_view text);

}  // namespace tether::probe
