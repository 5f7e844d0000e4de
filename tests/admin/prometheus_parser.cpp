#include "tests/admin/prometheus_parser.h"

#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

#include "admin/utf8.h"

namespace tether::test {

namespace {

bool metric_name(const std::string& s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool label_name(const std::string& s) {
  if (s.empty() || s.rfind("__", 0) == 0) return false;  // __ is reserved for Prometheus
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Go's strconv.ParseFloat as Prometheus uses it: decimal or exponent forms, NaN, ±Inf.
std::optional<double> parse_value(const std::string& s) {
  if (s == "NaN") return std::nan("");
  if (s == "+Inf" || s == "Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  if (s.empty()) return std::nullopt;
  for (const char c : s)
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

struct Failure {
  std::string message;
};

// name{a="x",b="y"} value [timestamp]
MetricSample parse_sample(const std::string& line) {
  MetricSample sample;
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ')
    ++i;
  sample.name = line.substr(0, i);
  if (!metric_name(sample.name)) throw Failure{"invalid metric name \"" + sample.name + "\""};
  if (i < line.size() && line[i] == '{') {
    ++i;
    for (;;) {
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      std::size_t eq = line.find('=', i);
      if (eq == std::string::npos) throw Failure{"label without '='"};
      const std::string name = line.substr(i, eq - i);
      if (!label_name(name)) throw Failure{"invalid label name \"" + name + "\""};
      i = eq + 1;
      if (i >= line.size() || line[i] != '"') throw Failure{"label value must be quoted"};
      ++i;
      std::string value;
      for (;;) {
        if (i >= line.size()) throw Failure{"unterminated label value"};
        const char c = line[i++];
        if (c == '"') break;
        if (c != '\\') {
          value += c;
          continue;
        }
        if (i >= line.size()) throw Failure{"unterminated escape"};
        const char e = line[i++];
        if (e == '\\')
          value += '\\';
        else if (e == '"')
          value += '"';
        else if (e == 'n')
          value += '\n';
        else
          throw Failure{std::string("invalid escape \\") + e + " in a label value"};
      }
      if (!sample.labels.emplace(name, value).second) throw Failure{"label \"" + name + "\" twice"};
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      throw Failure{"expected ',' or '}' after a label"};
    }
  }
  if (i >= line.size() || line[i] != ' ') throw Failure{"expected a space before the value"};
  ++i;
  std::istringstream rest(line.substr(i));
  std::string value, timestamp, extra;
  rest >> value >> timestamp >> extra;
  if (!extra.empty()) throw Failure{"trailing text after the timestamp"};
  const auto parsed = parse_value(value);
  if (!parsed) throw Failure{"invalid value \"" + value + "\""};
  sample.value = *parsed;
  if (!timestamp.empty() && timestamp.find_first_not_of("-0123456789") != std::string::npos)
    throw Failure{"invalid timestamp \"" + timestamp + "\""};
  return sample;
}

// The family a sample belongs to: histogram and summary samples carry a suffix.
std::string family_of(const MetricSample& s, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string sfx = suffix;
    if (s.name.size() > sfx.size() &&
        s.name.compare(s.name.size() - sfx.size(), sfx.size(), sfx) == 0) {
      const std::string base = s.name.substr(0, s.name.size() - sfx.size());
      const auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return s.name;
}

std::string series_key(const std::string& name, const std::map<std::string, std::string>& labels,
                       const char* skip = nullptr) {
  std::string key = name + "{";
  for (const auto& [k, v] : labels)
    if (!skip || k != skip) key += k + "=" + v + ",";
  return key + "}";
}

void check_histogram(const MetricFamily& f) {
  struct Series {
    std::vector<std::pair<double, double>> buckets;  // le, cumulative count
    std::optional<double> sum, count;
  };
  std::map<std::string, Series> series;
  for (const auto& s : f.samples) {
    const std::string key = series_key(f.name, s.labels, "le");
    auto& one = series[key];
    if (s.name == f.name + "_bucket") {
      const auto le = s.labels.find("le");
      if (le == s.labels.end()) throw Failure{f.name + "_bucket without le"};
      const auto bound = parse_value(le->second);
      if (!bound) throw Failure{"invalid le \"" + le->second + "\""};
      if (!one.buckets.empty() && !(*bound > one.buckets.back().first))
        throw Failure{"le bounds of " + key + " do not ascend at le=\"" + le->second + "\""};
      if (!one.buckets.empty() && s.value < one.buckets.back().second)
        throw Failure{"buckets of " + key + " are not cumulative at le=\"" + le->second + "\""};
      one.buckets.emplace_back(*bound, s.value);
    } else if (s.name == f.name + "_sum") {
      if (s.labels.count("le")) throw Failure{f.name + "_sum with le"};
      one.sum = s.value;
    } else if (s.name == f.name + "_count") {
      if (s.labels.count("le")) throw Failure{f.name + "_count with le"};
      one.count = s.value;
    } else {
      throw Failure{"sample " + s.name + " in histogram " + f.name};
    }
  }
  for (const auto& [key, one] : series) {
    if (one.buckets.empty() || !std::isinf(one.buckets.back().first))
      throw Failure{"histogram " + key + " has no le=\"+Inf\" bucket"};
    if (!one.sum) throw Failure{"histogram " + key + " has no _sum"};
    if (!one.count) throw Failure{"histogram " + key + " has no _count"};
    if (*one.count != one.buckets.back().second)
      throw Failure{"histogram " + key + ": _count differs from the +Inf bucket"};
  }
}

}  // namespace

config::Parsed<Exposition> parse_exposition(const std::string& text) {
  Exposition exposition;
  std::map<std::string, std::string> types;
  std::set<std::string> helps, finished, series;
  MetricFamily* current = nullptr;
  const auto open_family = [&](const std::string& name) -> MetricFamily& {
    if (current && current->name == name) return *current;
    if (finished.count(name)) throw Failure{"family " + name + " continues after another began"};
    if (current) finished.insert(current->name);
    exposition.families.push_back({name, types.count(name) ? types[name] : "untyped", "", {}});
    current = &exposition.families.back();
    return *current;
  };

  std::istringstream in(text);
  std::string line;
  int number = 0;
  try {
    if (!text.empty() && text.back() != '\n') throw Failure{"the last line has no line feed"};
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      for (std::size_t at = 0; at < line.size();) {
        const std::size_t n = admin::utf8_sequence_length(std::string_view(line).substr(at));
        if (n == 0) throw Failure{"not UTF-8 at byte " + std::to_string(at)};
        at += n;
      }
      if (line[0] == '#') {
        std::istringstream words(line);
        std::string hash, keyword, name;
        words >> hash >> keyword >> name;
        if (hash != "#" || (keyword != "HELP" && keyword != "TYPE")) continue;  // a comment
        if (!metric_name(name)) throw Failure{"invalid metric name \"" + name + "\""};
        const bool seen_samples = current && current->name == name && !current->samples.empty();
        if (keyword == "HELP") {
          if (!helps.insert(name).second) throw Failure{"HELP for " + name + " twice"};
          if (seen_samples) throw Failure{"HELP for " + name + " after its samples"};
          const std::size_t start = line.find(name) + name.size();
          open_family(name).help = start < line.size() ? line.substr(start + 1) : "";
        } else {
          std::string type, extra;
          words >> type >> extra;
          if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
              type != "untyped")
            throw Failure{"unknown type \"" + type + "\""};
          if (!extra.empty()) throw Failure{"trailing text after TYPE"};
          if (types.count(name)) throw Failure{"TYPE for " + name + " twice"};
          if (seen_samples) throw Failure{"TYPE for " + name + " after its samples"};
          types[name] = type;
          open_family(name).type = type;
        }
        continue;
      }
      MetricSample sample = parse_sample(line);
      const std::string family = family_of(sample, types);
      MetricFamily& f = open_family(family);
      if (f.type == "counter" && (std::isnan(sample.value) || sample.value < 0))
        throw Failure{"counter " + sample.name + " is negative or NaN"};
      if (!series.insert(series_key(sample.name, sample.labels)).second)
        throw Failure{"series " + series_key(sample.name, sample.labels) + " twice"};
      f.samples.push_back(std::move(sample));
    }
    number = 0;
    for (const auto& f : exposition.families)
      if (f.type == "histogram") check_histogram(f);
  } catch (const Failure& failure) {
    return config::failure(number ? "line " + std::to_string(number) + ": " + failure.message
                                  : failure.message);
  }
  return exposition;
}

const MetricFamily* Exposition::family(const std::string& name) const {
  for (const auto& f : families)
    if (f.name == name) return &f;
  return nullptr;
}

namespace {
bool includes(const std::map<std::string, std::string>& labels,
              const std::map<std::string, std::string>& wanted) {
  for (const auto& [k, v] : wanted) {
    const auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}
}  // namespace

std::optional<double> Exposition::value(const std::string& name,
                                        const std::map<std::string, std::string>& labels) const {
  std::optional<double> found;
  for (const auto& f : families)
    for (const auto& s : f.samples)
      if (s.name == name && includes(s.labels, labels)) {
        if (found) return std::nullopt;
        found = s.value;
      }
  return found;
}

double Exposition::sum(const std::string& name,
                       const std::map<std::string, std::string>& labels) const {
  double total = 0;
  for (const auto& f : families)
    for (const auto& s : f.samples)
      if (s.name == name && includes(s.labels, labels)) total += s.value;
  return total;
}

}  // namespace tether::test
