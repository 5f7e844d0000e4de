// Healthy when `GET path` with `Host: host` answers a status within the expected ranges; for
// https checks, after a TLS handshake with the pool's tls settings (verification included).
#pragma once

#include <array>
#include <asio/ip/tcp.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "health/probe.h"
#include "lb/stream.h"
#include "lb/tls_client_context.h"

namespace tether::health {

// The status code of an HTTP/1.x status line at the start of `head`, once the line is complete.
// nullopt while incomplete; 0 when it is not an HTTP/1.x status line.
std::optional<unsigned> parse_status_line(std::string_view head);

bool status_expected(unsigned status, const std::vector<config::StatusRange>& ranges);

class HttpProbe : public Probe {
 public:
  // How an https check talks TLS: the pool's context and the name sent as SNI and verified.
  struct Tls {
    std::shared_ptr<lb::TlsClientContext> context;
    lb::TlsPeerName peer;
  };

  HttpProbe(asio::io_context& context, asio::ip::tcp::endpoint target, const std::string& path,
            const std::string& host, std::vector<config::StatusRange> expect,
            std::optional<Tls> tls = std::nullopt);
  void start(Done done) override;
  void cancel() override;

 private:
  void handshake();
  void send();
  void read();
  void finish(bool ok, std::string detail);

  lb::Stream stream_;
  std::optional<Tls> tls_;
  asio::ip::tcp::endpoint target_;
  std::string request_;
  std::vector<config::StatusRange> expect_;
  std::array<char, 512> buffer_;
  std::string head_;
  Done done_;
};

}  // namespace tether::health
