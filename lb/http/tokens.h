// Character classes and list syntax shared by the HTTP/1.1 parsers (RFC 9110 §5.6).
// Everything here is ASCII-only and locale-free: a parser that lets the C locale decide what
// "uppercase" or "space" means would disagree with the server behind us.
#pragma once

#include <string_view>

namespace tether::lb::http {

// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
// / DIGIT / ALPHA (RFC 9110 §5.6.2).
bool is_tchar(unsigned char c);
bool is_token(std::string_view text);  // non-empty and all tchar

// A byte allowed inside a field value: VCHAR, SP, HTAB or obs-text (RFC 9110 §5.5). Everything
// else is a CTL (NUL, bare CR, LF, DEL, ...) and makes the message invalid.
bool is_field_value_char(unsigned char c);

inline bool is_ows(char c) {
  return c == ' ' || c == '\t';
}
std::string_view trim_ows(std::string_view text);

// ASCII case-insensitive comparison (field names, tokens such as "chunked", "close").
bool iequals(std::string_view a, std::string_view b);

// Walks a comma-separated list (RFC 9110 §5.6.1), yielding every element trimmed of OWS,
// empty ones included ("a,,b" yields "a", "", "b"; "" yields one empty element) so that each
// caller decides: Connection ignores empty elements, Content-Length and Transfer-Encoding,
// which frame the message, reject them.
class ListElements {
 public:
  explicit ListElements(std::string_view list) : rest_(list) {}
  bool next(std::string_view& element);

 private:
  std::string_view rest_;
  bool finished_ = false;
};

}  // namespace tether::lb::http
