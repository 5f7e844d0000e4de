#include "lb/state_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tether::lb {

namespace {

constexpr std::string_view kMagic = "TETHSTAT";
constexpr std::size_t kHeaderSize = 8 + 4 + 4 + 8;
constexpr std::size_t kChecksumSize = 8;
constexpr std::size_t kEntrySize = 1 + 16 + 4 + 8;

class Writer {
 public:
  template <typename T>
  void integer(T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
      out_.push_back(static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xFF));
  }
  void text(std::string_view s) {
    integer(static_cast<std::uint16_t>(s.size()));
    out_.append(s);
  }
  void bytes(const std::uint8_t* data, std::size_t n) {
    out_.append(reinterpret_cast<const char*>(data), n);
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  template <typename T>
  bool integer(T& value) {
    if (in_.size() - at_ < sizeof(T)) return false;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      v |= std::uint64_t(static_cast<unsigned char>(in_[at_ + i])) << (8 * i);
    value = static_cast<T>(v);
    at_ += sizeof(T);
    return true;
  }
  bool text(std::string& s) {
    std::uint16_t n = 0;
    if (!integer(n) || in_.size() - at_ < n) return false;
    s.assign(in_.substr(at_, n));
    at_ += n;
    return true;
  }
  bool bytes(std::uint8_t* data, std::size_t n) {
    if (in_.size() - at_ < n) return false;
    std::memcpy(data, in_.data() + at_, n);
    at_ += n;
    return true;
  }
  std::size_t left() const { return in_.size() - at_; }

 private:
  std::string_view in_;
  std::size_t at_ = 0;
};

}  // namespace

std::string encode_state(const StickState& state) {
  Writer w;
  w.out().append(kMagic);
  w.integer(kStateFormatVersion);
  w.integer(std::uint32_t{0});
  w.integer(state.written_at_ms);
  w.integer(static_cast<std::uint32_t>(state.pools.size()));
  for (const auto& pool : state.pools) {
    w.text(pool.name);
    w.integer(static_cast<std::uint32_t>(pool.servers.size()));
    for (const auto& server : pool.servers)
      w.text(server);
    w.integer(static_cast<std::uint64_t>(pool.entries.size()));
    for (const auto& e : pool.entries) {
      w.integer(e.key.family);
      w.bytes(e.key.bytes.data(), e.key.bytes.size());
      w.integer(e.server);
      w.integer(static_cast<std::uint64_t>(std::max<std::int64_t>(0, e.idle.count())));
    }
  }
  w.integer(static_cast<std::uint64_t>(XXH3_64bits(w.out().data(), w.out().size())));
  return std::move(w.out());
}

config::Parsed<StickState> decode_state(std::string_view bytes) {
  using config::failure;
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic)
    return failure("not a Tether state file (no \"TETHSTAT\" magic)");
  if (bytes.size() < kHeaderSize + kChecksumSize)
    return failure("truncated: " + std::to_string(bytes.size()) + " bytes");
  Reader header(bytes.substr(kMagic.size()));
  std::uint32_t version = 0, flags = 0;
  header.integer(version);
  header.integer(flags);
  if (version != kStateFormatVersion)
    return failure("format version " + std::to_string(version) + " (this Tether reads version " +
                   std::to_string(kStateFormatVersion) + ")");
  const std::string_view body = bytes.substr(0, bytes.size() - kChecksumSize);
  std::uint64_t stored = 0;
  Reader(bytes.substr(body.size())).integer(stored);
  if (stored != XXH3_64bits(body.data(), body.size()))
    return failure("checksum mismatch: the file is corrupt or truncated");
  if (flags != 0) return failure("unknown flags " + std::to_string(flags));

  StickState state;
  Reader r(body.substr(kMagic.size() + 8));
  std::uint32_t pools = 0;
  if (!r.integer(state.written_at_ms) || !r.integer(pools)) return failure("truncated header");
  const auto malformed = [](const std::string& what) {
    return failure("malformed: " + what + " (checksum matched: written by a faulty writer?)");
  };
  for (std::uint32_t p = 0; p < pools; ++p) {
    StickState::PoolEntries pool;
    std::uint32_t servers = 0;
    if (!r.text(pool.name) || !r.integer(servers)) return malformed("pool header cut short");
    if (servers > r.left() / 2) return malformed("pool " + pool.name + ": server count too large");
    pool.servers.resize(servers);
    for (auto& name : pool.servers)
      if (!r.text(name)) return malformed("pool " + pool.name + ": server names cut short");
    std::uint64_t entries = 0;
    if (!r.integer(entries) || entries > r.left() / kEntrySize)
      return malformed("pool " + pool.name + ": entry count larger than the file");
    pool.entries.resize(entries);
    for (auto& e : pool.entries) {
      std::uint64_t idle = 0;
      r.integer(e.key.family);
      r.bytes(e.key.bytes.data(), e.key.bytes.size());
      r.integer(e.server);
      r.integer(idle);
      if (e.key.family != 4 && e.key.family != 6)
        return malformed("pool " + pool.name + ": address family " + std::to_string(e.key.family));
      if (e.server >= servers)
        return malformed("pool " + pool.name + ": server index " + std::to_string(e.server));
      e.idle = std::chrono::milliseconds(
          static_cast<std::int64_t>(std::min<std::uint64_t>(idle, std::uint64_t{1} << 62)));
    }
    state.pools.push_back(std::move(pool));
  }
  if (r.left() != 0) return malformed(std::to_string(r.left()) + " bytes after the last pool");
  return state;
}

std::optional<std::string> write_file_atomically(const std::string& path, std::string_view bytes) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  const auto fail = [&](const std::string& what) {
    const std::string message = what + ": " + std::strerror(errno);
    ::unlink(temporary.c_str());
    return message;
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot create " + temporary);
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string message = fail("cannot write " + temporary);
      ::close(fd);
      return message;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const std::string message = fail("cannot sync " + temporary);
    ::close(fd);
    return message;
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return fail("cannot rename to " + path);
  // The rename itself is durable once the directory is synced.
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  if (const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return std::nullopt;
}

std::optional<std::string> read_whole_file(const std::string& path, std::string& error) {
  error.clear();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  return std::move(content).str();
}

}  // namespace tether::lb
