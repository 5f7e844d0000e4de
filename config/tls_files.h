// The PEM files that TLS settings name, read and checked when the configuration is loaded: a
// certificate that does not parse, a key that does not match it or a CA file with no certificate
// is a configuration error at file:line (and on reload, the old configuration keeps serving),
// never a failed handshake later.
#pragma once

#include <string>

#include "config/config.h"
#include "config/parsed.h"

namespace tether::config {

// `cert_path` holds the leaf certificate first, then any intermediates; `key_path` its private
// key (unencrypted PEM: the daemon starts unattended). On failure `key_at_fault` says whether the
// key file (unreadable, not a key, not this certificate's) rather than the certificate is wrong.
Parsed<TlsCertificate> read_certificate(const std::string& cert_path, const std::string& key_path,
                                        bool& key_at_fault);

// A bundle of one or more CA certificates, as PEM text.
Parsed<std::string> read_ca_bundle(const std::string& path);

// Whether `name` (a TLS server name) is covered by `pattern` (a certificate's DNS name; a
// leading "*." matches exactly one label). Case-insensitive.
bool tls_name_matches(std::string_view pattern, std::string_view name);

}  // namespace tether::config
