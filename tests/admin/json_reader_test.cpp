// The strict JSON reader: what it accepts, what it refuses and why (RFC 8259).
#include "admin/json_reader.h"

#include <gtest/gtest.h>

namespace tether::admin {
namespace {

JsonValue parse_ok(std::string_view text) {
  auto parsed = parse_json(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.error;
  return parsed.ok() ? *parsed.value : JsonValue();
}

TEST(JsonReader, ReadsEveryKindOfValue) {
  const JsonValue v =
      parse_ok(R"( {"s":"fe01","n":-12.5e1,"i":18446744073709551615,"t":true,"f":false,"z":null,)"
               R"("a":[1,[2],{}],"o":{"k":"v"}} )");
  EXPECT_EQ(v["s"].as_string(), "fe01");
  EXPECT_DOUBLE_EQ(v["n"].as_double(), -125);
  EXPECT_EQ(v["n"].as_uint64(), std::nullopt);
  EXPECT_EQ(v["i"].as_uint64(), 18446744073709551615u);
  EXPECT_TRUE(v["t"].as_bool());
  EXPECT_TRUE(v["f"].is_bool());
  EXPECT_FALSE(v["f"].as_bool());
  EXPECT_TRUE(v["z"].is_null());
  EXPECT_EQ(v["a"].as_array().size(), 3u);
  EXPECT_EQ(v["a"][1][0].as_uint64(), 2u);
  EXPECT_TRUE(v["a"][2].is_object());
  EXPECT_EQ(v["o"]["k"].as_string(), "v");
  // Missing members and items read as null.
  EXPECT_TRUE(v["missing"]["deeper"][3].is_null());
  EXPECT_EQ(v.as_object().front().first, "s");  // document order
}

TEST(JsonReader, DecodesEscapes) {
  EXPECT_EQ(parse_ok(R"("a\"b\\c\/d\b\f\n\r\t")").as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parse_ok(R"("\u00e9\u20AC")").as_string(), "\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(parse_ok(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(parse_ok(R"("\u0000")").as_string(), std::string(1, '\0'));
  EXPECT_EQ(parse_ok("\"caf\xC3\xA9\"").as_string(), "caf\xC3\xA9");
}

TEST(JsonReader, RefusesWhatIsNotStrictJson) {
  for (const std::string_view bad : {
           "",
           "   ",
           "{",
           "{\"a\":1,}",
           "[1,]",
           "[1 2]",
           "{\"a\" 1}",
           "{a:1}",
           "{'a':1}",
           "{\"a\":1}{}",
           "{\"a\":1} x",
           "{\"a\":1,\"a\":2}",
           "01",
           "-",
           "+1",
           ".5",
           "1.",
           "1e",
           "0x10",
           "NaN",
           "tru",
           "nul",
           "\"unterminated",
           "\"bad \\x escape\"",
           "\"\\u12\"",
           "\"\\ud800\"",
           "\"\\udc00\"",
           "\"\\ud800\\u0041\"",
           "\"tab\tinside\"",
           "\"\xC3\"",
           "\"\xFF\"",
           "// comment\n{}",
       })
    EXPECT_FALSE(parse_json(bad).ok()) << "accepted: " << bad;
}

TEST(JsonReader, ErrorsNameTheOffset) {
  const auto parsed = parse_json(R"({"state": drain})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error, "unexpected character at offset 10");
  EXPECT_EQ(parse_json(R"({"a":1,"a":2})").error, "duplicate key \"a\" at offset 7");
}

TEST(JsonReader, BoundsNesting) {
  EXPECT_TRUE(parse_json(std::string(64, '[') + std::string(64, ']')).ok());
  EXPECT_FALSE(parse_json(std::string(65, '[') + std::string(65, ']')).ok());
  EXPECT_FALSE(parse_json(std::string(100000, '[')).ok());
}

TEST(FlatObject, AcceptsScalarsOnly) {
  const auto good =
      parse_flat_object(R"({"state":"drain","deadline":"10m","n":1,"b":true,"z":null})");
  ASSERT_TRUE(good.ok()) << good.error;
  EXPECT_EQ((*good.value)["state"].as_string(), "drain");
  EXPECT_TRUE(parse_flat_object("{}").ok());

  EXPECT_EQ(parse_flat_object(R"(["drain"])").error, "body must be a JSON object, not an array");
  EXPECT_EQ(parse_flat_object(R"("drain")").error, "body must be a JSON object, not a string");
  EXPECT_EQ(parse_flat_object(R"({"state":{"x":1}})").error,
            "\"state\" must be a string, number, boolean or null, not an object");
  EXPECT_EQ(parse_flat_object(R"({"state":[1]})").error,
            "\"state\" must be a string, number, boolean or null, not an array");
  EXPECT_EQ(parse_flat_object("state=drain").error,
            "body is not JSON: unexpected character at offset 0");
}

}  // namespace
}  // namespace tether::admin
