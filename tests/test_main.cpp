// The main of every test binary: each test process gets a directory of its own for the files
// its tests write (::testing::TempDir() reads TEST_TMPDIR), removed when the process ends, so a
// run leaves nothing in /tmp and parallel test processes cannot meet on a file name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  std::string dir = ::testing::TempDir() + "tether-test.XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror(("cannot create " + dir).c_str());
    return 1;
  }
  ::setenv("TEST_TMPDIR", dir.c_str(), 1);
  const int result = RUN_ALL_TESTS();
  std::error_code ignored;  // a file a crashed child still holds open is no reason to fail
  std::filesystem::remove_all(dir, ignored);
  return result;
}
