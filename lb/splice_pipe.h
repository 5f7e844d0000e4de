// A kernel pipe for splice(2): socket → pipe → socket without copying the bytes through user
// space. Large transfers in tcp mode switch to it (TcpSession); short ones never pay for one.
//
// Pipes are reused: a session returns its pipe to its worker's cache when the pipe is empty, so
// a busy worker does not create and close two descriptors per bulk connection.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace tether::lb {

class SplicePipe {
 public:
  // A new pipe of about `capacity` bytes, or nullopt when the system has no descriptors left.
  static std::optional<SplicePipe> open(std::size_t capacity);

  SplicePipe(SplicePipe&& other) noexcept;
  SplicePipe& operator=(SplicePipe&& other) noexcept;
  SplicePipe(const SplicePipe&) = delete;
  SplicePipe& operator=(const SplicePipe&) = delete;
  ~SplicePipe();

  int read_end() const { return read_; }
  int write_end() const { return write_; }
  std::size_t capacity() const { return capacity_; }

 private:
  SplicePipe(int read, int write, std::size_t capacity)
      : read_(read), write_(write), capacity_(capacity) {}
  void close();

  int read_ = -1;
  int write_ = -1;
  std::size_t capacity_ = 0;
};

// A worker's idle pipes (worker thread only). Only empty pipes may be given back.
class PipeCache {
 public:
  explicit PipeCache(std::size_t max_idle) : max_idle_(max_idle) {}

  std::optional<SplicePipe> take();
  void give_back(SplicePipe pipe);
  std::size_t idle() const { return idle_.size(); }

 private:
  static constexpr std::size_t kCapacity = 256 * 1024;
  std::size_t max_idle_;
  std::vector<SplicePipe> idle_;
};

}  // namespace tether::lb
