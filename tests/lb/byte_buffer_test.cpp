#include "lb/byte_buffer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

namespace tether::lb {
namespace {

// Writes `text` the way a socket read does: into prepare()'s room, then commit().
void put(ByteBuffer& b, std::string_view text, std::size_t max_capacity = 1 << 20) {
  auto room = b.prepare(text.size(), max_capacity);
  ASSERT_GE(room.size(), text.size());
  text.copy(static_cast<char*>(room.data()), text.size());
  b.commit(text.size());
}

TEST(ByteBuffer, WhatIsCommittedIsReadableInOrderUntilConsumed) {
  ByteBuffer b(16);
  put(b, "GET / HTTP/1.1\r\n");
  put(b, "Host: x\r\n\r\n");
  EXPECT_EQ(b.readable(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  b.consume(16);
  EXPECT_EQ(b.readable(), "Host: x\r\n\r\n");
  b.consume(100);
  EXPECT_TRUE(b.empty());
}

TEST(ByteBuffer, UnreadBytesSurviveCompactionAndGrowth) {
  ByteBuffer b(8);
  put(b, "abcdefgh");
  b.consume(6);
  put(b, "ijklmn");  // needs the consumed front: compacts
  EXPECT_EQ(b.readable(), "ghijklmn");
  EXPECT_EQ(b.capacity(), 8u);
  put(b, std::string(100, 'z'));  // needs more than it has: grows
  EXPECT_EQ(b.readable(), "ghijklmn" + std::string(100, 'z'));
}

TEST(ByteBuffer, RoomNeverExceedsTheLimit) {
  ByteBuffer b(8);
  put(b, "12345678", 12);
  EXPECT_EQ(b.prepare(64, 12).size(), 4u);
}

TEST(ByteBuffer, AnEmptyBufferGivesItsMemoryBackAndTakesItAgainWhenRead) {
  ByteBuffer b(4096);
  put(b, "request one");
  b.release();  // not empty: keeps it
  EXPECT_EQ(b.readable(), "request one");
  b.consume(b.size());
  b.release();
  EXPECT_EQ(b.capacity(), 0u);
  put(b, "request two");
  EXPECT_EQ(b.readable(), "request two");
  EXPECT_EQ(b.capacity(), 4096u);
}

TEST(ByteBuffer, AGivenBackBlockServesTheNextConnectionOnTheThread) {
  // The keep-alive steady state allocates nothing: what one idle connection gives back, the
  // next request on the same thread reads into, and malloc does not get it in between.
  ByteBuffer a, b;
  const void* block = a.prepare(1, 64 * 1024).data();
  a.release();
  auto unrelated = std::make_unique_for_overwrite<char[]>(ByteBuffer::kBlockSize);
  EXPECT_NE(static_cast<const void*>(unrelated.get()), block);
  EXPECT_EQ(b.prepare(1, 64 * 1024).data(), block);
}

}  // namespace
}  // namespace tether::lb
