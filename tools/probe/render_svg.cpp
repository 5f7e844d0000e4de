#include <algorithm>
#include <cmath>
#include <vector>

#include "tools/probe/render.h"
#include "tools/probe/text_format.h"

namespace tether::probe {
namespace {

constexpr double width = 760, height = 360;
constexpr double left = 56, top = 74, bottom = 290;  // the bar chart's frame
constexpr double moves_width = 190;                  // the moves panel, right of the chart

const char* const before_colour = "#4a78b5";
const char* const after_colour = "#a8c3e3";
const char* const joined_colour = "#9a9a9a";
const char* const required_colour = "#3a9a4a";
const char* const needless_colour = "#d0453c";
const char* const added_colour = "#e89a2c";

// A round axis maximum at or above `value`: 1, 2, 5 times a power of ten.
double nice_ceiling(double value) {
  if (value <= 1) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(value)));
  for (const double step : {1.0, 2.0, 5.0, 10.0}) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

void text(std::string& out, double x, double y, const std::string& body, const char* anchor,
          int size, const char* extra = "") {
  out += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\"%s>%s</text>\n", x,
                y, anchor, size, extra, xml_escape(body).c_str());
}

void rect(std::string& out, double x, double y, double w, double h, const char* fill,
          const std::string& title) {
  out += format(
      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s</title>"
      "</rect>\n",
      x, y, std::max(w, 0.5), std::max(h, 0.0), fill, xml_escape(title).c_str());
}

void moves_panel(std::string& out, const Report& r, double x0) {
  struct Bar {
    const char* label;
    std::size_t value;
    const char* colour;
    std::string note = {};
  };
  std::vector<Bar> bars = {{"required", r.moves.required, required_colour},
                           {"needless", r.moves.needless, needless_colour}};
  if (r.scenario.kind == Scenario::add) {
    bars.push_back({"to added", r.moves.to_added, added_colour,
                    format(" (of the %zu needless)", r.moves.needless)});
  }
  std::size_t biggest = 1;
  for (const auto& bar : bars)
    biggest = std::max(biggest, bar.value);

  text(out, x0 + moves_width / 2, top - 14,
       format("moves at %s %s", std::string(to_string(r.scenario.kind)).c_str(),
              r.scenario.server.c_str()),
       "middle", 13, " font-weight=\"bold\"");
  const double slot = (moves_width - 20) / static_cast<double>(bars.size());
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const double h =
        0.85 * (bottom - top) * static_cast<double>(bars[i].value) / static_cast<double>(biggest);
    const double x = x0 + 10 + slot * static_cast<double>(i) + slot * 0.15;
    rect(out, x, bottom - h, slot * 0.7, h, bars[i].colour,
         format("%s: %zu clients%s", bars[i].label, bars[i].value, bars[i].note.c_str()));
    text(out, x + slot * 0.35, bottom - h - 4, std::to_string(bars[i].value), "middle", 12);
    text(out, x + slot * 0.35, bottom + 16, bars[i].label, "middle", 12);
  }
  text(out, x0 + moves_width / 2, bottom + 34,
       format("of %zu clients, %zu unserved", r.moves.considered, r.moves.unserved), "middle", 11,
       " fill=\"#555\"");
}

}  // namespace

