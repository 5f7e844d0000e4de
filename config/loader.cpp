#include "config/loader.h"

#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "config/address.h"
#include "config/duration.h"
#include "config/tls_files.h"

namespace tether::config {
namespace {

// ---- Pure conversions from one YAML node; the messages name the offending text. ----

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "\"" + node.Scalar() + "\"";
    default:
      return "nothing";
  }
}

Parsed<std::string> to_text(const YAML::Node& node) {
  if (!node.IsScalar()) return failure("expected a string, got " + describe(node));
  return node.Scalar();
}

// Names end up in metrics labels, admin URLs and (servers) the Maglev permutation, so they are
// kept to characters that need no escaping anywhere.
Parsed<std::string> to_name(const YAML::Node& node) {
  Parsed<std::string> text = to_text(node);
  if (!text.ok()) return text;
  const std::string& name = *text.value;
  const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
  if (!valid) {
    return failure(describe(node) + " is not a valid name (letters, digits, '_', '.', '-')");
  }
  return text;
}

// Decimal digits only: yaml-cpp's as<unsigned> would take "0x10" and wrap "-1".
template <class T>
Parsed<T> to_integer(const YAML::Node& node, T min, T max) {
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  if (!node.IsScalar())
    return failure("expected an integer in " + range + ", got " + describe(node));
  const std::string& text = node.Scalar();
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc::invalid_argument || end != text.data() + text.size()) {
    return failure("expected an integer in " + range + ", got " + describe(node));
  }
  if (ec == std::errc::result_out_of_range || number < min || number > max) {
    return failure(describe(node) + " is not in " + range);
  }
  return static_cast<T>(number);
}

// `threads`, with the range `--threads` shares.
Parsed<unsigned> to_threads(const YAML::Node& node) {
  return to_integer(node, 0u, kMaxThreads);
}

Parsed<bool> to_bool(const YAML::Node& node) {
  bool flag = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, flag)) {
    return failure("expected true or false, got " + describe(node));
  }
  return flag;
}

Parsed<Duration> to_duration(const YAML::Node& node) {
  if (!node.IsScalar()) {
    return failure("expected a duration (500ms, 5s, 20m, 1h), got " + describe(node));
  }
  return parse_duration(node.Scalar());
}

// A timeout that must be set: 0 would mean waiting forever on a dead server.
Parsed<Duration> to_positive_duration(const YAML::Node& node) {
  Parsed<Duration> duration = to_duration(node);
  if (duration.ok() && *duration.value == Duration::zero()) {
    return failure("must be greater than 0");
  }
  return duration;
}

Parsed<Address> to_address(const YAML::Node& node, PortZero port_zero, HostNames host_names) {
  if (!node.IsScalar()) {
    return failure("expected an address (host:port or [v6]:port), got " + describe(node));
  }
  return parse_address(node.Scalar(), port_zero, host_names);
}

template <class T>
using Choices = std::initializer_list<std::pair<std::string_view, T>>;

template <class T>
Parsed<T> to_choice(const YAML::Node& node, Choices<T> choices) {
  std::string names;
  for (const auto& [name, value] : choices) {
    if (node.IsScalar() && node.Scalar() == name) return value;
    names += (names.empty() ? "" : "|") + std::string(name);
  }
  return failure("expected " + names + ", got " + describe(node));
}

bool is_visible_ascii(char c) {
  return c > ' ' && c < 0x7f;
}

// An http check's request target goes verbatim into "GET <path> HTTP/1.1".
Parsed<std::string> to_check_path(const YAML::Node& node) {
  Parsed<std::string> path = to_text(node);
  if (!path.ok()) return path;
  if (!path.value->starts_with('/')) return failure(describe(node) + " must start with '/'");
  if (!std::all_of(path.value->begin(), path.value->end(), is_visible_ascii)) {
    return failure(describe(node) + " contains a space or a control character");
  }
  return path;
}

// An http check's Host header (a name, possibly with a port).
Parsed<std::string> to_check_host(const YAML::Node& node) {
  Parsed<std::string> host = to_text(node);
  if (!host.ok()) return host;
  if (host.value->empty()) return failure("expected a host name, got \"\"");
  if (!std::all_of(host.value->begin(), host.value->end(), is_visible_ascii)) {
    return failure(describe(node) + " contains a space or a control character");
  }
  return host;
}

std::string_view trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && space(text.back()))
    text.remove_suffix(1);
  return text;
}

// health.expect_status: "200", "200-399" or a comma list of both, "200,204,300-399".
Parsed<std::vector<StatusRange>> to_status_ranges(const YAML::Node& node) {
  const std::string expected =
      "expected status codes like \"200-399\", \"200\" or \"200,204,300-399\", got ";
  if (!node.IsScalar()) return failure(expected + describe(node));
  const std::string& text = node.Scalar();
  const auto code = [&](std::string_view digits, unsigned& out) -> std::optional<Failure> {
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      return failure(expected + describe(node));
    }
    if (out < 100 || out > 599) {
      return failure("status " + std::string(digits) + " in " + describe(node) +
                     " is not in 100..599");
    }
    return std::nullopt;
  };
  std::vector<StatusRange> ranges;
  std::string_view rest = text;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    const std::size_t dash = item.find('-');
    StatusRange range;
    if (auto bad = code(trim(item.substr(0, dash)), range.low)) return std::move(*bad);
    range.high = range.low;
    if (dash != std::string_view::npos) {
      if (auto bad = code(trim(item.substr(dash + 1)), range.high)) return std::move(*bad);
      if (range.low > range.high) {
        return failure("range " + std::string(item) + " in " + describe(node) + " is backwards: " +
                       std::to_string(range.low) + " is above " + std::to_string(range.high));
      }
    }
    ranges.push_back(range);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return ranges;
}

// 127.0.0.0/8 and ::1 (also as ::ffff:127.x.y.z): only processes of this machine reach them.
bool is_loopback(const asio::ip::address& address) {
  if (address.is_v4()) return address.to_v4().is_loopback();
  const asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
  return v6.is_loopback();
}

