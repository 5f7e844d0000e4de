// Finds where a chunked body ends (RFC 9112 §7.1). Tether relays chunked bodies unchanged, so the
// framer does not decode: it only follows chunk sizes, extensions and trailers far enough to
// know which byte is the last one of the message, whatever the read boundaries are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tether::lb::http {

// Bounds on the parts of a chunked body that are not data: without them a peer could make us
// parse an endless extension or trailer section.
inline constexpr std::size_t kMaxChunkSizeLine = 8 * 1024;   // chunk-size + extensions
inline constexpr std::size_t kMaxTrailerSection = 8 * 1024;  // all trailer lines + final CRLF

class ChunkedFramer {
 public:
  struct Step {
    std::size_t consumed = 0;  // bytes of `data` that belong to the body
    bool done = false;         // the body ended at data[consumed - 1]
    bool error = false;        // malformed at data[consumed]; the connection must be closed
  };

  // Feeds the next bytes of the body; any split works, down to one byte at a time. After
  // `done`, bytes beyond `consumed` belong to the next message and are not looked at.
  // After `done` or `error`, further calls consume nothing and repeat the outcome.
  Step feed(std::string_view data);

  void reset() { *this = ChunkedFramer{}; }

 private:
  enum class State : std::uint8_t {
    size,        // hex digits of chunk-size
    size_space,  // BWS after the size, which must lead to ';'
    extension,   // chunk-ext up to CR
    size_lf,     // LF ending the chunk-size line
    data,        // chunk data
    data_cr,     // CRLF after chunk data
    data_lf,
    trailer_start,  // start of a trailer line, or the final CRLF
    trailer_name,
    trailer_value,
    trailer_lf,
    final_lf,
    done,
    error,
  };

  // Advances over one byte outside chunk data; false if it is not allowed here.
  bool step(char c);

  State state_ = State::size;
  std::uint64_t remaining_ = 0;  // chunk size while reading it, then data bytes left
  std::size_t digits_ = 0;
  std::size_t line_length_ = 0;     // bytes of the current chunk-size line
  std::size_t trailer_length_ = 0;  // bytes of the trailer section so far
};

}  // namespace tether::lb::http
