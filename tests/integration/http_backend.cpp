#include "tests/integration/http_backend.h"

// GCC 12 misreads Asio's coroutine frame allocator as a new/delete mismatch (a false positive
// for coroutine lambdas; GCC bug 105729).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <asio/experimental/as_tuple.hpp>

#include "lb/http/chunked_framer.h"
#include "lb/http/head.h"
#include "lb/http/request_head.h"
#include "lb/http/tokens.h"

namespace tether::test {

namespace {
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
}

HttpBackend::HttpBackend(std::string name, const std::string& bind)
    : name_(std::move(name)),
      acceptor_(context_, asio::ip::tcp::endpoint(asio::ip::make_address(bind), 0)) {
  asio::co_spawn(context_, accept_loop(), asio::detached);
  thread_ = std::thread([this] { context_.run(); });
}

HttpBackend::HttpBackend(std::string name, const Tls& tls, const std::string& bind)
    : name_(std::move(name)),
      tls_(asio::ssl::context::tls_server),
      acceptor_(context_, asio::ip::tcp::endpoint(asio::ip::make_address(bind), 0)),
      proxy_v1_(tls.proxy_v1) {
  tls_->use_certificate_chain_file(tls.cert);
  tls_->use_private_key_file(tls.key, asio::ssl::context::pem);
  if (tls.tls12_only) SSL_CTX_set_max_proto_version(tls_->native_handle(), TLS1_2_VERSION);
  asio::co_spawn(context_, accept_loop(), asio::detached);
  thread_ = std::thread([this] { context_.run(); });
}

HttpBackend::~HttpBackend() {
  context_.stop();
  thread_.join();
}

std::string HttpBackend::address() const {
  const auto e = acceptor_.local_endpoint();
  const auto a = e.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

std::vector<std::string> HttpBackend::server_names() const {
  std::lock_guard lock(names_mutex_);
  return server_names_;
}

std::vector<std::string> HttpBackend::proxy_lines() const {
  std::lock_guard lock(names_mutex_);
  return proxy_lines_;
}

asio::awaitable<void> HttpBackend::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec) co_return;
    ++connections_;
    asio::co_spawn(context_, serve(std::make_unique<lb::Stream>(std::move(socket))),
                   asio::detached);
  }
}

