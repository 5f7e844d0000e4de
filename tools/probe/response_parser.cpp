#include "tools/probe/response_parser.h"

#include <algorithm>
#include <charconv>

namespace tether::probe {
namespace {

constexpr std::size_t max_line = 4096;  // a chunk-size or trailer line

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Calls `each` with every comma-separated element of a list header, trimmed.
template <class Each>
void for_each_element(std::string_view list, Each each) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    each(trim(list.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

bool parse_decimal(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 18) return false;  // 18 digits cannot overflow 64 bits
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

// Appends bytes up to and including the next CRLF to `line`; true once it is complete.
bool take_line(std::string& line, std::string_view bytes, std::size_t& used) {
  while (used < bytes.size()) {
    line.push_back(bytes[used++]);
    if (line.size() >= 2 && line.ends_with("\r\n")) return true;
    if (line.size() > max_line) return false;
  }
  return false;
}

}  // namespace

ResponseParser::ResponseParser(std::string server_header, bool keep_body)
    : server_header_(std::move(server_header)), keep_body_(keep_body) {}

void ResponseParser::reset() {
  state_ = State::head;
  started_ = false;
  head_.clear();
  line_.clear();
  remaining_ = 0;
  chunked_ = has_length_ = http10_ = false;
  response_.status = 0;
  response_.keep_alive = true;
  response_.server.clear();
  response_.session.clear();
  response_.cookies.clear();
  response_.body.clear();
  body_offset_ = 0;
  body_mismatch_ = false;
}

void ResponseParser::keep(std::string_view data) {
  if (checked_length_) {
    // The pattern's period is 26, not a power of two: a dropped, repeated or reordered
    // buffer-sized piece shows as a mismatch.
    auto expected = static_cast<char>('a' + body_offset_ % 26);
    for (const char c : data) {
      body_mismatch_ = body_mismatch_ || c != expected;
      expected = expected == 'z' ? 'a' : static_cast<char>(expected + 1);
    }
    body_offset_ += data.size();
  }
  if (!keep_body_) return;
  const auto room = max_kept_body - std::min(max_kept_body, response_.body.size());
  response_.body.append(data.substr(0, room));
}

ResponseParser::Status ResponseParser::parse_head(std::string_view head) {
  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  const auto line_end = head.find("\r\n");
  const auto status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return Status::malformed;
  }
  const char minor = status_line[7];
  if (minor != '0' && minor != '1') return Status::malformed;
  http10_ = minor == '0';
  int status = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') return Status::malformed;
    status = status * 10 + (status_line[i] - '0');
  }
  if (status < 100) return Status::malformed;
  response_.status = status;
  response_.keep_alive = !http10_;

  std::string_view rest = head.substr(line_end + 2);
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    const auto line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Status::malformed;
    const auto name = line.substr(0, colon);
    const auto value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::uint64_t length = 0;
      if (!parse_decimal(value, length) || (has_length_ && length != remaining_)) {
        return Status::malformed;
      }
      has_length_ = true;
      remaining_ = length;
    } else if (iequals(name, "transfer-encoding")) {
      // Chunked only when it is the final coding; any other final coding runs to the close.
      std::string_view last;
      for_each_element(value, [&](std::string_view coding) { last = coding; });
      chunked_ = iequals(last, "chunked");
      if (!chunked_) response_.keep_alive = false;
    } else if (iequals(name, "connection")) {
      for_each_element(value, [&](std::string_view option) {
        if (iequals(option, "close")) response_.keep_alive = false;
        if (iequals(option, "keep-alive") && http10_) response_.keep_alive = true;
      });
    } else if (iequals(name, server_header_)) {
      response_.server.assign(value);
    } else if (iequals(name, "x-session")) {
      response_.session.assign(value);
    } else if (iequals(name, "set-cookie")) {
      response_.cookies.emplace_back(value);
    }
  }
  return finish_head();
}

