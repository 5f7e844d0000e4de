#include <gtest/gtest.h>

#include <string>

#include "lb/http/chunked_framer.h"

namespace tether::lb::http {
namespace {

// A body with every feature: hex of both cases, an extension, leading zeros, trailers.
const std::string kBody =
    "4\r\nWiki\r\n"
    "5;name=\"quoted value\"\r\npedia\r\n"
    "0E ; a=b\r\n in\r\n\r\nchunks.\r\n"
    "0\r\n"
    "Expires: never\r\nX-Checksum:abc\r\n"
    "\r\n";
const std::string kNextRequest = "GET /next HTTP/1.1\r\n\r\n";

// Feeds `data` in the given pieces; returns the total consumed when done, npos otherwise.
std::size_t consumed_until_done(const std::vector<std::string_view>& pieces, bool& error) {
  ChunkedFramer framer;
  std::size_t total = 0;
  error = false;
  for (std::string_view piece : pieces) {
    const ChunkedFramer::Step step = framer.feed(piece);
    total += step.consumed;
    if (step.error) {
      error = true;
      return std::string::npos;
    }
    if (step.done) return total;
    EXPECT_EQ(step.consumed, piece.size());
  }
  return std::string::npos;
}

bool malformed(std::string_view body) {
  ChunkedFramer framer;
  const ChunkedFramer::Step step = framer.feed(body);
  return step.error;
}

TEST(ChunkedFramer, WholeBodyEndsBeforeTheNextRequest) {
  bool error = false;
  EXPECT_EQ(consumed_until_done({kBody + kNextRequest}, error), kBody.size());
  EXPECT_FALSE(error);
}

TEST(ChunkedFramer, EverySplitPointFindsTheSameEnd) {
  const std::string data = kBody + kNextRequest;
  for (std::size_t split = 0; split <= kBody.size(); ++split) {
    const std::string_view all(data);
    bool error = false;
    EXPECT_EQ(consumed_until_done({all.substr(0, split), all.substr(split)}, error), kBody.size())
        << "split at " << split;
    EXPECT_FALSE(error);
  }
}

TEST(ChunkedFramer, OneByteAtATimeFindsTheSameEnd) {
  std::vector<std::string_view> bytes;
  const std::string data = kBody + kNextRequest;
  for (std::size_t i = 0; i < data.size(); ++i)
    bytes.push_back(std::string_view(data).substr(i, 1));
  bool error = false;
  EXPECT_EQ(consumed_until_done(bytes, error), kBody.size());
}

TEST(ChunkedFramer, EmptyBodyIsJustTheLastChunk) {
  bool error = false;
  EXPECT_EQ(consumed_until_done({"0\r\n\r\nX"}, error), 5u);
  EXPECT_EQ(consumed_until_done({"000\r\n\r\n"}, error), 7u);
}

TEST(ChunkedFramer, AfterTheEndNothingMoreIsConsumed) {
  ChunkedFramer framer;
  EXPECT_TRUE(framer.feed("0\r\n\r\n").done);
  const ChunkedFramer::Step again = framer.feed("more");
  EXPECT_TRUE(again.done);
  EXPECT_EQ(again.consumed, 0u);
  framer.reset();
  EXPECT_FALSE(framer.feed("1\r\n").done);
}

TEST(ChunkedFramer, LargeChunkIsSkippedWithoutLookingAtIt) {
  ChunkedFramer framer;
  EXPECT_EQ(framer.feed("100000\r\n").consumed, 8u);
  const std::string data(0x100000, '\n');  // content is never inspected
  const ChunkedFramer::Step step = framer.feed(data);
  EXPECT_EQ(step.consumed, data.size());
  EXPECT_FALSE(step.done);
  EXPECT_FALSE(step.error);
  EXPECT_TRUE(framer.feed("\r\n0\r\n\r\n").done);
}

TEST(ChunkedFramer, LargestSizeIsAcceptedAndOneDigitMoreOverflows) {
  EXPECT_FALSE(malformed("ffffffffffffffff\r\n"));
  EXPECT_TRUE(malformed("10000000000000000\r\n"));
  EXPECT_FALSE(malformed("00000000000000000000001\r\n"));
}

TEST(ChunkedFramer, ErrorReportsWhereAndSticks) {
  ChunkedFramer framer;
  const ChunkedFramer::Step step = framer.feed("4\r\nWikiX");
  EXPECT_TRUE(step.error);
  EXPECT_EQ(step.consumed, 7u);
  EXPECT_TRUE(framer.feed("\r\n").error);
}

TEST(ChunkedFramer, OverlongExtensionIsRefused) {
  EXPECT_TRUE(malformed("1;" + std::string(kMaxChunkSizeLine, 'x')));
  EXPECT_FALSE(malformed("1;" + std::string(kMaxChunkSizeLine - 3, 'x') + "\r\n"));
}

TEST(ChunkedFramer, OverlongTrailersAreRefused) {
  std::string trailers = "0\r\n";
  while (trailers.size() < kMaxTrailerSection + 10)
    trailers += "X-T: 0123456789\r\n";
  EXPECT_TRUE(malformed(trailers));
}

class ChunkedFramerMalformed : public testing::TestWithParam<const char*> {};

TEST_P(ChunkedFramerMalformed, IsAnError) {
  EXPECT_TRUE(malformed(GetParam())) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Bodies, ChunkedFramerMalformed,
                         testing::Values("\r\n",                      // no size
                                         ";ext\r\n",                  // no size before extension
                                         "g\r\n",                     // not hex
                                         "-1\r\n",                    // signed
                                         "0x4\r\nWiki\r\n",           // C-style hex
                                         "4 \r\nWiki\r\n",            // space not before ';'
                                         "4\nWiki\r\n",               // bare LF after size
                                         "4\rWiki\r\n",               // CR without LF
                                         "4;a\nb\r\nWiki\r\n",        // LF inside extension
                                         "4;a\x01\r\nWiki\r\n",       // CTL in extension
                                         "4\r\nWikiX\r\n",            // data longer than size
                                         "4\r\nWiki\n0\r\n\r\n",      // bare LF after data
                                         "0\r\n folded: x\r\n\r\n",   // obs-fold in trailers
                                         "0\r\nNo-Colon\r\n\r\n",     // trailer without colon
                                         "0\r\nBad Name: x\r\n\r\n",  // space in trailer name
                                         "0\r\nX: a\x01\r\n\r\n",     // CTL in trailer
                                         "0\r\n\rX",                  // final CR without LF
                                         "0\r\n\n"));                 // final bare LF

}  // namespace
}  // namespace tether::lb::http
