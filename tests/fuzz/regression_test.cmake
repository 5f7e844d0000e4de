# fuzz_regression_test: every input a fuzzer once crashed on (tests/fuzz/regressions/<name>/)
# replayed through the fuzz target's checks, in the normal test build with any compiler.
# Included from tests/CMakeLists.txt, where tether_test() is defined.
include(${CMAKE_CURRENT_LIST_DIR}/targets.cmake)

set(sources ${CMAKE_CURRENT_LIST_DIR}/regression_test.cpp)
foreach(name IN LISTS TETHER_FUZZ_TARGETS)
  list(APPEND sources ${CMAKE_CURRENT_LIST_DIR}/fuzz_${name}.cpp)
endforeach()
tether_test(fuzz_regression_test SOURCES ${sources} LIBS tether_lb tether_config)
target_compile_definitions(fuzz_regression_test PRIVATE
  TETHER_FUZZ_REGRESSIONS="${CMAKE_CURRENT_LIST_DIR}/regressions")
