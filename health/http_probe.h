// Healthy when `GET path` with `Host: host` answers a status within the expected ranges.
#pragma once

#include <array>
#include <asio/ip/tcp.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "health/probe.h"

namespace tether::health {

// The status code of an HTTP/1.x status line at the start of `head`, once the line is complete.
// nullopt while incomplete; 0 when it is not an HTTP/1.x status line.
std::optional<unsigned> parse_status_line(std::string_view head);

bool status_expected(unsigned status, const std::vector<config::StatusRange>& ranges);

class HttpProbe : public Probe {
 public:
  HttpProbe(asio::io_context& context, asio::ip::tcp::endpoint target, const std::string& path,
            const std::string& host, std::vector<config::StatusRange> expect);
  void start(Done done) override;
  void cancel() override;

 private:
  void read();
  void finish(bool ok, std::string detail);

  asio::ip::tcp::socket socket_;
  asio::ip::tcp::endpoint target_;
  std::string request_;
  std::vector<config::StatusRange> expect_;
  std::array<char, 512> buffer_;
  std::string head_;
  Done done_;
};

}  // namespace tether::health
