#include "lb/moved_share.h"

namespace tether::lb {

double moved_share(const MaglevTable& before, std::span<const std::string> before_names,
                   const MaglevTable& after, std::span<const std::string> after_names) {
  if (before.empty() && after.empty()) return 0.0;
  if (before.empty() || after.empty() || before.size() != after.size()) return 1.0;
  const auto& a = before.entries();
  const auto& b = after.entries();
  std::size_t moved = 0;
  for (std::size_t slot = 0; slot < a.size(); ++slot)
    if (before_names[a[slot]] != after_names[b[slot]]) ++moved;
  return static_cast<double>(moved) / static_cast<double>(a.size());
}

}  // namespace tether::lb