ResponseParser::Status ResponseParser::finish_head() {
  const int status = response_.status;
  if (status == 101) return Status::malformed;  // we never ask to upgrade
  if (status < 200) {
    // An interim response (100 Continue, 103 Early Hints): the real one follows.
    const bool keep_alive = response_.keep_alive;
    reset();
    started_ = true;
    response_.keep_alive = keep_alive;
    return Status::need_more;
  }
  if (status == 204 || status == 304) {
    state_ = State::done;
  } else if (chunked_) {
    state_ = State::chunk_size;
  } else if (has_length_) {
    state_ = remaining_ == 0 ? State::done : State::body_length;
  } else {
    state_ = State::body_close;
    response_.keep_alive = false;
  }
  return state_ == State::done ? Status::complete : Status::need_more;
}

ResponseParser::Status ResponseParser::feed(std::string_view bytes, std::size_t& used) {
  used = 0;
  if (!bytes.empty()) started_ = true;
  while (true) {
    switch (state_) {
      case State::head: {
        if (used == bytes.size()) return Status::need_more;
        const auto before = head_.size();
        head_.append(bytes.substr(used));
        const auto end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
        if (end == std::string::npos) {
          if (head_.size() > max_head) return Status::malformed;
          used = bytes.size();
          return Status::need_more;
        }
        used += end + 4 - before;
        head_.resize(end + 4);
        const std::string head = std::move(head_);
        head_.clear();
        if (parse_head(head) == Status::malformed) return Status::malformed;
        break;
      }
      case State::body_length: {
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size() - used));
        keep(bytes.substr(used, n));
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ = State::done;
          break;
        }
        return Status::need_more;
      }
      case State::body_close:
        keep(bytes.substr(used));
        used = bytes.size();
        return Status::need_more;
      case State::chunk_size:
      case State::chunk_data:
      case State::chunk_crlf:
      case State::trailer: {
        const auto status = feed_chunked(bytes, used);
        if (status != Status::complete) return status;
        break;
      }
      case State::done:
        return Status::complete;
    }
  }
}

// RFC 9112 §7.1: chunk-size [; ext] CRLF, data CRLF, ..., 0 CRLF, trailers, CRLF. Returns
// `complete` when it made progress to another state (the caller loops), need_more when the bytes
// ran out.
ResponseParser::Status ResponseParser::feed_chunked(std::string_view bytes, std::size_t& used) {
  switch (state_) {
    case State::chunk_size: {
      if (!take_line(line_, bytes, used)) {
        return line_.size() > max_line ? Status::malformed : Status::need_more;
      }
      std::string_view size = std::string_view(line_).substr(0, line_.size() - 2);
      size = trim(size.substr(0, size.find(';')));
      std::uint64_t n = 0;
      const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), n, 16);
      if (size.empty() || size.size() > 15 || ec != std::errc{} ||
          end != size.data() + size.size()) {
        return Status::malformed;
      }
      line_.clear();
      remaining_ = n;
      state_ = n == 0 ? State::trailer : State::chunk_data;
      return Status::complete;
    }
    case State::chunk_data: {
      const auto n =
          static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size() - used));
      keep(bytes.substr(used, n));
      used += n;
      remaining_ -= n;
      if (remaining_ != 0) return Status::need_more;
      state_ = State::chunk_crlf;
      return Status::complete;
    }
    case State::chunk_crlf:
      if (!take_line(line_, bytes, used)) {
        return line_.size() > 2 ? Status::malformed : Status::need_more;
      }
      if (line_ != "\r\n") return Status::malformed;
      line_.clear();
      state_ = State::chunk_size;
      return Status::complete;
    case State::trailer:
      if (!take_line(line_, bytes, used)) {
        return line_.size() > max_line ? Status::malformed : Status::need_more;
      }
      if (line_ == "\r\n") state_ = State::done;
      line_.clear();
      return Status::complete;
    default:
      return Status::malformed;
  }
}

ResponseParser::Status ResponseParser::finish_on_close() {
  if (state_ == State::body_close) state_ = State::done;
  return state_ == State::done ? Status::complete : Status::malformed;
}

bool set_cookie_value(std::string_view set_cookie, std::string_view name, std::string& value) {
  const auto pair = set_cookie.substr(0, set_cookie.find(';'));
  const auto equals = pair.find('=');
  if (equals == std::string_view::npos || trim(pair.substr(0, equals)) != name) return false;
  // A quoted value keeps its quotes: the client sends it back as it came (RFC 6265 §5.4).
  value.assign(trim(pair.substr(equals + 1)));
  return true;
}

}  // namespace tether::probe
