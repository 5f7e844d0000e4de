#include "lb/access_log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace tether::lb {

AccessLog::AccessLog(const std::string& target) {
  if (target == "off") return;
  spdlog::sink_ptr sink;
  if (target == "stdout")
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  else
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(target);
  // Not registered globally: several daemons may live in one test process.
  logger_ = std::make_shared<spdlog::logger>("access", std::move(sink));
  logger_->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %v");
  logger_->flush_on(spdlog::level::info);
}

AccessLog::~AccessLog() = default;

void AccessLog::write(const ConnectionRecord& r) {
  if (!logger_) return;
  const auto address = r.client.address();
  logger_->info(
      "client={}{}{}:{} frontend={} server={} bytes_in={} bytes_out={} duration_ms={} end={}",
      address.is_v6() ? "[" : "", address.to_string(), address.is_v6() ? "]" : "", r.client.port(),
      r.frontend, r.server.empty() ? "-" : r.server, r.bytes_in, r.bytes_out, r.duration.count(),
      r.end);
}

void AccessLog::write(const RequestRecord& r) {
  if (!logger_) return;
  const auto address = r.client.address();
  logger_->info(
      "client={}{}{}:{} frontend={} server={} method={} target={} status={} bytes_in={} "
      "bytes_out={} duration_ms={} affinity={} set_cookie={}",
      address.is_v6() ? "[" : "", address.to_string(), address.is_v6() ? "]" : "", r.client.port(),
      r.frontend, r.server.empty() ? "-" : r.server, r.method, r.target.empty() ? "-" : r.target,
      r.status, r.bytes_in, r.bytes_out, r.duration.count(), r.affinity, r.set_cookie ? 1 : 0);
}

}  // namespace tether::lb
