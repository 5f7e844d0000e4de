#include "lb/http/chunked_framer.h"

#include <algorithm>
#include <limits>

#include "lb/http/tokens.h"

namespace tether::lb::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

ChunkedFramer::Step ChunkedFramer::feed(std::string_view data) {
  if (state_ == State::done) return Step{0, true, false};
  if (state_ == State::error) return Step{0, false, true};
  std::size_t at = 0;
  while (at < data.size()) {
    if (state_ == State::data) {
      // The bulk of a body: skipped in one step, never examined.
      const auto available = static_cast<std::uint64_t>(data.size() - at);
      const auto take = static_cast<std::size_t>(std::min(remaining_, available));
      at += take;
      remaining_ -= take;
      if (remaining_ == 0) state_ = State::data_cr;
      continue;
    }
    if (!step(data[at])) {
      state_ = State::error;
      return Step{at, false, true};
    }
    ++at;
    if (state_ == State::done) return Step{at, true, false};
  }
  return Step{at, false, false};
}

bool ChunkedFramer::step(char c) {
  const auto byte = static_cast<unsigned char>(c);
  switch (state_) {
    case State::size:
    case State::size_space:
    case State::extension:
      if (++line_length_ > kMaxChunkSizeLine) return false;
      break;
    case State::trailer_start:
    case State::trailer_name:
    case State::trailer_value:
    case State::trailer_lf:
    case State::final_lf:
      if (++trailer_length_ > kMaxTrailerSection) return false;
      break;
    default:
      break;
  }

  switch (state_) {
    case State::size: {
      const int digit = hex_value(c);
      if (digit >= 0) {
        // Leading zeros are harmless and bounded by the line limit; a value that would not
        // fit in 64 bits is an error rather than a silent wrap to a small size.
        if (remaining_ > (std::numeric_limits<std::uint64_t>::max() >> 4)) return false;
        remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(digit);
        ++digits_;
        return true;
      }
      if (digits_ == 0) return false;
      if (c == ';') {
        state_ = State::extension;
      } else if (is_ows(c)) {
        state_ = State::size_space;
      } else if (c == '\r') {
        state_ = State::size_lf;
      } else {
        return false;
      }
      return true;
    }
    case State::size_space:
      // chunk-ext = *( BWS ";" ... ): whitespace after the size is only allowed before ';'.
      if (c == ';') {
        state_ = State::extension;
        return true;
      }
      return is_ows(c);
    case State::extension:
      // Extensions are relayed, not interpreted; only line structure matters, so any byte but
      // a CTL is accepted. A bare LF here is the classic desync between parsers.
      if (c == '\r') {
        state_ = State::size_lf;
        return true;
      }
      return is_field_value_char(byte);
    case State::size_lf:
      if (c != '\n') return false;
      state_ = remaining_ == 0 ? State::trailer_start : State::data;
      return true;
    case State::data:
      return false;  // handled in bulk by feed()
    case State::data_cr:
      if (c != '\r') return false;
      state_ = State::data_lf;
      return true;
    case State::data_lf:
      if (c != '\n') return false;
      state_ = State::size;
      digits_ = 0;
      line_length_ = 0;
      return true;
    case State::trailer_start:
      // An empty line ends the body; otherwise a field line, never folded (RFC 9112 §5.2).
      if (c == '\r') {
        state_ = State::final_lf;
        return true;
      }
      if (!is_tchar(byte)) return false;
      state_ = State::trailer_name;
      return true;
    case State::trailer_name:
      if (c == ':') {
        state_ = State::trailer_value;
        return true;
      }
      return is_tchar(byte);
    case State::trailer_value:
      if (c == '\r') {
        state_ = State::trailer_lf;
        return true;
      }
      return is_field_value_char(byte);
    case State::trailer_lf:
      if (c != '\n') return false;
      state_ = State::trailer_start;
      return true;
    case State::final_lf:
      if (c != '\n') return false;
      state_ = State::done;
      return true;
    case State::done:
    case State::error:
      return false;
  }
  return false;
}

}  // namespace tether::lb::http
