# The fuzz targets (SPEC §9), one per parser: tests/fuzz/fuzz_<name>.cpp defines
# tether::fuzz::run_<name>. Read by CMakeLists.txt (the libFuzzer binaries) and
# regression_test.cmake (the replay of tests/fuzz/regressions/ in the normal test build).
set(TETHER_FUZZ_TARGETS http_request http_response proxy_protocol cookie_token config)