asio::awaitable<void> HttpBackend::serve(std::unique_ptr<lb::Stream> stream_owner) {
  lb::Stream& socket = *stream_owner;
  if (proxy_v1_) {
    // Byte by byte, so that not one byte of the TLS handshake behind it is read here.
    std::string line;
    char c = 0;
    while (!line.ends_with("\r\n")) {
      auto [ec, n] = co_await socket.socket().async_read_some(asio::buffer(&c, 1), use_tuple);
      if (ec || line.size() > 107) co_return;
      line += c;
    }
    std::lock_guard lock(names_mutex_);
    proxy_lines_.push_back(line.substr(0, line.size() - 2));
  }
  if (tls_) {
    auto& layer = socket.start_tls(*tls_);
    auto [ec] = co_await layer.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (ec) {
      ++failed_handshakes_;
      co_return;
    }
    const char* sni = SSL_get_servername(layer.native_handle(), TLSEXT_NAMETYPE_host_name);
    {
      std::lock_guard lock(names_mutex_);
      server_names_.push_back(sni ? sni : "");
    }
    if (SSL_session_reused(layer.native_handle())) ++resumed_;
    ++handshakes_;
  }
  std::string in;
  char buffer[16384];
  const auto fill = [&]() -> asio::awaitable<bool> {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), use_tuple);
    if (ec && tls_) {
      if (ec == asio::error::eof) ++close_notifies_;
      if (ec == asio::ssl::error::stream_truncated) ++truncated_;
    }
    if (ec) co_return false;
    in.append(buffer, n);
    co_return true;
  };
  const auto send = [&](const std::string& data) -> asio::awaitable<bool> {
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(data), use_tuple);
    co_return !ec;
  };
  for (;;) {
    while (in.find("\r\n\r\n") == std::string::npos)
      if (!co_await fill()) co_return;
    lb::http::RequestHead head;
    lb::http::ParseError error;
    if (lb::http::parse_request(in, head, error) != lb::http::Parse::complete) {
      co_await send("HTTP/1.1 400 Bad\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      co_return;
    }
    ++requests_;
    const std::string seen = in.substr(0, head.size);
    const std::string path(head.target);
    const std::string method(head.method);
    const bool upgrade = head.upgrade;
    const auto body_kind = head.body;
    const auto length = head.content_length;
    if (head.expect_continue && !co_await send("HTTP/1.1 100 Continue\r\n\r\n")) co_return;
    in.erase(0, head.size);
    // Read (and count) the request body.
    std::uint64_t body_bytes = 0;
    if (body_kind == lb::http::BodyKind::length) {
      while (in.size() < length)
        if (!co_await fill()) co_return;
      body_bytes = length;
      in.erase(0, length);
    } else if (body_kind == lb::http::BodyKind::chunked) {
      lb::http::ChunkedFramer framer;
      for (;;) {
        const auto step = framer.feed(in);
        body_bytes += step.consumed;
        in.erase(0, step.consumed);
        if (step.error) co_return;
        if (step.done) break;
        if (!co_await fill()) co_return;
      }
    }
    const std::string stamp = "X-Tether-Server: " + name_ + "\r\n";
    if (path == "/hang") {
      asio::steady_timer never(context_, std::chrono::hours(1));
      co_await never.async_wait(use_tuple);
      co_return;
    }
    if (path.rfind("/slow/", 0) == 0) {  // answers after that many milliseconds
      asio::steady_timer wait(context_, std::chrono::milliseconds(std::stoi(path.substr(6))));
      co_await wait.async_wait(use_tuple);
      if (!co_await send("HTTP/1.1 200 OK\r\n" + stamp + "Content-Length: 2\r\n\r\nok")) co_return;
      continue;
    }
    if (path == "/upgrade" && upgrade) {
      if (!co_await send(
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: upgrade\r\n" +
              stamp + "\r\n"))
        co_return;
      if (!in.empty() && !co_await send(in)) co_return;
      for (;;) {
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), use_tuple);
        if (ec) co_return;
        if (!co_await send(std::string(buffer, n))) co_return;
      }
    }
    if (path.rfind("/status/", 0) == 0) {
      const int status = std::stoi(path.substr(8));
      const bool bodyless = status == 204 || status == 304;
      std::string r = "HTTP/1.1 " + std::to_string(status) + " S\r\n" + stamp;
      r += bodyless ? "\r\n" : "Content-Length: 2\r\n\r\n";
      if (!bodyless && method != "HEAD") r += "ok";
      if (!co_await send(r)) co_return;
      continue;
    }
    if (path == "/chunked") {
      if (!co_await send("HTTP/1.1 200 OK\r\n" + stamp +
                         "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"))
        co_return;
      if (!co_await send("6\r\n world\r\n0\r\n\r\n")) co_return;
      continue;
    }
    if (path == "/then-close") {  // a keep-alive answer, then the server's idle timeout at once
      co_await send("HTTP/1.1 200 OK\r\n" + stamp + "Content-Length: 2\r\n\r\nok");
      co_return;
    }
    if (path == "/close") {
      co_await send("HTTP/1.1 200 OK\r\n" + stamp + "Connection: close\r\n\r\nuntil close");
      co_return;
    }
    std::string extra;
    if (path == "/set-cookie") extra = "Set-Cookie: ASP.NET_SessionId=abc; path=/\r\n";
    const std::string body = seen + "body-bytes: " + std::to_string(body_bytes) + "\n";
    std::string r = "HTTP/1.1 200 OK\r\n" + stamp + extra +
                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    if (method != "HEAD") r += body;
    if (!co_await send(r)) co_return;
  }
}

