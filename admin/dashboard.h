// GET /: the dashboard page, admin/dashboard.html embedded at build time (CMake turns it into
// a raw string), so the binary serves it with no file to install.
#pragma once

#include <string_view>

namespace tether::admin {

std::string_view dashboard_html();

}  // namespace tether::admin
