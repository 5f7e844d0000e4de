// A growable byte buffer with a read and a write end, for one direction of an HTTP connection.
// Compacts instead of reallocating whenever it can, so a busy connection's steady state allocates
// nothing. Its memory is taken at the first prepare() and can be given back while it is empty
// (release), so an idle keep-alive connection holds no buffer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

#include <asio/buffer.hpp>

namespace tether::lb {

class ByteBuffer {
 public:
  explicit ByteBuffer(std::size_t capacity) : initial_(capacity) {}

  std::string_view readable() const { return {data_.data() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  void consume(std::size_t n) {
    begin_ += std::min(n, size());
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }
  // Gives the memory back when nothing is buffered; the next prepare() takes it again.
  void release() {
    if (empty()) std::vector<char>().swap(data_);
  }

  // Room to read into: at least `min_room` bytes unless that would exceed `max_capacity`.
  asio::mutable_buffer prepare(std::size_t min_room, std::size_t max_capacity) {
    if (data_.empty()) data_.resize(std::min(max_capacity, std::max(initial_, min_room)));
    if (data_.size() - end_ < min_room && begin_ > 0) {
      std::copy(data_.begin() + begin_, data_.begin() + end_, data_.begin());
      end_ -= begin_;
      begin_ = 0;
    }
    if (data_.size() - end_ < min_room && data_.size() < max_capacity)
      data_.resize(std::min(max_capacity, std::max(data_.size() * 2, end_ + min_room)));
    return asio::buffer(data_.data() + end_, data_.size() - end_);
  }
  void commit(std::size_t n) { end_ += n; }
  std::size_t capacity() const { return data_.size(); }

 private:
  std::size_t initial_;
  std::vector<char> data_;
  std::size_t begin_ = 0, end_ = 0;
};

}  // namespace tether::lb
