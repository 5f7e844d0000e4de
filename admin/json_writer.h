// Builds compact JSON text (RFC 8259) for the admin API. The writer places commas and colons and
// escapes strings; the caller says what comes next. Misuse (a value where a key is due, an
// unbalanced end) is a programming error, caught by asserts.
//
//   JsonWriter json;
//   json.begin_object().field("name", "fe01").field("active", 3).end_object();
//   json.text()  // {"name":"fe01","active":3}
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tether::admin {

// Appends `text` as a quoted JSON string. Control characters are escaped; bytes that are not
// valid UTF-8 become U+FFFD, so the output is valid JSON whatever the input.
void append_json_string(std::string& out, std::string_view text);
std::string json_string(std::string_view text);

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(bool b);
  JsonWriter& value(double number);  // NaN and infinities (not JSON) are written as null
  JsonWriter& value(std::nullptr_t) { return null(); }
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonWriter& value(T number) {
    before_value();
    out_ += std::to_string(number);
    return *this;
  }
  template <class T>
  JsonWriter& value(const std::optional<T>& maybe) {
    return maybe ? value(*maybe) : null();
  }
  JsonWriter& null();

  template <class T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  // The finished text: every object and array closed.
  const std::string& text() const;

 private:
  void before_value();

  struct Level {
    bool object;
    bool empty = true;
  };
  std::string out_;
  std::vector<Level> levels_;
  bool key_pending_ = false;  // inside an object, a key was written and its value is due
};

}  // namespace tether::admin
