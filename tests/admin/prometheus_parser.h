// A strict parser of the Prometheus text exposition format 0.0.4, for tests: it refuses what
// Prometheus would refuse and what the format's conventions forbid — text that is not UTF-8, bad
// metric or label names,
// unknown escapes in label values, HELP or TYPE twice or after the family's samples, a family
// split in two, duplicate series, histograms whose le bounds do not ascend to +Inf, whose
// buckets are not cumulative, or whose _count differs from the +Inf bucket or lacks _sum.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/parsed.h"

namespace tether::test {

struct MetricSample {
  std::string name;  // with its suffix (_bucket, _sum, _count for histograms)
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct MetricFamily {
  std::string name;
  std::string type;  // counter, gauge, histogram, summary, untyped
  std::string help;
  std::vector<MetricSample> samples;
};

struct Exposition {
  std::vector<MetricFamily> families;

  const MetricFamily* family(const std::string& name) const;
  // The value of the sample `name` whose labels include all of `labels`; nullopt when no sample
  // or more than one matches.
  std::optional<double> value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const;
  // The sum over every sample `name` whose labels include `labels`.
  double sum(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;
};

// The error names the line: "line 12: ...".
config::Parsed<Exposition> parse_exposition(const std::string& text);

}  // namespace tether::test
