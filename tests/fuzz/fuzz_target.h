// What the fuzz targets share. Each tests/fuzz/fuzz_<name>.cpp defines
// `void tether::fuzz::run_<name>(std::string_view input)`: it feeds one parser the input and
// checks the parser's promises (views inside the input, split-invariance, round trips), so that a
// broken promise is a crash libFuzzer saves, like a memory error is. Built as a fuzzer
// (TETHER_FUZZ_ENTRY defined, see CMakeLists.txt) the file also gets libFuzzer's entry point;
// built into fuzz_regression_test it does not, and regression_test.cpp calls run_<name> on every
// input saved under tests/fuzz/regressions/<name>/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace tether::fuzz {

[[noreturn]] inline void broken_promise(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, condition);
  std::abort();
}

// True if `part` lies within `whole` (an empty view may point anywhere).
inline bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void run_http_request(std::string_view input);
void run_http_response(std::string_view input);
void run_proxy_protocol(std::string_view input);
void run_cookie_token(std::string_view input);
void run_config(std::string_view input);

}  // namespace tether::fuzz

// Unlike assert, never compiled out: the fuzz build is optimised and may define NDEBUG.
#define FUZZ_CHECK(condition)         \
  ((condition) ? static_cast<void>(0) \
               : ::tether::fuzz::broken_promise(#condition, __FILE__, __LINE__))

#ifdef TETHER_FUZZ_ENTRY
#define TETHER_FUZZ_TARGET(run)                                                       \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    ::tether::fuzz::run(std::string_view(reinterpret_cast<const char*>(data), size)); \
    return 0;                                                                         \
  }
#else
#define TETHER_FUZZ_TARGET(run)
#endif
