// A growable byte buffer with a read and a write end, for one direction of an HTTP connection.
// Compacts instead of reallocating whenever it can, so a busy connection's steady state allocates
// nothing. Its memory is taken at the first prepare() and can be given back while it is empty
// (release), so an idle keep-alive connection holds no buffer.
//
// Blocks of kBlockSize given back go to a small per-thread cache that the next prepare()
// takes from: a keep-alive request costs neither malloc/free of 16 KiB nor zeroing it (the bytes
// are only ever read after a read wrote them).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include <asio/buffer.hpp>

namespace tether::lb {

class ByteBuffer {
 public:
  // What both directions of an HTTP connection start with, and the size the cache keeps.
  static constexpr std::size_t kBlockSize = 16 * 1024;

  explicit ByteBuffer(std::size_t capacity = kBlockSize) : initial_(capacity) {}
  ~ByteBuffer() { give_back(); }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  std::string_view readable() const { return {data_.get() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  void consume(std::size_t n) {
    begin_ += std::min(n, size());
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }
  // Gives the memory back when nothing is buffered; the next prepare() takes it again.
  void release() {
    if (empty()) give_back();
  }

  // Room to read into: at least `min_room` bytes unless that would exceed `max_capacity`.
  asio::mutable_buffer prepare(std::size_t min_room, std::size_t max_capacity) {
    if (!data_) take(std::min(max_capacity, std::max(initial_, min_room)));
    if (capacity_ - end_ < min_room && begin_ > 0) {
      std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (capacity_ - end_ < min_room && capacity_ < max_capacity) {
      grow(std::min(max_capacity, std::max(capacity_ * 2, end_ + min_room)));
    }
    return asio::buffer(data_.get() + end_, capacity_ - end_);
  }
  void commit(std::size_t n) { end_ += n; }
  std::size_t capacity() const { return capacity_; }

 private:
  void take(std::size_t capacity);
  void grow(std::size_t capacity);
  void give_back();

  std::size_t initial_;
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0, end_ = 0;
};

}  // namespace tether::lb
