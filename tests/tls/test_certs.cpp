#include "tests/tls/test_certs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace tether::test {

const TestCerts& test_certs() {
  static TestCerts certs;
  static std::once_flag made;
  std::call_once(made, [] {
    certs.dir = ::testing::TempDir() + "tether-certs-" + std::to_string(::getpid());
    std::filesystem::remove_all(certs.dir);
    const std::string command = std::string("bash ") + TETHER_SOURCE_DIR +
                                "/tests/tls/make_test_certs.sh '" + certs.dir + "' 2>&1";
    if (std::system(command.c_str()) != 0) ADD_FAILURE() << "failed: " << command;
  });
  return certs;
}

}  // namespace tether::test
