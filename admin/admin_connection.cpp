#include "admin/admin_connection.h"

#include <asio/write.hpp>
#include <string_view>

namespace tether::admin {

namespace {

// After a final answer: how long to keep reading (and discarding) what the client still sends,
// so that closing does not turn into a reset that destroys the answer in flight.
constexpr std::chrono::milliseconds kLinger{2000};

}  // namespace

AdminConnection::AdminConnection(asio::ip::tcp::socket socket, std::shared_ptr<Shared> shared)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), shared_(std::move(shared)) {
  shared_->open.insert(this);
}

AdminConnection::~AdminConnection() {
  shared_->open.erase(this);
}

void AdminConnection::start() {
  // A whole request must arrive within the idle timeout: a slow sender cannot hold a connection.
  arm_timer(shared_->idle_timeout);
  read();
}

void AdminConnection::close() {
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  std::error_code ignored;
  socket_.close(ignored);
}

void AdminConnection::arm_timer(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (!ec) self->close();
  });
}

void AdminConnection::read() {
  socket_.async_read_some(asio::buffer(buffer_),
                          [self = shared_from_this()](std::error_code ec, std::size_t n) {
                            if (self->stopped()) return;
                            if (ec) return self->close();
                            self->reader_.feed(std::string_view(self->buffer_.data(), n));
                            self->process();
                          });
}

void AdminConnection::process() {
  HttpRequest request;
  switch (reader_.next(request)) {
    case RequestReader::Status::need_more:
      if (reader_.take_continue()) return go_on();
      return read();
    case RequestReader::Status::failed:
      return respond(error_response(reader_.error().status, reader_.error().message), false, false);
    case RequestReader::Status::complete: {
      const HttpResponse response = shared_->routes->handle(request);
      return respond(response, request.keep_alive, request.method == "HEAD");
    }
  }
}

void AdminConnection::go_on() {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  asio::async_write(socket_, asio::buffer(kContinue),
                    [self = shared_from_this()](std::error_code ec, std::size_t) {
                      if (self->stopped()) return;
                      if (ec) return self->close();
                      self->read();
                    });
}

void AdminConnection::respond(const HttpResponse& response, bool keep_alive, bool head_only) {
  out_ = serialize(response, keep_alive, head_only);
  asio::async_write(socket_, asio::buffer(out_),
                    [self = shared_from_this(), keep_alive](std::error_code ec, std::size_t) {
                      if (self->stopped()) return;
                      if (ec) return self->close();
                      if (!keep_alive) return self->linger();
                      self->arm_timer(self->shared_->idle_timeout);
                      self->process();  // a pipelined request may already be buffered
                    });
}

void AdminConnection::linger() {
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  arm_timer(kLinger);
  discard();
}

void AdminConnection::discard() {
  socket_.async_read_some(asio::buffer(buffer_),
                          [self = shared_from_this()](std::error_code ec, std::size_t) {
                            if (self->stopped()) return;
                            if (ec) return self->close();  // EOF: the client has it all
                            self->discard();
                          });
}

}  // namespace tether::admin
