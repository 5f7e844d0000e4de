#include "lb/http/head_scan.h"

#include <array>
#include <cstring>

#include "lb/http/head.h"
#include "lb/http/tokens.h"

namespace tether::lb::http::detail {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Content-Length = 1*DIGIT (RFC 9110 §8.6): no sign, no spaces inside, no hex.
bool parse_content_length(std::string_view text, std::uint64_t& value) {
  if (text.empty()) return false;
  std::uint64_t result = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    result = result * 10 + static_cast<std::uint64_t>(c - '0');
    // Checked per digit, so `result * 10` above can never overflow.
    if (result > kMaxContentLength) return false;
  }
  value = result;
  return true;
}

bool is_known_coding(std::string_view coding) {
  static constexpr std::array<std::string_view, 5> kKnown = {"gzip", "x-gzip", "deflate",
                                                             "compress", "x-compress"};
  for (std::string_view known : kKnown) {
    if (iequals(coding, known)) return true;
  }
  return false;
}

// Transfer-Encoding = #transfer-coding; transfer-coding = token *( OWS ";" OWS parameter ).
// All Transfer-Encoding fields form one list, in order. Chunked must be the final coding and
// may appear only once (RFC 9112 §6.1, §7); a message that breaks this is refused rather than
// guessed at, because a guess that differs from the server's is request smuggling.
bool scan_transfer_encoding(std::string_view value, FieldFacts& facts, const char*& reason) {
  ListElements elements(value);
  std::string_view element;
  while (elements.next(element)) {
    const std::size_t semicolon = element.find(';');
    const std::string_view coding = trim_ows(element.substr(0, semicolon));
    if (!is_token(coding)) {
      reason = "invalid Transfer-Encoding";
      return false;
    }
    const bool chunked = iequals(coding, "chunked");
    if (chunked && semicolon != std::string_view::npos) {
      reason = "parameters on chunked coding";
      return false;
    }
    if (chunked && facts.chunked_seen) {
      reason = "chunked coding applied twice";
      return false;
    }
    if (!chunked && !is_known_coding(coding)) facts.unknown_coding = true;
    // A coding after chunked (", gzip") clears chunked_final: chunked is then not the last.
    facts.chunked_final = chunked;
    facts.chunked_seen = facts.chunked_seen || chunked;
  }
  facts.transfer_encoding_present = true;
  return true;
}

// Several Content-Length fields, or one with a list ("42, 42"), are tolerated only when every
// value is the same (RFC 9110 §8.6); two different lengths are the classic smuggling pair.
bool scan_content_length(std::string_view value, FieldFacts& facts, const char*& reason) {
  ListElements elements(value);
  std::string_view element;
  while (elements.next(element)) {
    std::uint64_t length = 0;
    if (!parse_content_length(element, length)) {
      reason = "invalid Content-Length";
      return false;
    }
    if (facts.content_length_present && length != facts.content_length) {
      reason = "conflicting Content-Length values";
      return false;
    }
    facts.content_length_present = true;
    facts.content_length = length;
  }
  return true;
}

void scan_connection(std::string_view value, FieldFacts& facts) {
  ListElements elements(value);
  std::string_view option;
  while (elements.next(option)) {
    if (iequals(option, "close")) facts.connection_close = true;
    if (iequals(option, "keep-alive")) facts.connection_keep_alive = true;
    if (iequals(option, "upgrade")) facts.connection_upgrade = true;
  }
}

void scan_expect(std::string_view value, FieldFacts& facts) {
  ListElements elements(value);
  std::string_view expectation;
  while (elements.next(expectation)) {
    if (iequals(expectation, "100-continue")) facts.expect_continue = true;
  }
}

bool record_field(const Header& header, FieldFacts& facts, const char*& reason) {
  const std::string_view name = header.name;
  if (iequals(name, "content-length")) return scan_content_length(header.value, facts, reason);
  if (iequals(name, "transfer-encoding")) {
    return scan_transfer_encoding(header.value, facts, reason);
  }
  if (iequals(name, "connection")) scan_connection(header.value, facts);
  if (iequals(name, "expect")) scan_expect(header.value, facts);
  if (iequals(name, "upgrade") && !header.value.empty()) facts.upgrade_present = true;
  if (iequals(name, "host")) ++facts.host_count;
  return true;
}

}  // namespace

HeadLines::Next HeadLines::next(std::string_view& line) {
  if (position_ >= head_.size()) return Next::malformed;
  const void* found = std::memchr(head_.data() + position_, '\n', head_.size() - position_);
  if (found == nullptr) return Next::malformed;
  const auto lf = static_cast<std::size_t>(static_cast<const char*>(found) - head_.data());
  if (lf == position_ || head_[lf - 1] != '\r') return Next::malformed;  // bare LF
  line = head_.substr(position_, lf - 1 - position_);
  position_ = lf + 1;
  return line.empty() ? Next::end : Next::line;
}

VersionSyntax parse_version(std::string_view text) {
  if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || !is_digit(text[5]) || text[6] != '.' ||
      !is_digit(text[7])) {
    return VersionSyntax::malformed;
  }
  if (text == "HTTP/1.0") return VersionSyntax::http10;
  // RFC 9110 §2.5: a higher minor version of a major version we speak is handled as our highest.
  if (text[5] == '1') return VersionSyntax::http11;
  return VersionSyntax::unsupported;
}

FieldsResult scan_fields(HeadLines& lines, std::vector<Header>& headers, FieldFacts& facts,
                         const char*& reason) {
  std::string_view line;
  for (;;) {
    switch (lines.next(line)) {
      case HeadLines::Next::end:
        return FieldsResult::ok;
      case HeadLines::Next::malformed:
        reason = "line not terminated by CRLF";
        return FieldsResult::malformed;
      case HeadLines::Next::line:
        break;
    }
    // obs-fold, or whitespace between the start line and the first field (RFC 9112 §2.2,
    // §5.2): both are rejected, since servers disagree on how to join such lines.
    if (is_ows(line.front())) {
      reason = "folded or indented header line";
      return FieldsResult::malformed;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      reason = "header line without colon";
      return FieldsResult::malformed;
    }
    const std::string_view name = line.substr(0, colon);
    if (!name.empty() && is_ows(name.back())) {
      // RFC 9112 §5.1: MUST reject with 400 ("Content-Length : 5" smuggling).
      reason = "whitespace before colon";
      return FieldsResult::malformed;
    }
    if (!is_token(name)) {
      reason = "invalid header name";
      return FieldsResult::malformed;
    }
    const std::string_view raw_value = line.substr(colon + 1);
    for (char c : raw_value) {
      if (!is_field_value_char(static_cast<unsigned char>(c))) {
        reason = "control character in header value";
        return FieldsResult::malformed;
      }
    }
    if (headers.size() >= kMaxHeaders) {
      reason = "too many header fields";
      return FieldsResult::too_many;
    }
    headers.push_back(Header{name, trim_ows(raw_value)});
    if (!record_field(headers.back(), facts, reason)) return FieldsResult::malformed;
  }
}

}  // namespace tether::lb::http::detail
