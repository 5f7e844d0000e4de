// Replays every input saved under tests/fuzz/regressions/<name>/ through the fuzz target
// run_<name>: the inputs a fuzzer once crashed on keep being checked by every test run, with
// any compiler (README.md: how a crash becomes a regression). A broken check aborts, so each
// input runs in a child process (a death test) that must exit cleanly; the failure names the file.
// Memory errors show as crashes in the AddressSanitizer build (.ci/run).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_target.h"

namespace tether::fuzz {
namespace {

struct Target {
  const char* name;
  void (*run)(std::string_view input);
};

void PrintTo(const Target& target, std::ostream* out) {
  *out << target.name;
}

// Every regular file of regressions/<name>/ but dot files (.gitkeep), in name order.
std::vector<std::filesystem::path> saved_inputs(const char* name) {
  std::vector<std::filesystem::path> files;
  const std::filesystem::path folder = std::filesystem::path(TETHER_FUZZ_REGRESSIONS) / name;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.is_regular_file() && !entry.path().filename().string().starts_with(".")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string contents(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FuzzRegression : public testing::TestWithParam<Target> {};

TEST_P(FuzzRegression, EverySavedInputPassesTheTargetsChecks) {
  for (const std::filesystem::path& file : saved_inputs(GetParam().name)) {
    const std::string input = contents(file);
    EXPECT_EXIT(
        {
          GetParam().run(input);
          std::exit(0);
        },
        testing::ExitedWithCode(0), "")
        << file;
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegression,
                         testing::Values(Target{"http_request", run_http_request},
                                         Target{"http_response", run_http_response},
                                         Target{"proxy_protocol", run_proxy_protocol},
                                         Target{"cookie_token", run_cookie_token},
                                         Target{"config", run_config}),
                         [](const testing::TestParamInfo<Target>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace tether::fuzz
