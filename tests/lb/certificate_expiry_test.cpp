// Which frontend certificates are warned about, and how the warning reads (issue 8).
#include "lb/certificate_expiry.h"

#include <gtest/gtest.h>

namespace tether::lb {
namespace {

using namespace std::chrono_literals;

config::Config with_certificate(std::chrono::system_clock::time_point not_after) {
  config::TlsCertificate certificate;
  certificate.cert_file = "/etc/tether/ext.pem";
  certificate.names = {"ext.contoso.test", "*.contoso.test"};
  certificate.not_after = not_after;
  config::FrontendConfig frontend;
  frontend.name = "web-ext-443";
  frontend.mode = config::Mode::http;
  frontend.tls = config::FrontendTls{{certificate}, config::TlsVersion::tls12};
  config::FrontendConfig plain;  // no tls: nothing to say
  plain.name = "web-int-80";
  config::Config config;
  config.frontends = {frontend, plain};
  return config;
}

const auto kNow = std::chrono::sys_days(std::chrono::year(2026) / 11 / 22) + 12h;

TEST(CertificateExpiry, ThirtyDaysAheadIsTheLine) {
  EXPECT_TRUE(certificate_expiry_warnings(with_certificate(kNow + 31 * 24h), kNow).empty());
  EXPECT_EQ(certificate_expiry_warnings(with_certificate(kNow + 30 * 24h), kNow).size(), 1u);
  const auto lines = certificate_expiry_warnings(with_certificate(kNow + 9 * 24h + 1h), kNow);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "frontend web-ext-443: certificate /etc/tether/ext.pem (ext.contoso.test, "
            "*.contoso.test) expires 2026-12-01T13:00:00Z, in 9 days");
}

TEST(CertificateExpiry, AnExpiredCertificateSaysSo) {
  const auto lines = certificate_expiry_warnings(with_certificate(kNow - 24h), kNow);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "frontend web-ext-443: certificate /etc/tether/ext.pem (ext.contoso.test, "
            "*.contoso.test) expired 2026-11-21T12:00:00Z; clients will refuse it");
  config::TlsCertificate c;
  c.not_after = kNow;
  EXPECT_TRUE(expiring(c, kNow));
  c.not_after = kNow + kCertificateExpiryWarning + 1s;
  EXPECT_FALSE(expiring(c, kNow));
}

}  // namespace
}  // namespace tether::lb
