// Frontend certificates close to their end (issue 8): a warning at start and at every reload for
// each one that expires within 30 days or has expired, and what the metrics say about them, so
// that an alert fires well before clients start refusing the handshake.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/config.h"

namespace tether::lb {

inline constexpr auto kCertificateExpiryWarning = std::chrono::days(30);

// Whether `certificate` has expired or expires within kCertificateExpiryWarning of `now`.
bool expiring(const config::TlsCertificate& certificate, std::chrono::system_clock::time_point now);

// One line per expiring certificate of every TLS frontend of `config`: frontend, file, names
// and the date ("frontend web: certificate /etc/tether/ext.pem (ext.contoso.test) expires
// 2026-12-02T10:00:00Z, in 9 days").
std::vector<std::string> certificate_expiry_warnings(const config::Config& config,
                                                     std::chrono::system_clock::time_point now);

// "2026-12-02T10:00:00Z"
std::string utc_text(std::chrono::system_clock::time_point time);

}  // namespace tether::lb
