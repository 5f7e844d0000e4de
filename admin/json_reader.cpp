#include "admin/json_reader.h"

#include <charconv>

#include "admin/utf8.h"

namespace tether::admin {

namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  config::Parsed<JsonValue> document() {
    skip_whitespace();
    JsonValue value;
    if (!parse_value(value, 0)) return config::failure(error_);
    skip_whitespace();
    if (pos_ != text_.size()) return config::failure(at("unexpected text after the JSON value"));
    return value;
  }

 private:
  bool fail(std::string what) {
    if (error_.empty()) error_ = at(std::move(what));
    return false;
  }
  std::string at(std::string what) const { return what + " at offset " + std::to_string(pos_); }
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }

  void skip_whitespace() {
    while (!done() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
      ++pos_;
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool parse_value(JsonValue& out, int depth) {
    if (done()) return fail("unexpected end of input");
    switch (peek()) {
      case '{':
        return parse_object(out, depth + 1);
      case '[':
        return parse_array(out, depth + 1);
      case '"': {
        std::string s;
        if (!parse_string(s)) return false;
        out = JsonValue::string(std::move(s));
        return true;
      }
      case 't':
        out = JsonValue::boolean(true);
        return literal("true");
      case 'f':
        out = JsonValue::boolean(false);
        return literal("false");
      case 'n':
        out = JsonValue();
        return literal("null");
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number(out);
        return fail("unexpected character");
    }
  }

  bool parse_object(JsonValue& out, int depth) {
    if (depth > kMaxDepth) return fail("nesting too deep");
    ++pos_;  // {
    JsonValue::Object members;
    skip_whitespace();
    if (peek() == '}') {
      ++pos_;
      out = JsonValue::object(std::move(members));
      return true;
    }
    for (;;) {
      skip_whitespace();
      if (peek() != '"') return fail("expected a string key");
      const std::size_t key_at = pos_;
      std::string key;
      if (!parse_string(key)) return false;
      for (const auto& [existing, _] : members)
        if (existing == key) {
          pos_ = key_at;
          return fail("duplicate key \"" + key + "\"");
        }
      skip_whitespace();
      if (peek() != ':') return fail("expected ':'");
      ++pos_;
      skip_whitespace();
      JsonValue value;
      if (!parse_value(value, depth)) return false;
      members.emplace_back(std::move(key), std::move(value));
      skip_whitespace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        out = JsonValue::object(std::move(members));
        return true;
      }
      return fail(done() ? "unterminated object" : "expected ',' or '}'");
    }
  }

  bool parse_array(JsonValue& out, int depth) {
    if (depth > kMaxDepth) return fail("nesting too deep");
    ++pos_;  // [
    JsonValue::Array items;
    skip_whitespace();
    if (peek() == ']') {
      ++pos_;
      out = JsonValue::array(std::move(items));
      return true;
    }
    for (;;) {
      skip_whitespace();
      JsonValue value;
      if (!parse_value(value, depth)) return false;
      items.push_back(std::move(value));
      skip_whitespace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        out = JsonValue::array(std::move(items));
        return true;
      }
      return fail(done() ? "unterminated array" : "expected ',' or ']'");
    }
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool parse_number(JsonValue& out) {
    const std::size_t start = pos_;
    const auto digits = [&] {
      const std::size_t from = pos_;
      while (!done() && peek() >= '0' && peek() <= '9')
        ++pos_;
      return pos_ - from;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
      if (peek() >= '0' && peek() <= '9') return fail("leading zero in a number");
    } else if (digits() == 0) {
      return fail("invalid number");
    }
    if (peek() == '.') {
      ++pos_;
      if (digits() == 0) return fail("invalid number");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (digits() == 0) return fail("invalid number");
    }
    out = JsonValue::number(std::string(text_.substr(start, pos_ - start)));
    return true;
  }

  bool hex4(char32_t& value) {
    value = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      const char c = peek();
      unsigned digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return fail("invalid \\u escape");
      }
      value = value * 16 + digit;
    }
    return true;
  }

  bool parse_escape(std::string& out) {
    ++pos_;  // backslash
    const char c = peek();
    ++pos_;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out += c;
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u': {
        char32_t unit;
        if (!hex4(unit)) return false;
        if (unit >= 0xDC00 && unit <= 0xDFFF) return fail("unpaired surrogate");
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          if (text_.substr(pos_, 2) != "\\u") return fail("unpaired surrogate");
          pos_ += 2;
          char32_t low;
          if (!hex4(low)) return false;
          if (low < 0xDC00 || low > 0xDFFF) return fail("unpaired surrogate");
          unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, unit);
        return true;
      }
      default:
        --pos_;
        return fail("invalid escape");
    }
  }

  bool parse_string(std::string& out) {
    ++pos_;  // opening quote
    for (;;) {
      if (done()) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!parse_escape(out)) return false;
      } else if (c < 0x20) {
        return fail("control character in a string");
      } else if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos_;
      } else {
        const std::size_t n = utf8_sequence_length(text_.substr(pos_));
        if (n == 0) return fail("invalid UTF-8");
        out.append(text_, pos_, n);
        pos_ += n;
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

JsonValue JsonValue::boolean(bool b) {
  JsonValue v;
  v.type_ = Type::boolean;
  v.boolean_ = b;
  return v;
}

JsonValue JsonValue::number(std::string text) {
  JsonValue v;
  v.type_ = Type::number;
  v.text_ = std::move(text);
  return v;
}

JsonValue JsonValue::string(std::string text) {
  JsonValue v;
  v.type_ = Type::string;
  v.text_ = std::move(text);
  return v;
}

JsonValue JsonValue::array(Array items) {
  JsonValue v;
  v.type_ = Type::array;
  v.array_ = std::move(items);
  return v;
}

JsonValue JsonValue::object(Object members) {
  JsonValue v;
  v.type_ = Type::object;
  v.object_ = std::move(members);
  return v;
}

double JsonValue::as_double() const {
  if (type_ != Type::number) return 0;
  double d = 0;
  std::from_chars(text_.data(), text_.data() + text_.size(), d);
  return d;
}

std::optional<std::uint64_t> JsonValue::as_uint64() const {
  if (type_ != Type::number) return std::nullopt;
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), n);
  if (ec != std::errc() || end != text_.data() + text_.size()) return std::nullopt;
  return n;
}

