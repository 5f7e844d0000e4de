// Healthy when a TCP connection to the check port succeeds (Lync: the Front End's SIP port 5061).
#pragma once

#include <asio/ip/tcp.hpp>

#include "health/probe.h"

namespace tether::health {

class TcpProbe : public Probe {
 public:
  TcpProbe(asio::io_context& context, asio::ip::tcp::endpoint target);
  void start(Done done) override;
  void cancel() override;

 private:
  asio::ip::tcp::socket socket_;
  asio::ip::tcp::endpoint target_;
  Done done_;
};

}  // namespace tether::health
