#include "lb/certificate_expiry.h"

#include <ctime>

namespace tether::lb {

bool expiring(const config::TlsCertificate& certificate,
              std::chrono::system_clock::time_point now) {
  return certificate.not_after <= now + kCertificateExpiryWarning;
}

std::string utc_text(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::vector<std::string> certificate_expiry_warnings(const config::Config& config,
                                                     std::chrono::system_clock::time_point now) {
  std::vector<std::string> lines;
  for (const auto& frontend : config.frontends) {
    if (!frontend.tls) continue;
    for (const auto& certificate : frontend.tls->certificates) {
      if (!expiring(certificate, now)) continue;
      std::string names;
      for (const auto& name : certificate.names)
        names += (names.empty() ? "" : ", ") + name;
      std::string line = "frontend " + frontend.name + ": certificate " + certificate.cert_file +
                         " (" + names + ") ";
      if (certificate.not_after <= now) {
        line += "expired " + utc_text(certificate.not_after) + "; clients will refuse it";
      } else {
        const auto days =
            std::chrono::duration_cast<std::chrono::days>(certificate.not_after - now).count();
        line += "expires " + utc_text(certificate.not_after) + ", in " + std::to_string(days) +
                (days == 1 ? " day" : " days");
      }
      lines.push_back(std::move(line));
    }
  }
  return lines;
}

}  // namespace tether::lb
