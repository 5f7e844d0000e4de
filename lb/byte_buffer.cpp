#include "lb/byte_buffer.h"

#include <vector>

namespace tether::lb {

namespace {

// Only blocks of the size every buffer starts with are kept, and at most this many per thread
// (1 MiB): enough for the connections one batch of events serves.
constexpr std::size_t kCachedBlocks = 64;

// A buffer may outlive its thread's cache (one destroyed while the thread exits): it then frees.
thread_local bool cache_gone = false;

struct BlockCache {
  std::vector<std::unique_ptr<char[]>> blocks;
  ~BlockCache() { cache_gone = true; }
};

thread_local BlockCache cache;

}  // namespace

void ByteBuffer::take(std::size_t capacity) {
  if (!cache_gone && capacity == kBlockSize && !cache.blocks.empty()) {
    data_ = std::move(cache.blocks.back());
    cache.blocks.pop_back();
  } else {
    data_ = std::make_unique_for_overwrite<char[]>(capacity);
  }
  capacity_ = capacity;
}

void ByteBuffer::grow(std::size_t capacity) {
  auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
  std::memcpy(bigger.get(), data_.get() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
  give_back();
  data_ = std::move(bigger);
  capacity_ = capacity;
}

void ByteBuffer::give_back() {
  if (data_ && !cache_gone && capacity_ == kBlockSize && cache.blocks.size() < kCachedBlocks)
    cache.blocks.push_back(std::move(data_));
  data_.reset();
  capacity_ = 0;
}

}  // namespace tether::lb