std::string render_svg(const Report& r) {
  const bool scenario = r.scenario.kind != Scenario::none && r.scenario.performed;
  const double right = width - (scenario ? moves_width + 20 : 20);
  std::string out = format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n",
      width, height, width, height);
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";

  const double single = r.clients == 0 ? 0
                                       : 100.0 * static_cast<double>(r.clients_single_server) /
                                             static_cast<double>(r.clients);
  text(out, 16, 24,
       format("%zu clients: %.1f%% stayed on one server, %zu sessions lost, %zu errors", r.clients,
              single, r.sessions_lost, r.errors.total()),
       "start", 15, " font-weight=\"bold\"");
  text(out, 16, 44,
       format("tether-probe %s, max/mean %.3f, cov %.3f, latency p50 %.2f / p90 %.2f / p99 %.2f ms",
              r.run.target.c_str(), r.max_over_mean, r.cov, r.latency.p50, r.latency.p90,
              r.latency.p99),
       "start", 12, " fill=\"#333\"");

  // Axis: four gridlines up to a round maximum.
  double biggest = r.mean_clients;
  for (const auto& share : r.servers)
    biggest = std::max({biggest, static_cast<double>(share.clients),
                        scenario ? static_cast<double>(share.clients_after) : 0.0});
  const double axis_max = nice_ceiling(biggest);
  const auto y_of = [&](double value) { return bottom - (bottom - top) * value / axis_max; };
  for (int i = 0; i <= 4; ++i) {
    const double value = axis_max * i / 4;
    const double y = y_of(value);
    out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left,
                  y, right, y);
    text(out, left - 6, y + 4, format("%g", value), "end", 11, " fill=\"#555\"");
  }
  text(out, 14, (top + bottom) / 2, "clients", "middle", 12,
       format(" transform=\"rotate(-90 14 %.1f)\"", (top + bottom) / 2).c_str());

  // Bars: clients per home server; beside them, for a scenario, clients per server after it.
  const std::size_t n = std::max<std::size_t>(r.servers.size(), 1);
  const double slot = (right - left) / static_cast<double>(n);
  const bool counts = n <= 24;
  const std::size_t label_every = n <= 24 ? 1 : (n + 23) / 24;
  for (std::size_t i = 0; i < r.servers.size(); ++i) {
    const auto& share = r.servers[i];
    const double x = left + slot * static_cast<double>(i);
    const double bar = scenario ? slot * 0.4 : slot * 0.7;
    const double x_before = x + slot * 0.1 + (scenario ? 0 : slot * 0.05);
    const double v = static_cast<double>(share.clients);
    rect(out, x_before, y_of(v), bar, bottom - y_of(v),
         share.in_distribution ? before_colour : joined_colour,
         format("%s: %zu clients (home), %zu requests", share.name.c_str(), share.clients,
                share.requests));
    if (counts)
      text(out, x_before + bar / 2, y_of(v) - 4, std::to_string(share.clients), "middle", 10);
    if (scenario) {
      const double a = static_cast<double>(share.clients_after);
      rect(out, x_before + bar, y_of(a), bar, bottom - y_of(a), after_colour,
           format("%s: %zu clients after %s", share.name.c_str(), share.clients_after,
                  std::string(to_string(r.scenario.kind)).c_str()));
      if (counts)
        text(out, x_before + bar * 1.5, y_of(a) - 4, std::to_string(share.clients_after), "middle",
             10);
    }
    if (i % label_every == 0) {
      text(out, x + slot / 2, bottom + 16, share.name, "middle", 11);
    }
  }
  out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", left,
                bottom, right, bottom);
  const char* const mean_style = "stroke=\"#d0453c\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"";
  if (r.mean_clients > 0) {
    const double y = y_of(r.mean_clients);
    out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n", left, y, right, y,
                  mean_style);
  }

  // Legend.
  double lx = left;
  const auto legend = [&](const char* colour, const std::string& label) {
    rect(out, lx, bottom + 30, 12, 12, colour, label);
    text(out, lx + 16, bottom + 40, label, "start", 11);
    lx += 28 + 6.5 * static_cast<double>(label.size());
  };
  legend(before_colour, scenario ? "clients per server before" : "clients per server (home)");
  if (scenario) legend(after_colour, "after");
  if (std::any_of(r.servers.begin(), r.servers.end(),
                  [](const ServerShare& s) { return !s.in_distribution; })) {
    legend(joined_colour, "joined after the scenario point");
  }
  if (r.mean_clients > 0) {
    out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n", lx, bottom + 36,
                  lx + 18, bottom + 36, mean_style);
    text(out, lx + 22, bottom + 40, format("mean %.1f clients", r.mean_clients), "start", 11);
  }

  if (scenario) moves_panel(out, r, right + 20);
  out += "</svg>\n";
  return out;
}

}  // namespace tether::probe
