#include "admin/http_request.h"

#include <algorithm>

namespace tether::admin {

namespace {

// RFC 9110 §5.6.2 tchar.
bool is_token_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

// Field values: visible characters, spaces, tabs and obs-text (RFC 9110 §5.5); no other controls.
bool is_field_value(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7F);
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Calls `visit` with each comma-separated element of a list header, trimmed and lower-cased.
template <class Visit>
void for_each_token(std::string_view list, Visit&& visit) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    if (!item.empty()) visit(lower(item));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

struct LineError {
  int status;
  const char* message;
};

// "METHOD SP request-target SP HTTP/1.x", without its CRLF.
std::optional<LineError> parse_request_line(std::string_view line, HttpRequest& request) {
  const std::size_t first = line.find(' ');
  const std::size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos)
    return LineError{400, "malformed request line"};
  const std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (!is_token(method)) return LineError{400, "malformed request method"};
  if (target.empty() ||
      !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7F; }))
    return LineError{400, "malformed request target"};
  // absolute-form (RFC 9112 §3.2.2): servers must accept it; only its path and query matter here.
  std::string path(target);
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() && lower(target.substr(0, scheme.size())) == scheme) {
      const std::size_t from = target.find_first_of("/?", scheme.size());
      path = from == std::string_view::npos ? "/"
             : target[from] == '?'          ? "/" + std::string(target.substr(from))
                                            : std::string(target.substr(from));
      break;
    }
  }
  if (path.front() != '/') return LineError{400, "request target must be a path"};
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
    return LineError{400, "malformed HTTP version"};
  if (version[5] != '1') return LineError{505, "only HTTP/1.x is supported"};
  request.method = std::string(method);
  request.target = std::move(path);
  request.minor_version = version[7] - '0';
  return std::nullopt;
}

// A bare LF (not preceded by CR) anywhere in `bytes`.
bool has_bare_lf(std::string_view bytes) {
  for (std::size_t i = bytes.find('\n'); i != std::string_view::npos; i = bytes.find('\n', i + 1))
    if (i == 0 || bytes[i - 1] != '\r') return true;
  return false;
}

}  // namespace

const std::string* HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return &value;
  return nullptr;
}

HeadParse parse_request_head(std::string_view head, const RequestReader::Limits& limits) {
  HeadParse result;
  const auto refuse = [&](int status, std::string message) {
    result.request.reset();
    result.error = {status, std::move(message)};
    return result;
  };
  if (has_bare_lf(head)) return refuse(400, "line ends must be CRLF");

  HttpRequest request;
  std::size_t line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) return refuse(400, "malformed request line");
  if (auto error = parse_request_line(head.substr(0, line_end), request))
    return refuse(error->status, error->message);

  std::size_t hosts = 0, lengths = 0;
  std::optional<std::string> transfer_encoding;
  std::string content_length;
  std::string_view rest = head.substr(line_end + 2);
  while (!rest.empty()) {
    line_end = rest.find("\r\n");
    if (line_end == std::string_view::npos) return refuse(400, "malformed header line");
    const std::string_view line = rest.substr(0, line_end);
    rest.remove_prefix(line_end + 2);
    if (line.empty()) return refuse(400, "malformed header line");
    if (line.front() == ' ' || line.front() == '\t')
      return refuse(400, "folded header lines are not accepted");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
      return refuse(400, "malformed header line");
    const std::string_view value = trim(line.substr(colon + 1));
    if (!is_field_value(value)) return refuse(400, "control character in a header value");
    if (request.headers.size() >= limits.max_headers) return refuse(431, "too many header lines");
    request.headers.emplace_back(lower(line.substr(0, colon)), std::string(value));

    const auto& [name, stored] = request.headers.back();
    if (name == "host") {
      ++hosts;
    } else if (name == "content-length") {
      ++lengths;
      content_length = stored;
    } else if (name == "transfer-encoding") {
      transfer_encoding = transfer_encoding ? *transfer_encoding + "," + stored : stored;
    }
  }

  if (request.minor_version >= 1 && hosts == 0) return refuse(400, "missing Host header");
  if (hosts > 1) return refuse(400, "more than one Host header");
  if (transfer_encoding) {
    std::string last;
    for_each_token(*transfer_encoding, [&](std::string token) { last = std::move(token); });
    if (request.minor_version >= 1 && last == "chunked")
      return refuse(411, "chunked bodies are not accepted: send a Content-Length");
    return refuse(400, "unsupported Transfer-Encoding");
  }
  if (lengths > 1) return refuse(400, "more than one Content-Length header");
  if (lengths == 1) {
    if (content_length.empty() || !std::all_of(content_length.begin(), content_length.end(),
                                               [](char c) { return c >= '0' && c <= '9'; }))
      return refuse(400, "malformed Content-Length");
    std::size_t length = 0;
    for (const char c : content_length) {
      length = length * 10 + static_cast<std::size_t>(c - '0');
      if (length > limits.max_body)
        return refuse(413, "body larger than " + std::to_string(limits.max_body) + " bytes");
    }
    result.body_length = length;
  }

  bool close = false, keep_alive = false;
  if (const std::string* connection = request.header("connection"))
    for_each_token(*connection, [&](const std::string& token) {
      close = close || token == "close";
      keep_alive = keep_alive || token == "keep-alive";
    });
  request.keep_alive = !close && (request.minor_version >= 1 || keep_alive);
  result.request = std::move(request);
  return result;
}

RequestReader::Status RequestReader::fail(int status, std::string message) {
  failed_ = true;
  error_ = {status, std::move(message)};
  buffer_.clear();
  pending_.reset();
  return Status::failed;
}

RequestReader::Status RequestReader::next(HttpRequest& request) {
  if (failed_) return Status::failed;
  if (!pending_) {
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    std::size_t skip = 0;
    while (buffer_.compare(skip, 2, "\r\n") == 0)
      skip += 2;
    buffer_.erase(0, skip);

    const std::size_t end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (buffer_.size() > limits_.max_head)
        return fail(431, "request head larger than " + std::to_string(limits_.max_head) + " bytes");
      // Refuse garbage as soon as it shows, rather than waiting for a blank line.
      if (has_bare_lf(buffer_)) return fail(400, "line ends must be CRLF");
      const std::size_t line_end = buffer_.find("\r\n");
      HttpRequest ignored;
      if (line_end != std::string::npos)
        if (auto error = parse_request_line(std::string_view(buffer_).substr(0, line_end), ignored))
          return fail(error->status, error->message);
      return Status::need_more;
    }
    const std::size_t head_size = end + 4;
    if (head_size > limits_.max_head)
      return fail(431, "request head larger than " + std::to_string(limits_.max_head) + " bytes");
    HeadParse head = parse_request_head(std::string_view(buffer_).substr(0, end + 2), limits_);
    if (!head.request) return fail(head.error.status, std::move(head.error.message));
    buffer_.erase(0, head_size);
    pending_ = std::move(head.request);
    body_length_ = head.body_length;
    const std::string* expect = pending_->header("expect");
    continue_due_ = pending_->minor_version >= 1 && expect && lower(*expect) == "100-continue" &&
                    buffer_.size() < body_length_;
  }
  if (buffer_.size() < body_length_) return Status::need_more;
  request = std::move(*pending_);
  pending_.reset();
  request.body.assign(buffer_, 0, body_length_);
  buffer_.erase(0, body_length_);
  return Status::complete;
}

}  // namespace tether::admin