const std::string& JsonValue::as_string() const {
  static const std::string empty;
  return type_ == Type::string || type_ == Type::number ? text_ : empty;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const auto& [name, value] : object_)
    if (name == key) return &value;
  return nullptr;
}

const JsonValue& JsonValue::operator[](std::string_view key) const {
  static const JsonValue null;
  const JsonValue* member = find(key);
  return member ? *member : null;
}

const JsonValue& JsonValue::operator[](std::size_t index) const {
  static const JsonValue null;
  return index < array_.size() ? array_[index] : null;
}

const char* to_string(JsonValue::Type type) {
  switch (type) {
    case JsonValue::Type::null:
      return "null";
    case JsonValue::Type::boolean:
      return "a boolean";
    case JsonValue::Type::number:
      return "a number";
    case JsonValue::Type::string:
      return "a string";
    case JsonValue::Type::array:
      return "an array";
    case JsonValue::Type::object:
      return "an object";
  }
  return "?";
}

config::Parsed<JsonValue> parse_json(std::string_view text) {
  return Parser(text).document();
}

config::Parsed<JsonValue> parse_flat_object(std::string_view text) {
  auto parsed = parse_json(text);
  if (!parsed.ok()) return config::failure("body is not JSON: " + parsed.error);
  if (!parsed.value->is_object())
    return config::failure(std::string("body must be a JSON object, not ") +
                           to_string(parsed.value->type()));
  for (const auto& [key, value] : parsed.value->as_object())
    if (value.is_array() || value.is_object())
      return config::failure("\"" + key + "\" must be a string, number, boolean or null, not " +
                             to_string(value.type()));
  return parsed;
}

}  // namespace tether::admin
