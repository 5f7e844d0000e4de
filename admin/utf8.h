// The little UTF-8 the admin API needs: JSON text must be valid UTF-8 (RFC 8259 §8.1), both what
// we read and what we write, even when a request echoes bytes that are not.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tether::admin {

// Length of the well-formed UTF-8 sequence at the start of `text` (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0 when it is not one (or `text` is empty).
std::size_t utf8_sequence_length(std::string_view text);

// Appends the UTF-8 encoding of a Unicode scalar value.
void append_utf8(std::string& out, char32_t code_point);

// Appends the well-formed sequence at the start of non-empty `text`, or U+FFFD for its first
// byte when there is none there; returns how many bytes of `text` it took.
std::size_t append_utf8_or_replacement(std::string& out, std::string_view text);

}  // namespace tether::admin
