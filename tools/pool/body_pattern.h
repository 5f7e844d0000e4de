// The deterministic body of `GET /bytes/N`: byte i is 'a' + i % 26. The period is not a power of
// two, so a client (or a load balancer) that drops, repeats or reorders a buffer-sized piece of
// the stream is caught by a plain comparison.
#pragma once

#include <cstdint>
#include <string_view>

namespace tether::pool {

inline constexpr std::uint64_t pattern_period = 26;

inline char pattern_byte(std::uint64_t offset) {
  return static_cast<char>('a' + offset % pattern_period);
}

// Up to `max_size` bytes of the pattern starting at stream offset `offset`, from one shared
// immutable buffer (no allocation per response).
std::string_view pattern_slice(std::uint64_t offset, std::uint64_t max_size);

// The largest slice pattern_slice() hands out.
inline constexpr std::uint64_t pattern_slice_max = 256 * 1024;

}  // namespace tether::pool
