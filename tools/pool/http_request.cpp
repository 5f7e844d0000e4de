#include "tools/pool/http_request.h"

#include <algorithm>
#include <cstring>

namespace tether::pool {
namespace {

// RFC 9110 §5.6.2 token characters.
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool parse_decimal(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 18) return false;  // 18 digits cannot overflow 64 bits
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

bool parse_request_line(std::string_view line, RequestHead& head) {
  const auto first_space = line.find(' ');
  if (first_space == std::string_view::npos) return false;
  const auto second_space = line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos) return false;
  head.method = line.substr(0, first_space);
  head.target = line.substr(first_space + 1, second_space - first_space - 1);
  const auto version = line.substr(second_space + 1);
  if (!is_token(head.method) || head.target.empty()) return false;
  for (char c : head.target) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  if (version == "HTTP/1.1") {
    head.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    head.minor_version = 0;
  } else {
    return false;
  }
  return true;
}

// The request line may arrive in pieces; refuse it early when what is there already cannot be
// the start of a request line (a method token followed by a space).
bool plausible_partial_request_line(std::string_view partial) {
  for (char c : partial) {
    if (c == ' ') return true;
    if (!is_tchar(c)) return false;
  }
  return true;
}

struct HeaderFacts {
  bool has_length = false;
  bool has_transfer_encoding = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
};

void apply_connection_tokens(std::string_view value, HeaderFacts& facts) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    const auto token = trim(value.substr(0, comma));
    if (iequals(token, "close")) facts.connection_close = true;
    if (iequals(token, "keep-alive")) facts.connection_keep_alive = true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

bool parse_header_line(std::string_view line, RequestHead& head, HeaderFacts& facts) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  const auto name = line.substr(0, colon);
  if (!is_token(name)) return false;  // also refuses whitespace before the colon
  const auto value = trim(line.substr(colon + 1));
  for (char c : value) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  if (iequals(name, "content-length")) {
    std::uint64_t length = 0;
    if (!parse_decimal(value, length)) return false;
    if (facts.has_length && length != head.content_length) return false;
    facts.has_length = true;
    head.content_length = length;
  } else if (iequals(name, "transfer-encoding")) {
    if (facts.has_transfer_encoding || !iequals(value, "chunked")) return false;
    facts.has_transfer_encoding = true;
    head.chunked = true;
  } else if (iequals(name, "connection")) {
    apply_connection_tokens(value, facts);
  } else if (iequals(name, "expect")) {
    if (iequals(value, "100-continue")) head.expect_continue = true;
  } else if (iequals(name, "x-session")) {
    if (!head.has_session) {
      head.has_session = true;
      head.session = value;
    }
  } else if (iequals(name, "cookie")) {
    if (!head.has_session_cookie) {
      head.has_session_cookie = find_cookie(value, "ASP.NET_SessionId", head.session_cookie);
    }
  }
  return true;
}

}  // namespace

bool find_cookie(std::string_view header_value, std::string_view name, std::string_view& value) {
  while (!header_value.empty()) {
    const auto semicolon = header_value.find(';');
    const auto pair = trim(header_value.substr(0, semicolon));
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos && trim(pair.substr(0, equals)) == name) {
      value = trim(pair.substr(equals + 1));
      return true;
    }
    if (semicolon == std::string_view::npos) break;
    header_value.remove_prefix(semicolon + 1);
  }
  return false;
}

HeadParse parse_request_head(std::string_view bytes, std::size_t max_head) {
  HeadParse result;
  HeaderFacts facts;
  std::size_t pos = 0;
  // RFC 9112 §2.2: ignore empty lines before the request line (left over after a body).
  while (bytes.substr(pos, 2) == "\r\n")
    pos += 2;
  bool request_line_seen = false;
  for (;;) {
    const auto lf = bytes.find('\n', pos);
    if (lf == std::string_view::npos) {
      if (!request_line_seen && !plausible_partial_request_line(bytes.substr(pos))) {
        result.status = HeadStatus::malformed;
      } else {
        result.status = bytes.size() >= max_head ? HeadStatus::too_large : HeadStatus::need_more;
      }
      return result;
    }
    if (lf + 1 > max_head) {
      result.status = HeadStatus::too_large;
      return result;
    }
    if (lf == pos || bytes[lf - 1] != '\r') {
      result.status = HeadStatus::malformed;  // bare LF
      return result;
    }
    const auto line = bytes.substr(pos, lf - 1 - pos);
    pos = lf + 1;
    bool ok = true;
    if (!request_line_seen) {
      ok = parse_request_line(line, result.head);
      request_line_seen = true;
    } else if (line.empty()) {
      break;
    } else if (line.front() == ' ' || line.front() == '\t') {
      ok = false;  // obsolete line folding
    } else {
      ok = parse_header_line(line, result.head, facts);
    }
    if (!ok || line.find('\r') != std::string_view::npos) {
      result.status = HeadStatus::malformed;
      return result;
    }
  }
  if (facts.has_length && facts.has_transfer_encoding) {
    result.status = HeadStatus::malformed;  // RFC 9112 §6.1: a smuggling vector, refuse it
    return result;
  }
  auto& head = result.head;
  head.keep_alive = head.minor_version == 1
                        ? !facts.connection_close
                        : facts.connection_keep_alive && !facts.connection_close;
  if (head.minor_version == 0) head.expect_continue = false;
  result.status = HeadStatus::complete;
  result.size = pos;
  return result;
}

