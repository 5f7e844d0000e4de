#include "tools/pool/body_pattern.h"

#include <algorithm>
#include <array>

namespace tether::pool {
namespace {

// One period of slack so any phase of the pattern can start a full-sized slice.
using PatternBuffer = std::array<char, pattern_slice_max + pattern_period>;

const PatternBuffer& pattern_buffer() {
  static const PatternBuffer buffer = [] {
    PatternBuffer b{};
    for (std::uint64_t i = 0; i < b.size(); ++i)
      b[i] = pattern_byte(i);
    return b;
  }();
  return buffer;
}

}  // namespace

std::string_view pattern_slice(std::uint64_t offset, std::uint64_t max_size) {
  const auto& buffer = pattern_buffer();
  const auto size = std::min(max_size, pattern_slice_max);
  return std::string_view(buffer.data() + offset % pattern_period, size);
}

}  // namespace tether::pool
