#include "health/tcp_probe.h"

namespace tether::health {

TcpProbe::TcpProbe(asio::io_context& context, asio::ip::tcp::endpoint target)
    : socket_(context), target_(target) {}

void TcpProbe::start(Done done) {
  done_ = std::move(done);
  socket_.async_connect(target_, [this, self = shared_from_this()](std::error_code ec) {
    if (!done_) return;  // cancelled
    auto done = std::move(done_);
    done_ = nullptr;
    std::error_code ignored;
    socket_.close(ignored);
    done(!ec, ec ? ec.message() : "connected");
  });
}

void TcpProbe::cancel() {
  done_ = nullptr;
  std::error_code ignored;
  socket_.close(ignored);
}

}  // namespace tether::health
