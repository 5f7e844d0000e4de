#include "lb/http/head.h"

#include <cstring>

namespace tether::lb::http {

std::size_t find_head_end(std::string_view data, std::size_t from) {
  // An LF at from-1 or from-2 may have been waiting for the bytes that just arrived; anything
  // earlier was fully decided by the previous call.
  std::size_t at = from >= 2 ? from - 2 : 0;
  while (at < data.size()) {
    const void* found = std::memchr(data.data() + at, '\n', data.size() - at);
    if (found == nullptr) return std::string_view::npos;
    const auto lf = static_cast<std::size_t>(static_cast<const char*>(found) - data.data());
    if (lf + 1 < data.size() && data[lf + 1] == '\n') return lf + 2;
    if (lf + 2 < data.size() && data[lf + 1] == '\r' && data[lf + 2] == '\n') return lf + 3;
    at = lf + 1;
  }
  return std::string_view::npos;
}

}  // namespace tether::lb::http
