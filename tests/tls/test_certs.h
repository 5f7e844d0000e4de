// The certificates of tests/tls/make_test_certs.sh, made once per test process in a folder of
// its own (never committed: the keys are fresh each run). Paths of the files described there.
#pragma once

#include <string>

namespace tether::test {

struct TestCerts {
  std::string dir;
  std::string path(const std::string& file) const { return dir + "/" + file; }
  std::string ca() const { return path("ca.pem"); }
  std::string cert(const std::string& name) const { return path(name + ".pem"); }
  std::string key(const std::string& name) const { return path(name + ".key"); }
};

// Made at the first call; a failure of the script fails the calling test with its output.
const TestCerts& test_certs();

}  // namespace tether::test
