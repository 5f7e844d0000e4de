// Fuzz target: the YAML configuration loader on arbitrary text, with host-name resolution and
// secret files turned off (LoadOptions) so that no input reaches DNS or the file system.
// Checked, besides memory safety and uncaught exceptions:
//  - either a Config or errors, never both, never neither;
//  - every error is located: "fuzz.yaml:line:column: ...";
//  - a Config can be summarised (what `tether --check` prints).
#include <string>
#include <string_view>

#include "config/loader.h"
#include "tests/fuzz/fuzz_target.h"

namespace tether::fuzz {
namespace {

constexpr std::string_view kFile = "fuzz.yaml";

bool located(const std::string& error) {
  if (!error.starts_with(kFile) || error.size() <= kFile.size() || error[kFile.size()] != ':') {
    return false;
  }
  const std::size_t line = kFile.size() + 1;
  const std::size_t colon = error.find(':', line);
  if (colon == line || colon == std::string::npos) return false;
  const std::size_t column = colon + 1;
  const std::size_t next = error.find(':', column);
  if (next == column || next == std::string::npos) return false;
  return error.find_first_not_of("0123456789", line) == colon &&
         error.find_first_not_of("0123456789", column) == next;
}

}  // namespace

void run_config(std::string_view input) {
  const config::LoadOptions hermetic{.resolve_names = false, .read_files = false};
  const config::LoadResult result =
      config::load_string(std::string(input), std::string(kFile), hermetic);
  FUZZ_CHECK(result.ok() != !result.errors.empty());
  for (const std::string& error : result.errors)
    FUZZ_CHECK(located(error));
  if (result.ok()) FUZZ_CHECK(!config::summary(*result.config).empty());
}

}  // namespace tether::fuzz

TETHER_FUZZ_TARGET(run_config)