// Two listening addresses that cannot both be bound: equal, or the same port and family with
// either one the wildcard (v6 listeners are v6-only, so 0.0.0.0 and [::] do not overlap).
bool overlaps(const asio::ip::tcp::endpoint& a, const asio::ip::tcp::endpoint& b) {
  if (a.port() != b.port() || a.address().is_v4() != b.address().is_v4()) return false;
  return a == b || a.address().is_unspecified() || b.address().is_unspecified();
}

// A secret kept in a file (the admin token, the cookie key): the file's content with surrounding
// whitespace (the final newline an editor or `echo` adds) trimmed. A relative path is taken from
// the configuration's folder. `what` names the secret in messages ("the token").
constexpr std::size_t kMaxSecretBytes = 4096;

std::filesystem::path next_to_config(const std::string& written, const std::string& config_file) {
  std::filesystem::path path(written);
  if (path.is_relative()) path = std::filesystem::path(config_file).parent_path() / path;
  return path;
}

std::string quoted(const std::filesystem::path& path) {
  return "\"" + path.string() + "\"";
}

Parsed<std::string> read_secret_file(const std::string& written, const std::string& config_file,
                                     std::string_view what) {
  if (written.empty()) return failure("expected a file path, got \"\"");
  const std::filesystem::path path = next_to_config(written, config_file);
  const std::string name = quoted(path);
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) return failure("cannot read " + name + ": " + std::strerror(errno));
  // One byte more than allowed tells a too long file (or /dev/urandom) from a full one.
  std::string content(kMaxSecretBytes + 1, '\0');
  content.resize(std::fread(content.data(), 1, content.size(), in));
  const int read_error = std::ferror(in) ? errno : 0;
  std::fclose(in);
  if (read_error != 0) return failure("cannot read " + name + ": " + std::strerror(read_error));
  if (content.size() > kMaxSecretBytes) {
    return failure(name + " is longer than " + std::to_string(kMaxSecretBytes) +
                   " bytes; it must hold just " + std::string(what));
  }
  std::string secret(trim(content));
  if (secret.empty()) return failure(name + " is empty; it must hold " + std::string(what));
  return secret;
}

// Why a file cannot be created in the directory of `path`, or nothing.
std::optional<Failure> unwritable_directory(const std::filesystem::path& path) {
  std::filesystem::path directory = path.parent_path();
  if (directory.empty()) directory = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec))
    return failure("directory " + quoted(directory) + " does not exist");
  if (::access(directory.c_str(), W_OK | X_OK) != 0)
    return failure("directory " + quoted(directory) + " is not writable: " + std::strerror(errno));
  return std::nullopt;
}

// Where the stick tables are kept across restarts. Checked now, so that a typo is an error at
// start rather than a warning at the first save: the directory must exist and be writable, and an
// existing file must be a regular file (its content is checked when it is read; a bad one is
// reported and ignored, never fatal). `check_disk` false (fuzzing) leaves the file system alone.
Parsed<std::string> to_state_file(const YAML::Node& node, const std::string& config_file,
                                  bool check_disk) {
  Parsed<std::string> written = to_text(node);
  if (!written.ok()) return written;
  if (written.value->empty()) return failure("expected a file path, got \"\"");
  const std::filesystem::path path = next_to_config(*written.value, config_file);
  if (!check_disk) return path.string();
  if (auto unwritable = unwritable_directory(path)) return std::move(*unwritable);
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    return failure(quoted(path) + " exists and is not a regular file");
  return path.string();
}

// log.access: stdout, off, or a file Tether appends to. The file is checked now, as `nginx -t`
// opens its logs: `--check` runs before every start of the systemd unit, and a log that cannot be
// opened would fail the start after the check passed, over and over. An existing file (or a
// device such as /dev/null) must be writable; a new one needs a writable directory. Nothing is
// created here. `check_disk` false (fuzzing) leaves the file system alone.
Parsed<std::string> to_access_log(const YAML::Node& node, const std::string& config_file,
                                  bool check_disk) {
  Parsed<std::string> written = to_text(node);
  if (!written.ok()) return written;
  if (written.value->empty()) return failure("expected stdout, off or a file path, got \"\"");
  if (*written.value == "stdout" || *written.value == "off") return written;
  const std::filesystem::path path = next_to_config(*written.value, config_file);
  if (!check_disk) return path.string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (auto unwritable = unwritable_directory(path)) return std::move(*unwritable);
  } else if (std::filesystem::is_directory(path, ec)) {
    return failure(quoted(path) + " is a directory");
  } else if (::access(path.c_str(), W_OK) != 0) {
    return failure("cannot write " + quoted(path) + ": " + std::strerror(errno));
  }
  return path.string();
}

// The admin bearer token.
Parsed<std::string> read_token_file(const std::string& written, const std::string& config_file) {
  Parsed<std::string> token = read_secret_file(written, config_file, "the token");
  if (token.ok() && !std::all_of(token.value->begin(), token.value->end(), is_visible_ascii)) {
    return failure(quoted(next_to_config(written, config_file)) +
                   ": the token contains a space or a non-printable character, which an "
                   "Authorization: Bearer header cannot carry");
  }
  return token;
}

// The key of cookie affinity's tokens. Any bytes will do, but not few of them: a short key can be
// guessed, and whoever knows it can forge a cookie naming any server.
constexpr std::size_t kMinCookieKeyBytes = 16;

Parsed<std::string> read_cookie_key_file(const std::string& written,
                                         const std::string& config_file) {
  Parsed<std::string> key = read_secret_file(written, config_file, "the key");
  if (key.ok() && key.value->size() < kMinCookieKeyBytes) {
    return failure(quoted(next_to_config(written, config_file)) + " holds a key of " +
                   std::to_string(key.value->size()) + " bytes; at least " +
                   std::to_string(kMinCookieKeyBytes) +
                   " are needed, since a short key can be guessed and then anyone can forge a "
                   "cookie naming any server");
  }
  return key;
}

// RFC 6265 cookie-name: an RFC 2616 token, visible ASCII but no separator.
Parsed<std::string> to_cookie_name(const YAML::Node& node) {
  Parsed<std::string> name = to_text(node);
  if (!name.ok()) return name;
  const auto token_char = [](char c) {
    return is_visible_ascii(c) &&
           std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
  };
  if (name.value->empty() || !std::all_of(name.value->begin(), name.value->end(), token_char)) {
    return failure(describe(node) +
                   " is not a valid cookie name (an RFC 6265 token: visible ASCII without spaces "
                   "or any of ()<>@,;:\\\"/[]?={})");
  }
  return name;
}

