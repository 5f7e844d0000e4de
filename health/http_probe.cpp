#include "health/http_probe.h"

#include <asio/write.hpp>

namespace tether::health {

std::optional<unsigned> parse_status_line(std::string_view head) {
  const auto eol = head.find("\r\n");
  if (eol == std::string_view::npos) {
    // A status line never needs more than this; a longer one is not HTTP.
    if (head.size() > 256) return 0u;
    return std::nullopt;
  }
  const std::string_view line = head.substr(0, eol);
  // "HTTP/1.1 200 OK": version, one space, three digits, then a space or the end.
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return 0u;
  if (line[7] != '0' && line[7] != '1') return 0u;
  unsigned status = 0;
  for (int i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return 0u;
    status = status * 10 + static_cast<unsigned>(line[i] - '0');
  }
  if (line.size() > 12 && line[12] != ' ') return 0u;
  if (status < 100) return 0u;
  return status;
}

bool status_expected(unsigned status, const std::vector<config::StatusRange>& ranges) {
  for (const auto& r : ranges)
    if (status >= r.low && status <= r.high) return true;
  return false;
}

HttpProbe::HttpProbe(asio::io_context& context, asio::ip::tcp::endpoint target,
                     const std::string& path, const std::string& host,
                     std::vector<config::StatusRange> expect)
    : socket_(context), target_(target), expect_(std::move(expect)) {
  request_ = "GET " + path + " HTTP/1.1\r\nHost: " + host +
             "\r\nUser-Agent: tether-health\r\nAccept: */*\r\nConnection: close\r\n\r\n";
}

void HttpProbe::start(Done done) {
  done_ = std::move(done);
  socket_.async_connect(target_, [this, self = shared_from_this()](std::error_code ec) {
    if (!done_) return;
    if (ec) return finish(false, ec.message());
    asio::async_write(socket_, asio::buffer(request_),
                      [this, self](std::error_code ec, std::size_t) {
                        if (!done_) return;
                        if (ec) return finish(false, "sending the request: " + ec.message());
                        read();
                      });
  });
}

void HttpProbe::read() {
  socket_.async_read_some(
      asio::buffer(buffer_), [this, self = shared_from_this()](std::error_code ec, std::size_t n) {
        if (!done_) return;
        head_.append(buffer_.data(), n);
        if (const auto status = parse_status_line(head_)) {
          if (*status == 0) return finish(false, "not an HTTP response");
          const bool ok = status_expected(*status, expect_);
          return finish(ok, "status " + std::to_string(*status));
        }
        if (ec)
          return finish(false, ec == asio::error::eof ? "closed before answering" : ec.message());
        read();
      });
}

void HttpProbe::finish(bool ok, std::string detail) {
  auto done = std::move(done_);
  done_ = nullptr;
  std::error_code ignored;
  socket_.close(ignored);
  done(ok, std::move(detail));
}

void HttpProbe::cancel() {
  done_ = nullptr;
  std::error_code ignored;
  socket_.close(ignored);
}

}  // namespace tether::health
