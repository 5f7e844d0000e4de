// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): families, each with its HELP
// and TYPE lines once, followed by its samples; label values escaped (\\, \", \n); histograms as
// cumulative _bucket series ending in le="+Inf", then _sum and _count. Pure: no daemon behind it.
//
//   MetricsText m;
//   m.family("tether_frontend_connections_total", "counter", "Connections accepted.");
//   m.sample({{"frontend", "web"}}, 42);
//   std::string body = m.text();
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "lb/latency_histogram.h"

namespace tether::admin {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

using Label = std::pair<std::string_view, std::string_view>;

class MetricsText {
 public:
  // Starts a family. `type`: counter, gauge or histogram. Names must match
  // [a-zA-Z_:][a-zA-Z0-9_:]* (asserted: they are ours, not user input).
  void family(std::string_view name, std::string_view type, std::string_view help);

  // A sample of the current family. Label values may be anything (names from the config).
  void sample(std::initializer_list<Label> labels, std::uint64_t value);
  void sample(std::initializer_list<Label> labels, double value);

  // A histogram sample of the current family (type histogram): buckets in seconds.
  void histogram(std::initializer_list<Label> labels, const lb::LatencyHistogram::Snapshot& s);

  const std::string& text() const { return out_; }

 private:
  void series(std::string_view suffix, std::initializer_list<Label> labels, const Label* extra);

  std::string out_;
  std::string name_;  // the current family
};

// "a\"b" for a"b: backslash, double quote and line feed escaped (label values); bytes that
// are not UTF-8 replaced by U+FFFD.
std::string escape_label_value(std::string_view value);

}  // namespace tether::admin
