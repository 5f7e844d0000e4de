#include "config/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

namespace tether::config {
namespace {

// Certificate files are small; a bigger one is a wrong path (a log, a device).
constexpr std::size_t kMaxPemBytes = 1 << 20;

struct Free {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

std::string quoted(const std::string& path) {
  return "\"" + path + "\"";
}

Parsed<std::string> read_pem_file(const std::string& path) {
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) return failure("cannot read " + quoted(path) + ": " + std::strerror(errno));
  std::string content(kMaxPemBytes + 1, '\0');
  content.resize(std::fread(content.data(), 1, content.size(), in));
  const int read_error = std::ferror(in) ? errno : 0;
  std::fclose(in);
  if (read_error != 0)
    return failure("cannot read " + quoted(path) + ": " + std::strerror(read_error));
  if (content.size() > kMaxPemBytes)
    return failure(quoted(path) + " is larger than 1 MiB; it is not a PEM file");
  return content;
}

// OpenSSL's reason for the last failure, and the error queue left empty for the next caller.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  std::string reason =
      code ? ERR_reason_error_string(code) ? ERR_reason_error_string(code) : "unknown OpenSSL error"
           : "no PEM data";
  ERR_clear_error();
  return reason;
}

Owned<BIO> memory_bio(const std::string& text) {
  return Owned<BIO>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Every certificate in `pem`, in order.
std::vector<Owned<X509>> certificates_in(const std::string& pem) {
  std::vector<Owned<X509>> out;
  Owned<BIO> bio = memory_bio(pem);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    out.emplace_back(cert);
  ERR_clear_error();  // the read past the last one
  return out;
}

std::vector<std::string> dns_names(X509* cert) {
  std::vector<std::string> names;
  Owned<GENERAL_NAMES> alt(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (alt) {
    for (int i = 0; i < sk_GENERAL_NAME_num(alt.get()); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(alt.get(), i);
      if (name->type != GEN_DNS) continue;
      const ASN1_STRING* text = name->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                         static_cast<std::size_t>(ASN1_STRING_length(text)));
    }
    return names;
  }
  // No subjectAltName: the common name, as clients did before RFC 6125.
  char cn[256];
  const int n =
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  if (n > 0) names.emplace_back(cn, static_cast<std::size_t>(n));
  return names;
}

std::chrono::system_clock::time_point not_after(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

Parsed<TlsCertificate> read_certificate(const std::string& cert_path, const std::string& key_path,
                                        bool& key_at_fault) {
  key_at_fault = false;
  Parsed<std::string> cert_pem = read_pem_file(cert_path);
  if (!cert_pem.ok()) return failure(cert_pem.error);
  std::vector<Owned<X509>> chain = certificates_in(*cert_pem.value);
  if (chain.empty()) return failure(quoted(cert_path) + " holds no PEM certificate");
  key_at_fault = true;
  Parsed<std::string> key_pem = read_pem_file(key_path);
  if (!key_pem.ok()) return failure(key_pem.error);
  Owned<BIO> key_bio = memory_bio(*key_pem.value);
  // No passphrase callback: an encrypted key fails here instead of prompting on a terminal.
  Owned<EVP_PKEY> key(PEM_read_bio_PrivateKey(
      key_bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (!key) {
    return failure(quoted(key_path) + " holds no usable PEM private key (" + openssl_reason() +
                   "; encrypted keys are not supported)");
  }
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    ERR_clear_error();
    return failure(quoted(key_path) + " is not the key of the certificate in " + quoted(cert_path));
  }
  TlsCertificate out;
  out.cert_file = cert_path;
  out.key_file = key_path;
  out.cert_pem = std::move(*cert_pem.value);
  out.key_pem = std::move(*key_pem.value);
  out.names = dns_names(chain.front().get());
  out.not_after = not_after(chain.front().get());
  return out;
}

Parsed<std::string> read_ca_bundle(const std::string& path) {
  Parsed<std::string> pem = read_pem_file(path);
  if (!pem.ok()) return pem;
  if (certificates_in(*pem.value).empty())
    return failure(quoted(path) + " holds no PEM certificate");
  return pem;
}

bool tls_name_matches(std::string_view pattern, std::string_view name) {
  const auto equal = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  if (pattern.starts_with("*.")) {
    const std::size_t dot = name.find('.');
    return dot != std::string_view::npos && dot > 0 && equal(pattern.substr(1), name.substr(dot));
  }
  return equal(pattern, name);
}

}  // namespace tether::config
