#include "lb/splice_pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

namespace tether::lb {

std::optional<SplicePipe> SplicePipe::open(std::size_t capacity) {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return std::nullopt;
  // A bigger pipe moves more per splice call; when the system limit refuses it, keep the
  // default (64 KiB) rather than fail.
  const int size = ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(capacity));
  return SplicePipe(fds[0], fds[1], size > 0 ? static_cast<std::size_t>(size) : 65536);
}

SplicePipe::SplicePipe(SplicePipe&& other) noexcept
    : read_(std::exchange(other.read_, -1)),
      write_(std::exchange(other.write_, -1)),
      capacity_(other.capacity_) {}

SplicePipe& SplicePipe::operator=(SplicePipe&& other) noexcept {
  if (this != &other) {
    close();
    read_ = std::exchange(other.read_, -1);
    write_ = std::exchange(other.write_, -1);
    capacity_ = other.capacity_;
  }
  return *this;
}

SplicePipe::~SplicePipe() {
  close();
}

void SplicePipe::close() {
  if (read_ >= 0) ::close(read_);
  if (write_ >= 0) ::close(write_);
  read_ = write_ = -1;
}

std::optional<SplicePipe> PipeCache::take() {
  if (idle_.empty()) return SplicePipe::open(kCapacity);
  SplicePipe pipe = std::move(idle_.back());
  idle_.pop_back();
  return pipe;
}

void PipeCache::give_back(SplicePipe pipe) {
  if (idle_.size() < max_idle_) idle_.push_back(std::move(pipe));
}

}  // namespace tether::lb