std::string HttpReply::header(const std::string& name) const {
  std::size_t at = 0;
  while ((at = head.find("\r\n", at)) != std::string::npos) {
    at += 2;
    const auto colon = head.find(':', at);
    const auto eol = head.find("\r\n", at);
    if (colon == std::string::npos || colon > eol) continue;
    if (lb::http::iequals(std::string_view(head).substr(at, colon - at), name)) {
      auto value = head.substr(colon + 1, eol - colon - 1);
      while (!value.empty() && value.front() == ' ')
        value.erase(0, 1);
      return value;
    }
  }
  return "";
}

int HttpReply::count(const std::string& name) const {
  int n = 0;
  std::size_t at = 0;
  while ((at = head.find("\r\n", at)) != std::string::npos) {
    at += 2;
    const auto colon = head.find(':', at);
    if (colon != std::string::npos && colon < head.find("\r\n", at) &&
        lb::http::iequals(std::string_view(head).substr(at, colon - at), name))
      ++n;
  }
  return n;
}

HttpClient::HttpClient(const asio::ip::tcp::endpoint& target, const std::string& source)
    : socket_(context_) {
  socket_.open(target.protocol());
  socket_.bind(asio::ip::tcp::endpoint(asio::ip::make_address(source), 0));
  socket_.connect(target);
  timeval tv{10, 0};  // a stuck test fails instead of hanging
  setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

void HttpClient::send(const std::string& bytes) {
  asio::write(socket_, asio::buffer(bytes));
}

bool HttpClient::fill() {
  char data[16384];
  std::error_code ec;
  const std::size_t n = socket_.read_some(asio::buffer(data), ec);
  if (ec) return false;
  buffer_.append(data, n);
  return true;
}

HttpReply HttpClient::read(bool head_request) {
  HttpReply reply;
  for (;;) {
    while (buffer_.find("\r\n\r\n") == std::string::npos)
      if (!fill()) return reply;
    const auto end = buffer_.find("\r\n\r\n") + 4;
    reply.head = buffer_.substr(0, end);
    buffer_.erase(0, end);
    reply.status = static_cast<unsigned>(std::stoi(reply.head.substr(9, 3)));
    if (reply.status >= 100 && reply.status < 200 && reply.status != 101) continue;  // interim
    break;
  }
  if (head_request || reply.status == 204 || reply.status == 304 || reply.status == 101)
    return reply;
  if (const auto length = reply.header("Content-Length"); !length.empty()) {
    const std::size_t n = std::stoul(length);
    while (buffer_.size() < n)
      if (!fill()) break;
    reply.body = buffer_.substr(0, n);
    buffer_.erase(0, std::min(n, buffer_.size()));
  } else if (lb::http::iequals(reply.header("Transfer-Encoding"), "chunked")) {
    for (;;) {
      while (buffer_.find("\r\n") == std::string::npos)
        if (!fill()) return reply;
      const std::size_t size = std::stoul(buffer_.substr(0, buffer_.find("\r\n")), nullptr, 16);
      buffer_.erase(0, buffer_.find("\r\n") + 2);
      while (buffer_.size() < size + 2)
        if (!fill()) return reply;
      reply.body += buffer_.substr(0, size);
      buffer_.erase(0, size + 2);
      if (size == 0) break;
    }
  } else {
    while (fill()) {
    }
    reply.body = buffer_;
    buffer_.clear();
  }
  return reply;
}

HttpReply HttpClient::get(const std::string& path, const std::string& extra_headers) {
  send("GET " + path + " HTTP/1.1\r\nHost: pool.contoso.net\r\n" + extra_headers + "\r\n");
  return read();
}

bool HttpClient::closed() {
  timeval tv{3, 0};
  setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char c;
  std::error_code ec;
  const std::size_t n = socket_.read_some(asio::buffer(&c, 1), ec);
  return n == 0 && (ec == asio::error::eof || ec == asio::error::connection_reset);
}

std::vector<std::unique_ptr<HttpBackend>> backends(int n) {
  std::vector<std::unique_ptr<HttpBackend>> result;
  for (int i = 1; i <= n; ++i)
    result.push_back(std::make_unique<HttpBackend>("fe0" + std::to_string(i)));
  return result;
}

}  // namespace tether::test
