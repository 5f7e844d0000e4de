#include <gtest/gtest.h>

#include <string>

#include "lb/http/head.h"

namespace tether::lb::http {
namespace {

constexpr auto npos = std::string_view::npos;

// Feeds `data` one byte at a time, passing the previous size as `from` like a reading session.
std::size_t end_found_byte_by_byte(std::string_view data, std::size_t& calls_before_end) {
  std::size_t from = 0;
  calls_before_end = 0;
  for (std::size_t n = 1; n <= data.size(); ++n) {
    const std::size_t end = find_head_end(data.substr(0, n), from);
    if (end != npos) return end;
    ++calls_before_end;
    from = n;
  }
  return npos;
}

TEST(HttpHeadEnd, FoundAfterTheEmptyLine) {
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_EQ(find_head_end(head + "body", 0), head.size());
  EXPECT_EQ(find_head_end(head.substr(0, head.size() - 1), 0), npos);
}

TEST(HttpHeadEnd, ByteByByteFindsTheSameEnd) {
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n";
  std::size_t calls = 0;
  EXPECT_EQ(end_found_byte_by_byte(head + "next", calls), head.size());
  EXPECT_EQ(calls, head.size() - 1);
}

TEST(HttpHeadEnd, EverySplitOfTheTerminatorIsFound) {
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  for (std::size_t split = 0; split <= head.size(); ++split) {
    const std::size_t first = find_head_end(std::string_view(head).substr(0, split), 0);
    if (split == head.size()) {
      EXPECT_EQ(first, head.size());
    } else {
      EXPECT_EQ(first, npos) << split;
      EXPECT_EQ(find_head_end(head, split), head.size()) << split;
    }
  }
}

TEST(HttpHeadEnd, BareLfEndIsFoundSoItCanBeRefusedAtOnce) {
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: a\n\nrest", 0), 24u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\n\r\nrest", 0), 26u);
}

TEST(HttpHeadEnd, FromBeyondTheDataIsHarmless) {
  EXPECT_EQ(find_head_end("abc", 10), npos);
  EXPECT_EQ(find_head_end("", 0), npos);
}

}  // namespace
}  // namespace tether::lb::http
