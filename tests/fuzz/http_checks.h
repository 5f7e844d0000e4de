// Promises of the HTTP/1.1 building blocks that more than one fuzz target checks: where a head
// ends, where a chunked body ends, and what cookie removal leaves. Each function crashes (through
// FUZZ_CHECK) when a promise made in lb/http/*.h is broken.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lb/http/chunked_framer.h"
#include "lb/http/cookie_header.h"
#include "lb/http/head.h"
#include "lb/http/tokens.h"
#include "tests/fuzz/fuzz_target.h"

namespace tether::fuzz {

inline bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// find_head_end over a growing buffer, as a session calls it: fed one byte at a time, and fed in
// uneven pieces, it must find the end one call over all of `data` finds (head.h: "bytes already
// scanned are not scanned again", which must not mean an end is missed or found early).
inline void check_head_end_is_split_invariant(std::string_view data) {
  constexpr std::size_t npos = std::string_view::npos;
  const std::size_t whole = lb::http::find_head_end(data, 0);

  std::size_t found = npos;
  for (std::size_t n = 1; n <= data.size() && found == npos; ++n) {
    found = lb::http::find_head_end(data.substr(0, n), n - 1);
  }
  FUZZ_CHECK(found == whole);

  found = npos;
  for (std::size_t from = 0; from < data.size() && found == npos;) {
    const std::size_t n = std::min(data.size(), from + 1 + (from * 7 + 3) % 13);
    found = lb::http::find_head_end(data.substr(0, n), from);
    from = n;
  }
  FUZZ_CHECK(found == whole);
}

// The framer fed `body` whole, one byte at a time, and cut in two at `cut` must agree on where
// the body ends or where it is malformed (chunked_framer.h: "any split works").
inline void check_chunked_framer(std::string_view body, std::size_t cut) {
  using lb::http::ChunkedFramer;
  ChunkedFramer whole_framer;
  const ChunkedFramer::Step whole = whole_framer.feed(body);
  FUZZ_CHECK(whole.consumed <= body.size());
  FUZZ_CHECK(!(whole.done && whole.error));
  if (whole.done) FUZZ_CHECK(whole.consumed > 0 && body[whole.consumed - 1] == '\n');
  if (!whole.done && !whole.error) FUZZ_CHECK(whole.consumed == body.size());
  // After the end or an error, nothing more is consumed and the outcome repeats.
  const ChunkedFramer::Step again = whole_framer.feed("0\r\n\r\n");
  FUZZ_CHECK(again.consumed == 0 || (!whole.done && !whole.error));
  if (whole.done || whole.error) FUZZ_CHECK(again.done == whole.done && again.error == whole.error);

  // Feeds `pieces` in order as one framer would receive them; the total outcome.
  const auto feed_all = [](const std::vector<std::string_view>& pieces) {
    ChunkedFramer framer;
    ChunkedFramer::Step total;
    for (std::string_view piece : pieces) {
      const ChunkedFramer::Step step = framer.feed(piece);
      total.consumed += step.consumed;
      if (step.done || step.error) {
        total.done = step.done;
        total.error = step.error;
        return total;
      }
      FUZZ_CHECK(step.consumed == piece.size());
    }
    return total;
  };
  const auto same = [&](const ChunkedFramer::Step& step) {
    FUZZ_CHECK(step.consumed == whole.consumed);
    FUZZ_CHECK(step.done == whole.done && step.error == whole.error);
  };

  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < body.size(); ++i)
    bytes.push_back(body.substr(i, 1));
  same(feed_all(bytes));
  cut = body.empty() ? 0 : cut % (body.size() + 1);
  same(feed_all({body.substr(0, cut), body.substr(cut)}));
}

// Cookie fields as the HTTP session edits them before forwarding (cookie_header.h):
// remove_cookie leaves no cookie called `name`, keeps the first value of every other cookie,
// and removing again changes nothing.
inline void check_cookie_removal(std::string_view cookie_value, std::string_view name) {
  using lb::http::Header;
  const std::string rest = lb::http::remove_cookie(cookie_value, name);
  FUZZ_CHECK(rest.size() <= cookie_value.size());
  const std::vector<Header> before{{"Cookie", cookie_value}};
  const std::vector<Header> after{{"Cookie", rest}};
  FUZZ_CHECK(!lb::http::find_cookie(after, name).has_value());
  FUZZ_CHECK(lb::http::remove_cookie(rest, name) == rest);

  // Every other cookie name: the name part of each ';'-separated pair (a few are enough).
  std::string_view pairs = cookie_value;
  for (int checked = 0; checked < 8 && !pairs.empty(); ++checked) {
    const std::size_t semicolon = std::min(pairs.find(';'), pairs.size());
    const std::string_view pair = pairs.substr(0, semicolon);
    pairs.remove_prefix(std::min(semicolon + 1, pairs.size()));
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view other = lb::http::trim_ows(pair.substr(0, equals));
    if (other == name) continue;
    FUZZ_CHECK(lb::http::find_cookie(after, other) == lb::http::find_cookie(before, other));
  }
}

}  // namespace tether::fuzz
