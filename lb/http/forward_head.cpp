#include "lb/http/forward_head.h"

#include <utility>

#include "lb/address_text.h"
#include "lb/http/cookie_header.h"
#include "lb/http/tokens.h"

namespace tether::lb::http {

namespace {

// Hop-by-hop fields Tether writes itself on each side.
bool connection_field(std::string_view name) {
  return iequals(name, "connection") || iequals(name, "keep-alive") ||
         iequals(name, "proxy-connection");
}

// Whether `field` is a Content-Length, which goes on once, in its one value.
bool content_length_written(const Header& field, bool& length_sent, std::string& out) {
  if (!iequals(field.name, "content-length")) return false;
  if (!std::exchange(length_sent, true))
    out.append(field.name).append(": ").append(content_length_value(field.value)).append("\r\n");
  return true;
}

}  // namespace

std::string request_head_for_server(const RequestHead& request, const RequestForwarding& how) {
  std::string out;
  out.reserve(request.size + 128);
  out.append(request.method).append(" ").append(request.target);
  out.append(request.version == Version::http11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
  std::string forwarded_for;
  const ConnectionOptions hop(request.headers);
  bool length_sent = false;
  for (const auto& h : request.headers) {
    if (connection_field(h.name) || content_length_written(h, length_sent, out)) continue;
    // This hop's fields stay here; an Upgrade offered is passed on only when taken.
    if (iequals(h.name, "upgrade") ? !how.upgrade : hop.names(h.name)) continue;
    if (iequals(h.name, "x-forwarded-for")) {
      forwarded_for.append(forwarded_for.empty() ? "" : ", ").append(h.value);
      continue;
    }
    if (!how.drop_cookie.empty() && iequals(h.name, "cookie")) {
      const std::string rest = remove_cookie(h.value, how.drop_cookie);
      if (!rest.empty()) out.append(h.name).append(": ").append(rest).append("\r\n");
      continue;
    }
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  out.append("X-Forwarded-For: ").append(forwarded_for).append(forwarded_for.empty() ? "" : ", ");
  append_address(out, how.client);
  out.append("\r\n");
  if (how.upgrade)
    out.append("Connection: upgrade\r\n");
  else if (request.version == Version::http10)
    out.append("Connection: keep-alive\r\n");
  out.append("\r\n");
  return out;
}

bool readable_by(const ResponseHead& head, Version client_version) {
  if (client_version == Version::http11) return true;
  for (const auto& h : head.headers)
    if (iequals(h.name, "transfer-encoding")) return false;
  return true;
}

void begin_response_head(const ResponseHead& head, Version version, std::string& out) {
  out.clear();
  out.reserve(head.size + 128);
  out.append(version == Version::http11 ? "HTTP/1.1 " : "HTTP/1.0 ")
      .append(std::to_string(head.status))
      .append(" ")
      .append(head.reason)
      .append("\r\n");
  const ConnectionOptions hop(head.headers);
  bool length_sent = false;
  for (const auto& h : head.headers) {
    if (connection_field(h.name) || hop.names(h.name) ||
        content_length_written(h, length_sent, out))
      continue;
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
}

void end_response_head(Version version, bool close, std::string& out) {
  if (close)
    out.append("Connection: close\r\n");
  else if (version == Version::http10)
    out.append("Connection: keep-alive\r\n");
  out.append("\r\n");
}

}  // namespace tether::lb::http