ChunkedBodySkipper::Status ChunkedBodySkipper::feed(std::string_view bytes, std::size_t& used) {
  std::size_t i = 0;
  auto malformed = [&] {
    used = i;
    return Status::malformed;
  };
  while (i < bytes.size() && state_ != State::done) {
    const char c = bytes[i];
    switch (state_) {
      case State::size: {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit >= 0) {
          if (remaining_ >> 56) return malformed();  // far beyond anything we accept
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(digit);
          size_digits_ = true;
        } else if (!size_digits_) {
          return malformed();
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::extension;
        } else if (c == '\r') {
          state_ = State::size_lf;
        } else {
          return malformed();
        }
        ++i;
        break;
      }
      case State::extension:
        if (c == '\r') state_ = State::size_lf;
        if (c == '\n') return malformed();
        ++i;
        break;
      case State::size_lf:
        if (c != '\n') return malformed();
        state_ = remaining_ == 0 ? State::trailer_start : State::data;
        ++i;
        break;
      case State::data: {
        const auto take = std::min<std::uint64_t>(remaining_, bytes.size() - i);
        i += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::data_cr;
        break;
      }
      case State::data_cr:
        if (c != '\r') return malformed();
        state_ = State::data_lf;
        ++i;
        break;
      case State::data_lf:
        if (c != '\n') return malformed();
        state_ = State::size;
        size_digits_ = false;
        ++i;
        break;
      case State::trailer_start:
        state_ = c == '\r' ? State::final_lf : State::trailer;
        ++i;
        break;
      case State::trailer:
        if (c == '\r') state_ = State::trailer_lf;
        if (c == '\n') return malformed();
        ++i;
        break;
      case State::trailer_lf:
        if (c != '\n') return malformed();
        state_ = State::trailer_start;
        ++i;
        break;
      case State::final_lf:
        if (c != '\n') return malformed();
        state_ = State::done;
        ++i;
        break;
      case State::done:
        break;
    }
  }
  used = i;
  if (state_ != State::done) return Status::need_more;
  *this = ChunkedBodySkipper{};  // ready for the next body
  return Status::done;
}

RequestStream::RequestStream(std::size_t max_head) : max_head_(max_head), buffer_(8 * 1024) {}

std::span<char> RequestStream::prepare() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (end_ == buffer_.size() && begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  // Only an incomplete head fills the buffer from the front; grow it up to the head limit.
  if (end_ == buffer_.size() && buffer_.size() < max_head_) {
    buffer_.resize(std::min(buffer_.size() * 2, max_head_));
  }
  return std::span<char>(buffer_.data() + end_, buffer_.size() - end_);
}

HeadParse RequestStream::next_head() {
  auto parsed = parse_request_head(buffered(), max_head_);
  if (parsed.status != HeadStatus::complete) return parsed;
  begin_ += parsed.size;
  if (parsed.head.chunked) {
    body_ = Body::chunked;
  } else if (parsed.head.content_length > 0) {
    body_ = Body::length;
    body_remaining_ = parsed.head.content_length;
  } else {
    body_ = Body::none;
  }
  return parsed;
}

RequestStream::BodyStatus RequestStream::skip_body() {
  switch (body_) {
    case Body::none:
      return BodyStatus::done;
    case Body::length: {
      const auto take = std::min<std::uint64_t>(body_remaining_, end_ - begin_);
      begin_ += take;
      body_remaining_ -= take;
      if (body_remaining_ > 0) return BodyStatus::need_more;
      body_ = Body::none;
      return BodyStatus::done;
    }
    case Body::chunked: {
      std::size_t used = 0;
      const auto status = chunked_.feed(buffered(), used);
      begin_ += used;
      if (status == ChunkedBodySkipper::Status::malformed) return BodyStatus::malformed;
      if (status == ChunkedBodySkipper::Status::need_more) return BodyStatus::need_more;
      body_ = Body::none;
      return BodyStatus::done;
    }
  }
  return BodyStatus::malformed;
}

}  // namespace tether::pool
