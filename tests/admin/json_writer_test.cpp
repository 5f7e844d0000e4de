// JsonWriter: the structure it builds and the strings it escapes (RFC 8259 §7).
#include "admin/json_writer.h"

#include <gtest/gtest.h>

#include <limits>

#include "admin/json_reader.h"

namespace tether::admin {
namespace {

TEST(JsonWriter, NestsObjectsAndArraysWithCommas) {
  JsonWriter json;
  json.begin_object()
      .field("name", "fe01")
      .field("weight", 1)
      .field("up", true)
      .field("deadline", nullptr)
      .key("listen")
      .begin_array()
      .value("127.0.0.1:80")
      .value("[::1]:80")
      .end_array()
      .key("empty")
      .begin_object()
      .end_object()
      .key("none")
      .begin_array()
      .end_array()
      .end_object();
  EXPECT_EQ(json.text(), R"({"name":"fe01","weight":1,"up":true,"deadline":null,)"
                         R"("listen":["127.0.0.1:80","[::1]:80"],"empty":{},"none":[]})");
}

TEST(JsonWriter, WritesNumbersExactly) {
  JsonWriter json;
  json.begin_array()
      .value(std::numeric_limits<std::uint64_t>::max())
      .value(std::int64_t{-42})
      .value(0.25)
      .value(std::numeric_limits<double>::infinity())
      .value(std::optional<int>())
      .value(std::optional<int>(7))
      .end_array();
  EXPECT_EQ(json.text(), "[18446744073709551615,-42,0.25,null,null,7]");
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_string("say \"hi\" \\ bye"), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(json_string("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
  EXPECT_EQ(json_string(std::string("\x01\x1f\x00", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(json_string("/ and \x7f stay"), "\"/ and \x7f stay\"");
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(json_string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate.
  EXPECT_EQ(json_string("a\x80z"), "\"a\xEF\xBF\xBDz\"");
  EXPECT_EQ(json_string("a\xE2\x82"), "\"a\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(json_string("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(json_string("\xED\xA0\x80").find("\xED"), std::string::npos);
}

TEST(JsonWriter, WhatItWritesReadsBack) {
  const char raw[] = "quote\" slash\\ nul\0 tab\t \xC3\xA9";
  const std::string nasty(raw, sizeof raw - 1);
  JsonWriter json;
  json.begin_object().field(nasty, nasty).end_object();
  const auto parsed = parse_json(json.text());
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  EXPECT_EQ((*parsed.value)[nasty].as_string(), nasty);
}

}  // namespace
}  // namespace tether::admin
