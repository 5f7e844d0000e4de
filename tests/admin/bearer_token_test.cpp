// Authorization: Bearer matching for the admin API's POSTs.
#include "admin/bearer_token.h"

#include <gtest/gtest.h>

namespace tether::admin {
namespace {

bool matches(const char* header, std::string_view token = "s3cret") {
  const std::string value = header;
  return bearer_matches(&value, token);
}

TEST(BearerToken, MatchesTheExactToken) {
  EXPECT_TRUE(matches("Bearer s3cret"));
  EXPECT_TRUE(matches("bearer s3cret"));
  EXPECT_TRUE(matches("BEARER   s3cret"));
}

TEST(BearerToken, RefusesAnythingElse) {
  EXPECT_FALSE(bearer_matches(nullptr, "s3cret"));
  for (const char* bad :
       {"", "Bearer", "Bearer ", "Bearer s3cre", "Bearer s3cret!", "Bearer S3cret", "Basic s3cret",
        "Bearers3cret", "s3cret", "Bearer s3cret s3cret"})
    EXPECT_FALSE(matches(bad)) << bad;
  // No token configured matches nothing (the routes do not ask then).
  EXPECT_FALSE(matches("Bearer ", ""));
}

}  // namespace
}  // namespace tether::admin