Parsed<Cidr> to_cidr(const YAML::Node& node) {
  if (!node.IsScalar()) {
    return failure("expected a CIDR like 10.0.0.0/8 or 2001:db8::/32, got " + describe(node));
  }
  return parse_cidr(node.Scalar());
}

// ---- The walk over the document ----

// yaml-cpp marks are 0-based and an empty value is marked where the next token starts, so an
// empty value is blamed on its key instead.
Mark mark_of(const YAML::Node& node, Mark fallback) {
  const YAML::Mark mark = node.Mark();
  if (node.IsNull() || mark.is_null() || mark.line < 0) return fallback;
  return {mark.line + 1, mark.column + 1};
}

// Where yaml-cpp found a syntax error, 1-based.
Mark mark_of(const YAML::Exception& e) {
  return e.mark.is_null() ? Mark{1, 1} : Mark{e.mark.line + 1, e.mark.column + 1};
}

// What a pass over the YAML stream's events finds before the documents are built: where a second
// document starts (its `---`, or the first text after a `...`), or where yaml-cpp stops making
// progress. yaml-cpp 0.7 (Debian 12) reports a token it cannot place, such as a `,` outside a flow
// collection, as an empty document without consuming it, over and over: YAML::LoadAll would grow
// a vector of them until memory runs out (jbeder/yaml-cpp#1319), so documents are counted here,
// three at most, and a document that starts where the previous one did is that stuck token (the
// first of the run may follow a sound document: `- a` then `,`).
struct DocumentScan {
  std::optional<Mark> second_document;
  std::optional<Mark> stuck_at;
};

