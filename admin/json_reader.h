// A small strict JSON reader (RFC 8259): request bodies of the admin API, and the answers
// tetherctl reads. Strict means: one value and nothing after it but whitespace, no trailing
// commas, no comments, no leading zeros, no duplicate keys, valid UTF-8, paired surrogates.
// Errors name the byte offset. Nesting is bounded, so hostile input cannot exhaust the stack.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/parsed.h"

namespace tether::admin {

class JsonValue {
 public:
  enum class Type { null, boolean, number, string, array, object };
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;  // document order, unique keys

  JsonValue() = default;  // null
  static JsonValue boolean(bool b);
  static JsonValue number(std::string text);  // `text` is a valid JSON number
  static JsonValue string(std::string text);
  static JsonValue array(Array items);
  static JsonValue object(Object members);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::null; }
  bool is_bool() const { return type_ == Type::boolean; }
  bool is_number() const { return type_ == Type::number; }
  bool is_string() const { return type_ == Type::string; }
  bool is_array() const { return type_ == Type::array; }
  bool is_object() const { return type_ == Type::object; }

  // Accessors for the matching type; anything else gets false, 0, "" or an empty list.
  bool as_bool() const { return type_ == Type::boolean && boolean_; }
  double as_double() const;
  // The number when it is a non-negative integer that fits (exact, unlike as_double()).
  std::optional<std::uint64_t> as_uint64() const;
  const std::string& as_string() const;  // the string, or for a number the text as written
  const Array& as_array() const { return array_; }
  const Object& as_object() const { return object_; }

  // An object's member, or null when this is not an object or has no such key.
  const JsonValue* find(std::string_view key) const;
  // Navigation that never fails: a missing member or item reads as null.
  const JsonValue& operator[](std::string_view key) const;
  const JsonValue& operator[](std::size_t index) const;

 private:
  Type type_ = Type::null;
  bool boolean_ = false;
  std::string text_;  // string value, or the number as written
  Array array_;
  Object object_;
};

const char* to_string(JsonValue::Type);

// Parses one JSON text.
config::Parsed<JsonValue> parse_json(std::string_view text);

// A request body: a JSON object whose values are strings, numbers, booleans or null.
config::Parsed<JsonValue> parse_flat_object(std::string_view text);

}  // namespace tether::admin
