#include "health/http_probe.h"

#include <asio/ssl/error.hpp>
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
                     std::vector<config::StatusRange> expect, std::optional<Tls> tls)
    : stream_(context), tls_(std::move(tls)), target_(target), expect_(std::move(expect)) {
  request_ = "GET " + path + " HTTP/1.1\r\nHost: " + host +
             "\r\nUser-Agent: tether-health\r\nAccept: */*\r\nConnection: close\r\n\r\n";
}

void HttpProbe::start(Done done) {
  done_ = std::move(done);
  stream_.socket().async_connect(target_, [this, self = shared_from_this()](std::error_code ec) {
    if (!done_) return;
    if (ec) return finish(false, ec.message());
    if (tls_)
      handshake();
    else
      send();
  });
}

void HttpProbe::handshake() {
  auto& layer = stream_.start_tls(tls_->context->context());
  // No session is offered: each check verifies the certificate the server presents now.
  tls_->context->prepare(layer, tls_->peer, "");
  layer.async_handshake(asio::ssl::stream_base::client, [this, self = shared_from_this()](
                                                            std::error_code ec) {
    if (!done_) return;
    if (ec)
      return finish(false, "tls: " + lb::describe_tls_failure(ec, stream_.tls()->native_handle()));
    send();
  });
}

void HttpProbe::send() {
  asio::async_write(stream_, asio::buffer(request_),
                    [this, self = shared_from_this()](std::error_code ec, std::size_t) {
                      if (!done_) return;
                      if (ec) return finish(false, "sending the request: " + ec.message());
                      read();
                    });
}

void HttpProbe::read() {
  stream_.async_read_some(asio::buffer(buffer_),
                          [this, self = shared_from_this()](std::error_code ec, std::size_t n) {
                            if (!done_) return;
                            head_.append(buffer_.data(), n);
                            if (const auto status = parse_status_line(head_)) {
                              if (*status == 0) return finish(false, "not an HTTP response");
                              const bool ok = status_expected(*status, expect_);
                              return finish(ok, "status " + std::to_string(*status));
                            }
                            if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
                              return finish(false, "closed before answering");
                            if (ec) return finish(false, ec.message());
                            read();
                          });
}

void HttpProbe::finish(bool ok, std::string detail) {
  auto done = std::move(done_);
  done_ = nullptr;
  stream_.close();
  done(ok, std::move(detail));
}

void HttpProbe::cancel() {
  done_ = nullptr;
  stream_.close();
}

}  // namespace tether::health
