#include "admin/metrics_text.h"

#include <spdlog/fmt/fmt.h>

#include <cassert>
#include <cmath>

#include "admin/utf8.h"

namespace tether::admin {

namespace {

[[maybe_unused]] bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// HELP text: backslash and line feed escaped (quotes stay as they are).
std::string escape_help(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

}  // namespace

// Prometheus refuses a whole scrape over one label value that is not UTF-8 (a certificate path
// in Latin-1, say), so such bytes become U+FFFD, as in the admin API's JSON.
std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size();) {
    const char c = value[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      i += append_utf8_or_replacement(out, value.substr(i));
      continue;
    }
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
    ++i;
  }
  return out;
}

void MetricsText::family(std::string_view name, std::string_view type, std::string_view help) {
  assert(valid_name(name));
  assert(type == "counter" || type == "gauge" || type == "histogram");
  name_ = name;
  out_.append("# HELP ").append(name).append(" ").append(escape_help(help)).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void MetricsText::series(std::string_view suffix, std::initializer_list<Label> labels,
                         const Label* extra) {
  out_.append(name_).append(suffix);
  if (labels.size() == 0 && !extra) {
    out_ += ' ';
    return;
  }
  out_ += '{';
  bool first = true;
  const auto add = [&](const Label& label) {
    assert(valid_name(label.first));
    if (!first) out_ += ',';
    first = false;
    out_.append(label.first).append("=\"").append(escape_label_value(label.second)).append("\"");
  };
  for (const auto& label : labels)
    add(label);
  if (extra) add(*extra);
  out_.append("} ");
}

void MetricsText::sample(std::initializer_list<Label> labels, std::uint64_t value) {
  series("", labels, nullptr);
  out_.append(std::to_string(value)).append("\n");
}

void MetricsText::sample(std::initializer_list<Label> labels, double value) {
  series("", labels, nullptr);
  out_.append(format_value(value)).append("\n");
}

void MetricsText::histogram(std::initializer_list<Label> labels,
                            const lb::LatencyHistogram::Snapshot& s) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < lb::LatencyHistogram::kBuckets; ++i) {
    cumulative += s.buckets[i];
    const std::string le = i < lb::LatencyHistogram::kBoundsUs.size()
                               ? format_value(lb::LatencyHistogram::kBoundsUs[i] / 1e6)
                               : "+Inf";
    const Label bound{"le", le};
    series("_bucket", labels, &bound);
    out_.append(std::to_string(cumulative)).append("\n");
  }
  series("_sum", labels, nullptr);
  out_.append(format_value(static_cast<double>(s.sum_us) / 1e6)).append("\n");
  series("_count", labels, nullptr);
  out_.append(std::to_string(cumulative)).append("\n");
}

}  // namespace tether::admin
