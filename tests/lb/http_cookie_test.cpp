#include <gtest/gtest.h>

#include "lb/http/cookie_header.h"

namespace tether::lb::http {
namespace {

constexpr std::string_view kName = "MS-WSMAN";

std::vector<Header> cookies(std::initializer_list<std::string_view> values) {
  std::vector<Header> headers{{"Host", "pool"}};
  for (std::string_view value : values)
    headers.push_back({"Cookie", value});
  return headers;
}

TEST(CookieHeader, FindsTheCookieWhereverItIs) {
  EXPECT_EQ(find_cookie(cookies({"MS-WSMAN=first; a=1"}), kName), "first");
  EXPECT_EQ(find_cookie(cookies({"a=1; MS-WSMAN=middle; b=2"}), kName), "middle");
  EXPECT_EQ(find_cookie(cookies({"a=1; MS-WSMAN=last"}), kName), "last");
  EXPECT_EQ(find_cookie(cookies({"MS-WSMAN=only"}), kName), "only");
  EXPECT_EQ(find_cookie(cookies({"a=1;MS-WSMAN=tight;b=2"}), kName), "tight");
  EXPECT_EQ(find_cookie(cookies({"MS-WSMAN="}), kName), "");
}

TEST(CookieHeader, AbsentCookieIsNotFound) {
  EXPECT_EQ(find_cookie(cookies({"a=1; b=2"}), kName), std::nullopt);
  EXPECT_EQ(find_cookie(cookies({}), kName), std::nullopt);
  EXPECT_EQ(find_cookie(cookies({"ms-wsman=case; XMS-WSMAN=prefix; MS-WSMANX=suffix"}), kName),
            std::nullopt);
  EXPECT_EQ(find_cookie(cookies({"MS-WSMAN"}), kName), std::nullopt);
  EXPECT_EQ(find_cookie({{"Set-Cookie", "MS-WSMAN=x"}}, kName), std::nullopt);
}

TEST(CookieHeader, SearchesAllCookieFieldsInOrder) {
  EXPECT_EQ(find_cookie(cookies({"a=1", "b=2; MS-WSMAN=second", "MS-WSMAN=third"}), kName),
            "second");
  std::vector<Header> headers{{"cookie", "MS-WSMAN=lower"}};
  EXPECT_EQ(find_cookie(headers, kName), "lower");
}

TEST(CookieHeader, RemovingLeavesTheOtherCookiesUntouched) {
  EXPECT_EQ(remove_cookie("MS-WSMAN=x; a=1; b=2", kName), "a=1; b=2");
  EXPECT_EQ(remove_cookie("a=1; MS-WSMAN=x; b=2", kName), "a=1; b=2");
  EXPECT_EQ(remove_cookie("a=1; MS-WSMAN=x", kName), "a=1");
  EXPECT_EQ(remove_cookie("MS-WSMAN=x", kName), "");
  EXPECT_EQ(remove_cookie("a=1;MS-WSMAN=x;b=\"q v\"", kName), "a=1;b=\"q v\"");
  EXPECT_EQ(remove_cookie("a=1; b=2", kName), "a=1; b=2");
}

TEST(CookieHeader, RemovesEveryCopy) {
  EXPECT_EQ(remove_cookie("MS-WSMAN=x; a=1; MS-WSMAN=y", kName), "a=1");
  EXPECT_EQ(remove_cookie("MS-WSMAN=x; MS-WSMAN=y", kName), "");
}

TEST(CookieHeader, OddSeparatorsSurvive) {
  EXPECT_EQ(remove_cookie("a=1 ;  MS-WSMAN=x ;b=2", kName), "a=1 ;b=2");
  EXPECT_EQ(remove_cookie("; a=1;;", kName), "a=1");
  EXPECT_EQ(remove_cookie("", kName), "");
  EXPECT_EQ(remove_cookie("flag; MS-WSMAN=x", kName), "flag");
}

}  // namespace
}  // namespace tether::lb::http