DocumentScan scan_documents(const std::string& yaml) {
  struct DocumentStarts : YAML::EventHandler {
    std::vector<YAML::Mark> starts;
    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  };
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  DocumentStarts documents;
  while (documents.starts.size() < 3 && parser.HandleNextDocument(documents)) {
  }
  const auto at = [&](std::size_t i) {
    return Mark{documents.starts[i].line + 1, documents.starts[i].column + 1};
  };
  DocumentScan scan;
  for (std::size_t i = 1; i < documents.starts.size(); ++i) {
    if (documents.starts[i].pos == documents.starts[i - 1].pos) {
      scan.stuck_at = at(i);
      return scan;
    }
  }
  if (documents.starts.size() >= 2) scan.second_document = at(1);
  return scan;
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// One key (or list item) of the document being read.
struct Field {
  std::string path;  // "frontends[0].affinity.timeout"
  YAML::Node value;
  Mark mark;      // of the value, or of the key when the value is empty
  Mark key_mark;  // of the key (of the item, for list items)
};

struct Key {
  std::string_view name;
  std::function<void(const Field&)> read;
};

// What read_affinity saw, for the rules that involve the frontend's other keys. A value that was
// misspelt is reported once, and the rules leave it alone.
struct AffinityFields {
  bool type_known = true;
  std::optional<Field> type;  // written and read
  bool client_address_known = true;
  std::optional<Field> client_address;   // written and read
  std::optional<Field> trusted_proxies;  // written, a non-empty list
  std::vector<Field> cookie_only;        // `cookie`, `fallback`
};

// Where the values that frontends sharing a pool must agree on were written.
struct FrontendMarks {
  Mark pool;
  Mark affinity_ipv4_mask;
  Mark affinity_ipv6_mask;
  Mark affinity_timeout;
  Mark affinity_table_size;
};

class Loader {
 public:
  Loader(std::string file, const LoadOptions& options) : file_(std::move(file)), options_(options) {
    config_.file = file_;
  }

  LoadResult load(const std::string& yaml) {
    YAML::Node root;
    try {
      // The whole stream is read, so that whatever follows a `---` or `...` is refused too.
      const DocumentScan scan = scan_documents(yaml);
      if (scan.stuck_at) {
        error(*scan.stuck_at, "", "YAML syntax error: unexpected character");
        return finish();
      }
      if (scan.second_document) {
        error(*scan.second_document, "",
              "a second YAML document starts here; the configuration is one document (a "
              "concatenated or half-edited file?)");
        return finish();
      }
      root = YAML::Load(yaml);
    } catch (const YAML::DeepRecursion& e) {
      // yaml-cpp's own words for this are "bad file".
      error(mark_of(e), "",
            "YAML syntax error: nested " + std::to_string(e.depth()) + " levels deep, too deep");
      return finish();
    } catch (const YAML::Exception& e) {
      // e.msg is the bare reason; what() would repeat the position in yaml-cpp's own words.
      error(mark_of(e), "", "YAML syntax error: " + e.msg);
      return finish();
    }
    read_root(root);
    check_frontends_against_pools();
    check_admin_against_frontends();
    return finish();
  }

 private:
  void error(Mark at, const std::string& path, const std::string& reason) {
    std::string text =
        file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": ";
    if (!path.empty()) text += path + ": ";
    errors_.push_back({at, text + reason});
  }

  // The value, or nothing after reporting why not.
  template <class T>
  std::optional<T> take(const Field& field, Parsed<T> parsed) {
    if (!parsed.ok()) error(field.mark, field.path, parsed.error);
    return std::move(parsed.value);
  }

  template <class T, class Target>
  void set(const Field& field, Parsed<T> parsed, Target& target) {
    if (std::optional<T> value = take(field, std::move(parsed))) target = std::move(*value);
  }

  // Reads every key of a map with `keys`; refuses unknown and repeated keys (yaml-cpp keeps a
  // repeated key silently). False when `node` is not a map. `read`, when given, receives each
  // field that was read, for rules that involve several keys.
  bool read_map(const Field& map, std::initializer_list<Key> keys,
                std::vector<Field>* read = nullptr) {
    if (!map.value.IsMap()) {
      error(map.mark, map.path, "expected a map, got " + describe(map.value));
      return false;
    }
    std::set<std::string> seen;
    for (const auto& entry : map.value) {
      const std::string name =
          entry.first.IsScalar() ? entry.first.Scalar() : describe(entry.first);
      const Mark key_mark = mark_of(entry.first, map.mark);
      const Field field{join(map.path, name), entry.second, mark_of(entry.second, key_mark),
                        key_mark};
      if (!seen.insert(name).second) {
        error(key_mark, field.path, "duplicate key");
        continue;
      }
      const auto key = std::find_if(keys.begin(), keys.end(),
                                    [&](const Key& candidate) { return candidate.name == name; });
      if (key == keys.end()) {
        std::string known;
        for (const Key& candidate : keys) {
          known += (known.empty() ? "" : ", ") + std::string(candidate.name);
        }
        error(key_mark, field.path, "unknown key (known keys here: " + known + ")");
        continue;
      }
      key->read(field);
      if (read) read->push_back(field);
    }
    return true;
  }

  void require(const Field& map, std::initializer_list<std::string_view> names) {
    for (std::string_view name : names) {
      if (!map.value[std::string(name)].IsDefined()) {
        error(map.mark, join(map.path, name), "missing (required)");
      }
    }
  }

  // Calls `read_item` for each item of a list, with paths "list[i]".
  void for_each_item(const Field& list, std::string_view what,
                     const std::function<void(const Field&)>& read_item) {
    if (!list.value.IsSequence()) {
      error(list.mark, list.path,
            "expected a list of " + std::string(what) + ", got " + describe(list.value));
      return;
    }
    for (std::size_t i = 0; i < list.value.size(); ++i) {
      const YAML::Node item = list.value[i];
      const Mark at = mark_of(item, list.mark);
      read_item(Field{list.path + "[" + std::to_string(i) + "]", item, at, at});
    }
  }

  // Records `name` in `taken`; a second use is an error naming the line of the first.
  void claim_name(std::map<std::string, Mark>& taken, const Field& field, const std::string& name,
                  std::string_view what) {
    const auto [first, inserted] = taken.emplace(name, field.mark);
    if (!inserted) {
      error(field.mark, field.path,
            "duplicate " + std::string(what) + " name \"" + name + "\" (first at line " +
                std::to_string(first->second.line) + ")");
    }
  }

  void read_root(const YAML::Node& node) {
    const Field root{"", node, {1, 1}, {1, 1}};
    if (node.IsNull()) {  // an empty file
      error(root.mark, "frontends", "missing (required)");
      return;
    }
    const bool is_map = read_map(
        root,
        {
            {"threads", [&](const Field& f) { set(f, to_threads(f.value), config_.threads); }},
            {"shutdown_grace",
             [&](const Field& f) { set(f, to_duration(f.value), config_.shutdown_grace); }},
            {"state_file",
             [&](const Field& f) {
               set(f, to_state_file(f.value, file_, options_.read_files), config_.state_file);
             }},
            {"admin", [&](const Field& f) { read_admin(f); }},
            {"log", [&](const Field& f) { read_log(f); }},
            {"frontends",
             [&](const Field& f) {
               for_each_item(f, "frontends", [&](const Field& item) { read_frontend(item); });
               if (f.value.IsSequence() && f.value.size() == 0) {
                 error(f.mark, f.path, "at least one frontend is required");
               }
             }},
            {"pools",
             [&](const Field& f) {
               for_each_item(f, "pools", [&](const Field& item) { read_pool(item); });
             }},
        });
    if (is_map) require(root, {"frontends"});
  }

  void read_admin(const Field& map) {
    AdminConfig admin;
    bool listen_read = false;
    bool token_file_written = false;
    const bool is_map =
        read_map(map, {
                          {"listen",
                           [&](const Field& f) {
                             admin_listen_ = f;
                             if (std::optional<Address> listen = take(
                                     f, to_address(f.value, PortZero::allowed, host_names()))) {
                               admin.listen = std::move(*listen);
                               listen_read = true;
                             }
                           }},
                          {"token_file",
                           [&](const Field& f) {
                             token_file_written = true;
                             if (std::optional<std::string> path = take(f, to_text(f.value))) {
                               admin.token_file = *path;
                               set(f, read_secret(*path, read_token_file), admin.token);
                             }
                           }},
                      });
    if (!is_map) return;
    require(map, {"listen"});
    // Without a token anyone who reaches the port may drain servers or reload.
    if (listen_read && !token_file_written && !is_loopback(admin.listen.endpoint.address())) {
      error(admin_listen_->mark, admin_listen_->path,
            "a non-loopback address requires admin.token_file");
    }
    config_.admin = std::move(admin);
  }

  void read_log(const Field& map) {
    read_map(map, {
                      {"level",
                       [&](const Field& f) {
                         set(f,
                             to_choice<std::string_view>(f.value, {{"trace", "trace"},
                                                                   {"debug", "debug"},
                                                                   {"info", "info"},
                                                                   {"warn", "warn"},
                                                                   {"error", "error"}}),
                             config_.log.level);
                       }},
                      {"access",
                       [&](const Field& f) {
                         set(f, to_access_log(f.value, file_, options_.read_files),
                             config_.log.access);
                       }},
                  });
  }

  void read_frontend(const Field& item) {
    FrontendConfig frontend;
    frontend.mark = item.mark;
    FrontendMarks marks{item.mark, item.mark, item.mark, item.mark, item.mark};
    AffinityFields affinity;
    bool mode_known = true;
    bool accept_proxy_known = true;
    std::optional<Field> tls;
    const bool is_map = read_map(
        item, {
                  {"name",
                   [&](const Field& f) {
                     set(f, to_name(f.value), frontend.name);
                     if (!frontend.name.empty())
                       claim_name(frontend_names_, f, frontend.name, "frontend");
                   }},
                  {"listen", [&](const Field& f) { read_listen(f, frontend); }},
                  {"mode",
                   [&](const Field& f) {
                     const std::optional<Mode> mode = take(
                         f, to_choice<Mode>(f.value, {{"tcp", Mode::tcp}, {"http", Mode::http}}));
                     if (mode) frontend.mode = *mode;
                     mode_known = mode.has_value();
                   }},
                  {"pool",
                   [&](const Field& f) {
                     marks.pool = f.mark;
                     set(f, to_text(f.value), frontend.pool);
                   }},
                  {"idle_timeout",
                   [&](const Field& f) { set(f, to_duration(f.value), frontend.idle_timeout); }},
                  {"accept_proxy",
                   [&](const Field& f) {
                     const std::optional<bool> accept = take(f, to_bool(f.value));
                     if (accept) frontend.accept_proxy = *accept;
                     accept_proxy_known = accept.has_value();
                   }},
                  {"affinity",
                   [&](const Field& f) { affinity = read_affinity(f, frontend.affinity, marks); }},
                  {"tls", [&](const Field& f) { tls = f; }},
              });
    if (is_map) {
      require(item, {"name", "listen", "pool"});
      check_affinity_against_frontend(frontend, affinity, mode_known, accept_proxy_known);
    }
    // Read after the map: whether TLS makes sense depends on `mode`, wherever it was written.
    if (tls && mode_known && frontend.mode != Mode::http) {
      error(tls->key_mark, tls->path,
            "needs mode: http (mode is tcp); a tcp relay passes TLS through to the servers "
            "untouched, and terminating it is only useful to read cookies");
    } else if (tls) {
      frontend.tls = read_frontend_tls(*tls);
    }
    config_.frontends.push_back(std::move(frontend));
    frontend_marks_.push_back(marks);
  }

  // `tls:` of a frontend: one certificate (`cert`, `key`) or several (`certificates`).
  FrontendTls read_frontend_tls(const Field& map) {
    FrontendTls tls;
    std::optional<Field> cert, key, list;
    const bool is_map = read_map(
        map, {
                 {"cert", [&](const Field& f) { cert = f; }},
                 {"key", [&](const Field& f) { key = f; }},
                 {"certificates", [&](const Field& f) { list = f; }},
                 {"min_version",
                  [&](const Field& f) {
                    set(f,
                        to_choice<TlsVersion>(
                            f.value, {{"1.2", TlsVersion::tls12}, {"1.3", TlsVersion::tls13}}),
                        tls.min_version);
                  }},
             });
    if (!is_map) return tls;
    if (list && (cert || key)) {
      error(list->key_mark, list->path,
            "either cert and key (one certificate) or certificates (several), not both");
    } else if (list) {
      for_each_item(*list, "certificates ({ cert: FILE, key: FILE })", [&](const Field& item) {
        std::optional<Field> item_cert, item_key;
        if (!read_map(item, {
                                {"cert", [&](const Field& f) { item_cert = f; }},
                                {"key", [&](const Field& f) { item_key = f; }},
                            }))
          return;
        require(item, {"cert", "key"});
        if (item_cert && item_key) read_certificate_files(item, *item_cert, *item_key, tls);
      });
      if (list->value.IsSequence() && list->value.size() == 0)
        error(list->mark, list->path, "at least one certificate is required");
    } else if (cert || key) {
      require(map, {"cert", "key"});
      if (cert && key) read_certificate_files(map, *cert, *key, tls);
    } else {
      error(map.mark, map.path, "needs a certificate: cert and key, or certificates");
    }
    return tls;
  }

  void read_certificate_files(const Field& item, const Field& cert, const Field& key,
                              FrontendTls& tls) {
    const std::optional<std::string> cert_path = take(cert, to_text(cert.value));
    const std::optional<std::string> key_path = take(key, to_text(key.value));
    if (!cert_path || !key_path) return;
    if (!options_.read_files) {
      error(cert.mark, cert.path, "files are not read here");
      return;
    }
    bool key_at_fault = false;
    Parsed<TlsCertificate> read =
        read_certificate(next_to_config(*cert_path, file_).string(),
                         next_to_config(*key_path, file_).string(), key_at_fault);
    if (!read.ok()) {
      const Field& blamed = key_at_fault ? key : cert;
      error(blamed.mark, blamed.path, read.error);
      return;
    }
    read.value->mark = item.mark;
    tls.certificates.push_back(std::move(*read.value));
  }

  // `tls:` of a pool. `enabled` must be written: a block only for https checks' settings and one
  // that re-encrypts traffic must not be told apart by a default.
  void read_pool_tls(const Field& map, PoolTls& tls) {
    const bool is_map = read_map(
        map, {
                 {"enabled", [&](const Field& f) { set(f, to_bool(f.value), tls.enabled); }},
                 {"verify", [&](const Field& f) { set(f, to_bool(f.value), tls.verify); }},
                 {"ca",
                  [&](const Field& f) {
                    const std::optional<std::string> path = take(f, to_text(f.value));
                    if (!path) return;
                    tls.ca_file = *path;
                    if (!options_.read_files) {
                      error(f.mark, f.path, "files are not read here");
                      return;
                    }
                    set(f, read_ca_bundle(next_to_config(*path, file_).string()), tls.ca_pem);
                  }},
                 {"sni", [&](const Field& f) { set(f, to_check_host(f.value), tls.sni); }},
             });
    if (is_map) require(map, {"enabled"});
  }

  void read_listen(const Field& field, FrontendConfig& frontend) {
    auto add = [&](const Field& f) {
      std::optional<Address> address =
          take(f, to_address(f.value, PortZero::allowed, host_names()));
      if (!address) return;
      // Port 0 is a fresh port each time it is bound, so it cannot clash.
      if (address->endpoint.port() != 0) {
        if (std::optional<std::string> clash = clash_with_listeners(*address))
          error(f.mark, f.path, *clash);
        else
          listeners_.emplace(address->endpoint, f);
      }
      frontend.listen.push_back(std::move(*address));
    };
    if (field.value.IsScalar()) {
      add(field);
    } else if (field.value.IsSequence()) {
      for_each_item(field, "addresses", add);
      if (field.value.size() == 0)
        error(field.mark, field.path, "at least one address is required");
    } else {
      error(field.mark, field.path,
            "expected an address or a list of addresses, got " + describe(field.value));
    }
  }

  AffinityFields read_affinity(const Field& map, AffinityConfig& affinity, FrontendMarks& marks) {
    AffinityFields fields;
    marks.affinity_ipv4_mask = marks.affinity_ipv6_mask = map.key_mark;
    marks.affinity_timeout = marks.affinity_table_size = map.key_mark;
    read_map(map,
             {
                 {"type",
                  [&](const Field& f) {
                    const std::optional<AffinityType> type =
                        take(f, to_choice<AffinityType>(f.value, {{"source", AffinityType::source},
                                                                  {"cookie", AffinityType::cookie},
                                                                  {"none", AffinityType::none}}));
                    fields.type_known = type.has_value();
                    if (type) {
                      affinity.type = *type;
                      fields.type = f;
                    }
                  }},
                 {"ipv4_mask",
                  [&](const Field& f) {
                    marks.affinity_ipv4_mask = f.mark;
                    set(f, to_integer(f.value, 0u, 32u), affinity.ipv4_mask);
                  }},
                 {"ipv6_mask",
                  [&](const Field& f) {
                    marks.affinity_ipv6_mask = f.mark;
                    set(f, to_integer(f.value, 0u, 128u), affinity.ipv6_mask);
                  }},
                 {"timeout",
                  [&](const Field& f) {
                    marks.affinity_timeout = f.mark;
                    set(f, to_duration(f.value), affinity.timeout);
                  }},
                 {"table_size",
                  [&](const Field& f) {
                    marks.affinity_table_size = f.mark;
                    set(f, to_integer<std::uint64_t>(f.value, 1, 100'000'000), affinity.table_size);
                  }},
                 {"client_address",
                  [&](const Field& f) {
                    const std::optional<ClientAddress> address = take(
                        f, to_choice<ClientAddress>(
                               f.value, {{"connection", ClientAddress::connection},
                                         {"x-forwarded-for", ClientAddress::x_forwarded_for}}));
                    fields.client_address_known = address.has_value();
                    if (address) {
                      affinity.client_address = *address;
                      fields.client_address = f;
                    }
                  }},
                 {"trusted_proxies",
                  [&](const Field& f) {
                    for_each_item(f, "CIDRs", [&](const Field& item) {
                      if (std::optional<Cidr> cidr = take(item, to_cidr(item.value))) {
                        affinity.trusted_proxies.push_back(*cidr);
                      }
                    });
                    if (f.value.IsSequence() && f.value.size() > 0) fields.trusted_proxies = f;
                  }},
                 {"cookie",
                  [&](const Field& f) {
                    fields.cookie_only.push_back(f);
                    read_cookie(f, affinity.cookie);
                  }},
                 {"fallback",
                  [&](const Field& f) {
                    fields.cookie_only.push_back(f);
                    set(f,
                        to_choice<Fallback>(f.value, {{"source", Fallback::source},
                                                      {"least_conn", Fallback::least_conn},
                                                      {"round_robin", Fallback::round_robin}}),
                        affinity.fallback);
                  }},
             });
    return fields;
  }

  void read_cookie(const Field& map, CookieConfig& cookie) {
    read_map(map,
             {
                 {"name", [&](const Field& f) { set(f, to_cookie_name(f.value), cookie.name); }},
                 {"httponly", [&](const Field& f) { set(f, to_bool(f.value), cookie.httponly); }},
                 {"secure", [&](const Field& f) { set(f, to_bool(f.value), cookie.secure); }},
                 {"secret_file",
                  [&](const Field& f) {
                    if (std::optional<std::string> path = take(f, to_text(f.value))) {
                      cookie.secret_file = *path;
                      set(f, read_secret(*path, read_cookie_key_file), cookie.secret);
                    }
                  }},
             });
  }

  // The affinity rules that depend on the frontend's mode and accept_proxy.
  void check_affinity_against_frontend(const FrontendConfig& frontend, const AffinityFields& fields,
                                       bool mode_known, bool accept_proxy_known) {
    const AffinityConfig& affinity = frontend.affinity;
    const std::string mode_is = std::string(" (mode is ") + to_string(frontend.mode) + ")";
    if (fields.type && affinity.type == AffinityType::cookie && mode_known &&
        frontend.mode != Mode::http) {
      error(fields.type->mark, fields.type->path,
            "cookie affinity needs mode: http" + mode_is +
                "; a tcp relay never reads or sets cookies");
    }
    if (fields.type_known && affinity.type != AffinityType::cookie) {
      // Cookie settings on a frontend that does not use cookies: a forgotten `type: cookie`.
      for (const Field& f : fields.cookie_only) {
        error(f.key_mark, f.path,
              std::string("only with affinity.type: cookie (type is ") + to_string(affinity.type) +
                  ")");
      }
    }
    const bool forwarded_for = affinity.client_address == ClientAddress::x_forwarded_for;
    if (fields.client_address && forwarded_for) {
      if (mode_known && frontend.mode != Mode::http) {
        error(
            fields.client_address->mark, fields.client_address->path,
            "x-forwarded-for needs mode: http" + mode_is + "; a tcp relay never reads the header");
      } else if (!fields.trusted_proxies) {
        error(fields.client_address->mark, fields.client_address->path,
              "x-forwarded-for needs the proxies that may send the header in "
              "affinity.trusted_proxies; otherwise any client could choose its own address");
      }
    }
    if (fields.trusted_proxies && fields.client_address_known && accept_proxy_known &&
        !forwarded_for && !frontend.accept_proxy) {
      error(fields.trusted_proxies->key_mark, fields.trusted_proxies->path,
            "has no effect: it lists the peers that may send a PROXY header (accept_proxy: "
            "true) or X-Forwarded-For (client_address: x-forwarded-for), and neither is on");
    }
  }

  void read_pool(const Field& item) {
    PoolConfig pool;
    pool.mark = item.mark;
    const bool is_map = read_map(
        item,
        {
            {"name",
             [&](const Field& f) {
               set(f, to_name(f.value), pool.name);
               if (!pool.name.empty()) claim_name(pool_names_, f, pool.name, "pool");
             }},
            {"balance",
             [&](const Field& f) {
               set(f,
                   to_choice<Balance>(f.value, {{"maglev", Balance::maglev},
                                                {"least_conn", Balance::least_conn},
                                                {"round_robin", Balance::round_robin}}),
                   pool.balance);
             }},
            {"hash_seed",
             [&](const Field& f) {
               set(f,
                   to_integer<std::uint64_t>(f.value, 0, std::numeric_limits<std::uint64_t>::max()),
                   pool.hash_seed);
             }},
            {"servers", [&](const Field& f) { read_servers(f, pool); }},
            {"connect_timeout",
             [&](const Field& f) { set(f, to_positive_duration(f.value), pool.connect_timeout); }},
            {"server_timeout",
             [&](const Field& f) { set(f, to_positive_duration(f.value), pool.server_timeout); }},
            {"retries",
             [&](const Field& f) { set(f, to_integer(f.value, 0u, 10u), pool.retries); }},
            {"max_connections",
             [&](const Field& f) {
               set(f,
                   to_integer<std::uint32_t>(f.value, 0, std::numeric_limits<std::uint32_t>::max()),
                   pool.max_connections);
             }},
            {"health", [&](const Field& f) { read_health(f, pool); }},
            {"tls", [&](const Field& f) { read_pool_tls(f, pool.tls); }},
        });
    if (is_map) require(item, {"name", "servers"});
    config_.pools.push_back(std::move(pool));
  }

  void read_health(const Field& map, PoolConfig& pool) {
    using Type = HealthConfig::Type;
    HealthConfig health;  // written: every default is the SPEC's
    // A type that is refused or misspelt is reported once; nothing is checked against it.
    bool type_known = !(map.value.IsMap() && map.value["type"].IsDefined());
    bool timing_known = true;
    std::optional<Field> timeout_written;
    std::vector<Field> http_only;  // keys meaningless unless type is http or https
    std::vector<Field> written;    // every key read
    const bool is_map = read_map(
        map,
        {
            {"type",
             [&](const Field& f) {
               if (std::optional<Type> type =
                       take(f, to_choice<Type>(f.value, {{"tcp", Type::tcp},
                                                         {"http", Type::http},
                                                         {"https", Type::https},
                                                         {"none", Type::none}}))) {
                 health.type = *type;
                 type_known = true;
               }
             }},
            {"port",
             [&](const Field& f) {
               set(f, to_integer<std::uint16_t>(f.value, 1, 65535), health.port);
             }},
            {"interval",
             [&](const Field& f) {
               const std::optional<Duration> interval = take(f, to_positive_duration(f.value));
               if (interval) health.interval = *interval;
               timing_known = timing_known && interval.has_value();
             }},
            {"timeout",
             [&](const Field& f) {
               timeout_written = f;
               const std::optional<Duration> timeout = take(f, to_positive_duration(f.value));
               if (timeout) health.timeout = *timeout;
               timing_known = timing_known && timeout.has_value();
             }},
            {"rise", [&](const Field& f) { set(f, to_integer(f.value, 1u, 100u), health.rise); }},
            {"fall", [&](const Field& f) { set(f, to_integer(f.value, 1u, 100u), health.fall); }},
            {"path",
             [&](const Field& f) {
               http_only.push_back(f);
               set(f, to_check_path(f.value), health.path);
             }},
            {"host",
             [&](const Field& f) {
               http_only.push_back(f);
               set(f, to_check_host(f.value), health.host);
             }},
            {"expect_status",
             [&](const Field& f) {
               http_only.push_back(f);
               set(f, to_status_ranges(f.value), health.expect_status);
             }},
            {"observe", [&](const Field& f) { set(f, to_bool(f.value), health.observe); }},
        },
        &written);
    if (!is_map) return;
    pool.health_configured = true;

    if (type_known && health.type == Type::none) {
      // Nothing is checked, so any other key is a setting the operator believes in and does not
      // get (README "Keys that cannot apply are errors"); observing traffic could only mark
      // servers down, with no check to bring them back.
      for (const Field& f : written) {
        if (f.path == join(map.path, "type")) continue;
        error(f.key_mark, f.path,
              "only with a check (type tcp, http or https); type none checks nothing");
      }
      health.observe = false;
    } else if (type_known && health.type != Type::http && health.type != Type::https) {
      // A check that is not what the operator meant (a typo'd or forgotten `type: http`).
      for (const Field& f : http_only) {
        error(
            f.key_mark, f.path,
            std::string("only for http and https checks (type is ") + to_string(health.type) + ")");
      }
    }
    // A check must end before the next one is due. The default timeout follows a shorter
    // interval (`interval: 1s` alone means checks of 1s); a written one is the operator's.
    if (!timeout_written) health.timeout = std::min(health.timeout, health.interval);
    if (timing_known && timeout_written && health.timeout > health.interval) {
      error(timeout_written->mark, timeout_written->path,
            format_duration(health.timeout) + " is longer than interval " +
                format_duration(health.interval) +
                ": a check would still run when the next one is due");
    }
    pool.health = std::move(health);
  }

  void read_servers(const Field& list, PoolConfig& pool) {
    std::map<std::string, Mark> names;  // unique within the pool only
    for_each_item(list, "servers", [&](const Field& item) {
      ServerConfig server;
      server.mark = item.mark;
      const bool is_map = read_map(
          item, {
                    {"name",
                     [&](const Field& f) {
                       set(f, to_name(f.value), server.name);
                       if (!server.name.empty()) claim_name(names, f, server.name, "server");
                     }},
                    {"address",
                     [&](const Field& f) {
                       set(f, to_address(f.value, PortZero::refused, host_names()), server.address);
                     }},
                    {"weight",
                     [&](const Field& f) {
                       set(f, to_integer<std::uint32_t>(f.value, 1, 256), server.weight);
                     }},
                    {"send_proxy",
                     [&](const Field& f) {
                       // Read as text: `off` is YAML 1.1 for false, but here it names a choice.
                       set(f,
                           to_choice<SendProxy>(f.value, {{"off", SendProxy::off},
                                                          {"v1", SendProxy::v1},
                                                          {"v2", SendProxy::v2}}),
                           server.send_proxy);
                     }},
                });
      if (is_map) require(item, {"name", "address"});
      pool.servers.push_back(std::move(server));
    });
    if (list.value.IsSequence() && list.value.size() == 0) {
      error(list.mark, list.path, "a pool needs at least one server");
    }
  }

  // Every frontend names an existing pool, and the source-affinity frontends sharing a pool share
  // its stick table, so they must agree on what its keys mean (the masks), its lifetime and its
  // size. Reported at the later frontend. Cookie frontends (their fallback included) and those
  // without affinity never touch the table (README "Cookie clients have no stick entries";
  // lb/daemon.cpp stick_settings sizes it from source frontends alone).
  void check_frontends_against_pools() {
    std::map<std::string, std::size_t> first_user;  // pool name -> index of its first frontend
    for (std::size_t i = 0; i < config_.frontends.size(); ++i) {
      const FrontendConfig& frontend = config_.frontends[i];
      const FrontendMarks& marks = frontend_marks_[i];
      const std::string path = "frontends[" + std::to_string(i) + "]";
      if (frontend.pool.empty()) continue;  // missing: reported already
      if (config_.find_pool(frontend.pool) == nullptr) {
        std::string known;
        for (const PoolConfig& pool : config_.pools)
          known += (known.empty() ? "" : ", ") + pool.name;
        error(marks.pool, path + ".pool",
              "no pool named \"" + frontend.pool +
                  "\" (pools: " + (known.empty() ? "none" : known) + ")");
        continue;
      }
      if (frontend.mode == Mode::tcp && config_.find_pool(frontend.pool)->tls.enabled)
        error(marks.pool, path + ".pool",
              "pool \"" + frontend.pool +
                  "\" has tls.enabled, but this frontend is mode tcp: tls to servers needs mode "
                  "http frontends; a tcp relay passes bytes untouched");
      if (frontend.affinity.type != AffinityType::source) continue;  // never touches the table
      const auto [first, inserted] = first_user.emplace(frontend.pool, i);
      if (inserted) continue;
      const AffinityConfig& theirs = config_.frontends[first->second].affinity;
      const std::string other = "frontends[" + std::to_string(first->second) + "] (" +
                                config_.frontends[first->second].name + ")";
      const std::string why = ", which shares pool \"" + frontend.pool +
                              "\" and so its stick table; frontends of one pool must agree";
      if (frontend.affinity.ipv4_mask != theirs.ipv4_mask) {
        error(marks.affinity_ipv4_mask, path + ".affinity.ipv4_mask",
              std::to_string(frontend.affinity.ipv4_mask) + " differs from " +
                  std::to_string(theirs.ipv4_mask) + " in " + other + why);
      }
      if (frontend.affinity.ipv6_mask != theirs.ipv6_mask) {
        error(marks.affinity_ipv6_mask, path + ".affinity.ipv6_mask",
              std::to_string(frontend.affinity.ipv6_mask) + " differs from " +
                  std::to_string(theirs.ipv6_mask) + " in " + other + why);
      }
      if (frontend.affinity.timeout != theirs.timeout) {
        error(marks.affinity_timeout, path + ".affinity.timeout",
              format_duration(frontend.affinity.timeout) + " differs from " +
                  format_duration(theirs.timeout) + " in " + other + why);
      }
      if (frontend.affinity.table_size != theirs.table_size) {
        error(marks.affinity_table_size, path + ".affinity.table_size",
              std::to_string(frontend.affinity.table_size) + " differs from " +
                  std::to_string(theirs.table_size) + " in " + other + why);
      }
    }
  }

  // Why `address` cannot be bound next to the frontend addresses read so far, or nothing: they
  // are equal or overlap (overlaps()), and Tether's own listener would hold the port. The
  // addresses kept in listeners_ never overlap one another, so at most one is named.
  std::optional<std::string> clash_with_listeners(const Address& address) const {
    for (const auto& [endpoint, field] : listeners_) {
      if (!overlaps(address.endpoint, endpoint)) continue;
      std::ostringstream theirs;
      theirs << endpoint;
      return "\"" + address.text + "\" " +
             (address.endpoint == endpoint ? "is already listened on"
                                           : "overlaps " + theirs.str() + ", listened on") +
             " by " + field.path + " (line " + std::to_string(field.mark.line) + ")";
    }
    return std::nullopt;
  }

  // The admin port cannot be one a frontend listens on (port 0 is fresh at each bind).
  void check_admin_against_frontends() {
    if (!config_.admin || !admin_listen_) return;
    const Address& admin = config_.admin->listen;
    if (admin.endpoint.port() == 0) return;
    if (std::optional<std::string> clash = clash_with_listeners(admin))
      error(admin_listen_->mark, admin_listen_->path, *clash);
  }

  LoadResult finish() {
    LoadResult result;
    if (errors_.empty()) {
      result.config = std::move(config_);
      return result;
    }
    // Cross-checks run after the walk; the operator reads the file top to bottom.
    std::stable_sort(errors_.begin(), errors_.end(), [](const Problem& a, const Problem& b) {
      return std::pair(a.at.line, a.at.column) < std::pair(b.at.line, b.at.column);
    });
    for (Problem& problem : errors_)
      result.errors.push_back(std::move(problem.text));
    return result;
  }

  struct Problem {
    Mark at;
    std::string text;
  };

  HostNames host_names() const {
    return options_.resolve_names ? HostNames::resolved : HostNames::refused;
  }

  // `read` (read_token_file, read_cookie_key_file) on the path written, unless files are off.
  Parsed<std::string> read_secret(
      const std::string& written,
      Parsed<std::string> (*read)(const std::string& written,
                                  const std::string& config_file)) const {
    if (!options_.read_files) return failure("files are not read here");
    return read(written, file_);
  }

  std::string file_;
  LoadOptions options_;
  Config config_;
  std::vector<FrontendMarks> frontend_marks_;  // parallel to config_.frontends
  std::map<std::string, Mark> frontend_names_;
  std::map<std::string, Mark> pool_names_;
  // Of frontends, port 0 and addresses refused for a clash left out.
  std::map<asio::ip::tcp::endpoint, Field> listeners_;
  std::optional<Field> admin_listen_;
  std::vector<Problem> errors_;
};

// The whole file, or why not. A directory opens like a file and fails at the first read, so
// reading, not opening, is what tells.
Parsed<std::string> read_whole_file(const std::string& path) {
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) return failure(std::strerror(errno));
  std::string text;
  char buffer[64 * 1024];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, in))
    text.append(buffer, n);
  const int read_error = std::ferror(in) ? errno : 0;
  std::fclose(in);
  if (read_error != 0) return failure(std::strerror(read_error));
  return text;
}

}  // namespace

LoadResult load_string(const std::string& yaml, const std::string& file) {
  return load_string(yaml, file, LoadOptions{});
}

LoadResult load_string(const std::string& yaml, const std::string& file,
                       const LoadOptions& options) {
  return Loader(file, options).load(yaml);
}

LoadResult load_file(const std::string& path) {
  Parsed<std::string> text = read_whole_file(path);
  if (!text.ok()) {
    LoadResult result;
    result.errors.push_back(path + ": cannot read: " + text.error);
    return result;
  }
  return load_string(*text.value, path);
}

}  // namespace tether::config
