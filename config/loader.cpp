#include "config/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "config/address.h"
#include "config/duration.h"

namespace tether::config {
namespace {

// Where a map sits in the schema; the not-supported-yet table is keyed by it.
enum class Section { root, log, frontend, affinity, pool, server };

bool any_value(const YAML::Node&) {
  return true;
}

bool scalar_is(const YAML::Node& value, std::string_view text) {
  return value.IsScalar() && value.Scalar() == text;
}

bool is_true(const YAML::Node& value) {
  bool flag = false;
  return value.IsScalar() && YAML::convert<bool>::decode(value, flag) && flag;
}

bool is_non_empty_list(const YAML::Node& value) {
  return value.IsSequence() && value.size() > 0;
}

struct NotSupportedYet {
  Section section;
  std::string_view key;
  std::string_view refused;  // the refused value, for the message; empty: the key itself is refused
  bool (*applies)(const YAML::Node& value);
};

// SPEC §3 keys whose features are not built yet. They are refused, never silently accepted: an
// operator must not believe that TLS or health checking is on when it is not. When a feature
// lands, delete its line here and give the key a reader in the matching Loader::read_* function
// (keys refused only for some values, like `mode`, already have a reader that accepts every SPEC
// value). This is the only list of them.
const NotSupportedYet kNotSupportedYet[] = {
    {Section::root, "admin", "", any_value},
    {Section::root, "state_file", "", any_value},
    {Section::frontend, "tls", "", any_value},
    {Section::frontend, "mode", "mode http",
     [](const YAML::Node& v) { return scalar_is(v, "http"); }},
    {Section::frontend, "accept_proxy", "accept_proxy true", is_true},
    {Section::affinity, "type", "type cookie",
     [](const YAML::Node& v) { return scalar_is(v, "cookie"); }},
    {Section::affinity, "client_address", "client_address x-forwarded-for",
     [](const YAML::Node& v) { return scalar_is(v, "x-forwarded-for"); }},
    {Section::affinity, "trusted_proxies", "trusted_proxies other than []", is_non_empty_list},
    {Section::affinity, "cookie", "", any_value},
    {Section::affinity, "fallback", "", any_value},
    {Section::pool, "tls", "", any_value},
    {Section::pool, "health", "", any_value},
    {Section::server, "send_proxy", "send_proxy v1",
     [](const YAML::Node& v) { return scalar_is(v, "v1"); }},
    {Section::server, "send_proxy", "send_proxy v2",
     [](const YAML::Node& v) { return scalar_is(v, "v2"); }},
};

// The entry refusing `key: value` in `section`, or null when it is supported.
const NotSupportedYet* not_supported_yet(Section section, std::string_view key,
                                         const YAML::Node& value) {
  for (const NotSupportedYet& entry : kNotSupportedYet) {
    if (entry.section == section && entry.key == key && entry.applies(value)) return &entry;
  }
  return nullptr;
}

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

Parsed<Address> to_address(const YAML::Node& node, PortZero port_zero) {
  if (!node.IsScalar()) {
    return failure("expected an address (host:port or [v6]:port), got " + describe(node));
  }
  return parse_address(node.Scalar(), port_zero);
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

// ---- The walk over the document ----

// yaml-cpp marks are 0-based and an empty value is marked where the next token starts, so an
// empty value is blamed on its key instead.
Mark mark_of(const YAML::Node& node, Mark fallback) {
  const YAML::Mark mark = node.Mark();
  if (node.IsNull() || mark.is_null() || mark.line < 0) return fallback;
  return {mark.line + 1, mark.column + 1};
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

// Where the values that frontends sharing a pool must agree on were written.
struct FrontendMarks {
  Mark pool;
  Mark affinity_timeout;
  Mark affinity_table_size;
};

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) { config_.file = file_; }

  LoadResult load(const std::string& yaml) {
    YAML::Node root;
    try {
      root = YAML::Load(yaml);
    } catch (const YAML::Exception& e) {
      // e.msg is the bare reason; what() would repeat the position in yaml-cpp's own words.
      const Mark at = e.mark.is_null() ? Mark{1, 1} : Mark{e.mark.line + 1, e.mark.column + 1};
      error(at, "", "YAML syntax error: " + e.msg);
      return finish();
    }
    read_root(root);
    check_frontends_against_pools();
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

  // Reads every key of a map with `keys`; refuses not-supported-yet, unknown and repeated keys
  // (yaml-cpp keeps a repeated key silently). False when `node` is not a map.
  bool read_map(const Field& map, Section section, std::initializer_list<Key> keys) {
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
      if (const NotSupportedYet* refusal = not_supported_yet(section, name, entry.second)) {
        if (refusal->refused.empty()) {
          error(key_mark, field.path, "not supported yet");
        } else {
          error(field.mark, field.path, std::string(refusal->refused) + ": not supported yet");
        }
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
        root, Section::root,
        {
            {"threads",
             [&](const Field& f) { set(f, to_integer(f.value, 0u, 1024u), config_.threads); }},
            {"shutdown_grace",
             [&](const Field& f) { set(f, to_duration(f.value), config_.shutdown_grace); }},
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

  void read_log(const Field& map) {
    read_map(map, Section::log,
             {
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
                    Parsed<std::string> access = to_text(f.value);
                    if (access.ok() && access.value->empty()) {
                      access = failure("expected stdout, off or a file path, got \"\"");
                    }
                    set(f, std::move(access), config_.log.access);
                  }},
             });
  }

  void read_frontend(const Field& item) {
    FrontendConfig frontend;
    frontend.mark = item.mark;
    FrontendMarks marks{item.mark, item.mark, item.mark};
    const bool is_map = read_map(
        item, Section::frontend,
        {
            {"name",
             [&](const Field& f) {
               set(f, to_name(f.value), frontend.name);
               if (!frontend.name.empty())
                 claim_name(frontend_names_, f, frontend.name, "frontend");
             }},
            {"listen", [&](const Field& f) { read_listen(f, frontend); }},
            {"mode",
             [&](const Field& f) {
               set(f, to_choice<Mode>(f.value, {{"tcp", Mode::tcp}, {"http", Mode::http}}),
                   frontend.mode);
             }},
            {"pool",
             [&](const Field& f) {
               marks.pool = f.mark;
               set(f, to_text(f.value), frontend.pool);
             }},
            {"idle_timeout",
             [&](const Field& f) { set(f, to_duration(f.value), frontend.idle_timeout); }},
            {"accept_proxy", [&](const Field& f) { take(f, to_bool(f.value)); }},
            {"affinity", [&](const Field& f) { read_affinity(f, frontend.affinity, marks); }},
        });
    if (is_map) require(item, {"name", "listen", "pool"});
    config_.frontends.push_back(std::move(frontend));
    frontend_marks_.push_back(marks);
  }

  void read_listen(const Field& field, FrontendConfig& frontend) {
    auto add = [&](const Field& f) {
      std::optional<Address> address = take(f, to_address(f.value, PortZero::allowed));
      if (!address) return;
      // Port 0 is a fresh port each time it is bound, so it cannot clash.
      if (address->endpoint.port() != 0) {
        const auto [first, inserted] = listeners_.emplace(address->endpoint, f);
        if (!inserted) {
          error(f.mark, f.path,
                "\"" + address->text + "\" is already listened on by " + first->second.path +
                    " (line " + std::to_string(first->second.mark.line) + ")");
        }
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

  void read_affinity(const Field& map, AffinityConfig& affinity, FrontendMarks& marks) {
    marks.affinity_timeout = marks.affinity_table_size = map.key_mark;
    read_map(
        map, Section::affinity,
        {
            {"type",
             [&](const Field& f) {
               set(f,
                   to_choice<AffinityType>(f.value, {{"source", AffinityType::source},
                                                     {"cookie", AffinityType::cookie},
                                                     {"none", AffinityType::none}}),
                   affinity.type);
             }},
            {"ipv4_mask",
             [&](const Field& f) { set(f, to_integer(f.value, 0u, 32u), affinity.ipv4_mask); }},
            {"ipv6_mask",
             [&](const Field& f) { set(f, to_integer(f.value, 0u, 128u), affinity.ipv6_mask); }},
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
               take(f,
                    to_choice<std::string_view>(f.value, {{"connection", "connection"},
                                                          {"x-forwarded-for", "x-forwarded-for"}}));
             }},
            {"trusted_proxies",
             [&](const Field& f) {
               for_each_item(f, "CIDRs",
                             [&](const Field& cidr) { take(cidr, to_text(cidr.value)); });
             }},
        });
  }

  void read_pool(const Field& item) {
    PoolConfig pool;
    pool.mark = item.mark;
    const bool is_map = read_map(
        item, Section::pool,
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
        });
    if (is_map) require(item, {"name", "servers"});
    config_.pools.push_back(std::move(pool));
  }

  void read_servers(const Field& list, PoolConfig& pool) {
    std::map<std::string, Mark> names;  // unique within the pool only
    for_each_item(list, "servers", [&](const Field& item) {
      ServerConfig server;
      server.mark = item.mark;
      const bool is_map =
          read_map(item, Section::server,
                   {
                       {"name",
                        [&](const Field& f) {
                          set(f, to_name(f.value), server.name);
                          if (!server.name.empty()) claim_name(names, f, server.name, "server");
                        }},
                       {"address",
                        [&](const Field& f) {
                          set(f, to_address(f.value, PortZero::refused), server.address);
                        }},
                       {"weight",
                        [&](const Field& f) {
                          set(f, to_integer<std::uint32_t>(f.value, 1, 256), server.weight);
                        }},
                       {"send_proxy",
                        [&](const Field& f) {
                          // Read as text: `off` is YAML 1.1 for false, but here it names a choice.
                          take(f, to_choice<std::string_view>(
                                      f.value, {{"off", "off"}, {"v1", "v1"}, {"v2", "v2"}}));
                        }},
                   });
      if (is_map) require(item, {"name", "address"});
      pool.servers.push_back(std::move(server));
    });
    if (list.value.IsSequence() && list.value.size() == 0) {
      error(list.mark, list.path, "a pool needs at least one server");
    }
  }

  // Every frontend names an existing pool, and frontends sharing a pool share its stick table,
  // so they must agree on the table's lifetime and size. Reported at the later frontend.
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
      if (frontend.affinity.type == AffinityType::none) continue;  // never touches the table
      const auto [first, inserted] = first_user.emplace(frontend.pool, i);
      if (inserted) continue;
      const AffinityConfig& theirs = config_.frontends[first->second].affinity;
      const std::string other = "frontends[" + std::to_string(first->second) + "] (" +
                                config_.frontends[first->second].name + ")";
      const std::string why = ", which shares pool \"" + frontend.pool +
                              "\" and so its stick table; frontends of one pool must agree";
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

  std::string file_;
  Config config_;
  std::vector<FrontendMarks> frontend_marks_;  // parallel to config_.frontends
  std::map<std::string, Mark> frontend_names_;
  std::map<std::string, Mark> pool_names_;
  std::map<asio::ip::tcp::endpoint, Field> listeners_;
  std::vector<Problem> errors_;
};

}  // namespace

LoadResult load_string(const std::string& yaml, const std::string& file) {
  return Loader(file).load(yaml);
}

LoadResult load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back(path + ": cannot read: " + std::strerror(errno));
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_string(text.str(), path);
}

}  // namespace tether::config
