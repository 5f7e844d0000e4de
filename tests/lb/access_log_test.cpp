// The access log's writer: the documented line format, reopening after logrotate renamed the
// file, and a disk that cannot keep up costing dropped (and counted) lines, never a stalled
// worker.
#include "lb/access_log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace tether::lb {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::vector<std::string> lines_of(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

ConnectionRecord connection(std::string_view server, std::uint64_t bytes_in) {
  return {
      .client = {asio::ip::make_address("2001:db8::7"), 40000},
      .frontend = "web",
      .server = server,
      .bytes_in = bytes_in,
      .bytes_out = 521,
      .duration = 12ms,
      .end = "closed",
      .affinity = "hash",
  };
}

class AccessLogFile : public ::testing::Test {
 protected:
  fs::path dir = fs::path(::testing::TempDir()) /
                 ("access_log_" + std::to_string(getpid()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::path path = dir / "access.log";

  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(AccessLogFile, OneLinePerRecordWithTheDocumentedFields) {
  {
    AccessLog log(path.string());
    log.write(connection("fe02", 79));
    log.write(connection("", 0));
    log.write(RequestRecord{
        .client = {asio::ip::make_address("10.9.0.7"), 51234},
        .frontend = "web-ext",
        .server = "fe01",
        .method = "GET",
        .target = "/Mcx/x",
        .status = 200,
        .bytes_in = 412,
        .bytes_out = 1893,
        .duration = 3ms,
        .affinity = "cookie",
        .set_cookie = true,
    });
  }  // the destructor writes what is queued
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 3u);
  // gtest's regular expressions are POSIX extended ones on Linux (no \d).
  const std::string time =
      R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} )";
  EXPECT_THAT(lines[0],
              ::testing::MatchesRegex(
                  time + R"(client=\[2001:db8::7\]:40000 frontend=web server=fe02 )"
                         R"(bytes_in=79 bytes_out=521 duration_ms=12 end=closed affinity=hash)"));
  EXPECT_THAT(lines[1], ::testing::HasSubstr(" server=- bytes_in=0 "));
  EXPECT_THAT(lines[2],
              ::testing::MatchesRegex(
                  time + R"(client=10\.9\.0\.7:51234 frontend=web-ext server=fe01 method=GET )"
                         R"(target=/Mcx/x status=200 bytes_in=412 bytes_out=1893 )"
                         R"(duration_ms=3 affinity=cookie set_cookie=1)"));
}

TEST_F(AccessLogFile, ReopenAfterARenameSendsLaterLinesToANewFile) {
  AccessLog log(path.string());
  log.write(connection("before", 1));
  ASSERT_TRUE([&] {
    for (int i = 0; i < 200 && log.written() < 1; ++i)
      std::this_thread::sleep_for(10ms);
    return log.written() == 1;
  }());
  fs::rename(path, dir / "access.log.1");  // what logrotate does
  log.reopen();
  log.write(connection("after", 2));
  for (int i = 0; i < 200 && log.written() < 2; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(log.written(), 2u);
  const auto rotated = lines_of(dir / "access.log.1");
  const auto fresh = lines_of(path);
  ASSERT_EQ(rotated.size(), 1u);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_THAT(rotated[0], ::testing::HasSubstr("server=before"));
  EXPECT_THAT(fresh[0], ::testing::HasSubstr("server=after"));
}

TEST_F(AccessLogFile, OpeningAnImpossiblePathFailsAtStart) {
  EXPECT_THROW(AccessLog((dir / "missing" / "access.log").string()), std::runtime_error);
}

// A FIFO that nobody reads is a disk that has stopped: the writer blocks in write(2) once the
// pipe is full. Workers must not notice beyond lines dropped and counted.
TEST_F(AccessLogFile, AStalledDiskDropsAndCountsLinesAndNeverBlocksTheCaller) {
  const fs::path fifo = dir / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  constexpr std::uint64_t kLines = 20'000;
  std::uint64_t written = 0, dropped = 0;
  {
    AccessLog log(fifo.string(), 100);
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < kLines; ++i)
      log.write(connection("fe01", i));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_LT(elapsed, 2s) << "writes waited for the stalled disk";
    EXPECT_GT(log.dropped(), 0u);

    // The disk comes back: everything queued is written, every line is accounted for.
    std::atomic<bool> draining{true};
    std::thread drain([&] {
      char buffer[65536];
      while (draining) {
        pollfd p{reader, POLLIN, 0};
        poll(&p, 1, 10);
        while (read(reader, buffer, sizeof buffer) > 0) {
        }
      }
    });
    for (int i = 0; i < 500 && log.written() + log.dropped() < kLines; ++i)
      std::this_thread::sleep_for(10ms);
    written = log.written();
    dropped = log.dropped();
    draining = false;
    drain.join();
  }
  close(reader);
  EXPECT_EQ(written + dropped, kLines);
  EXPECT_GT(written, 0u);
}

}  // namespace
}  // namespace tether::lb
