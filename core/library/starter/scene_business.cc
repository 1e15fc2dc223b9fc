#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

constexpr double kPi = std::numbers::pi;

enum class Chart { Bars, Line, Donut };
enum class Trend { Rising, Falling, Mixed };

struct BusinessParams {
  Chart chart;
  Rgb background;
  Rgb card;
  Rgb ink;  // gridlines, axes and placeholder labels
  Rgb primary;
  std::vector<Rgb> slices;
  std::vector<double> values;  // bars / points in [0, 1], donut shares summing to 1
  bool dark;
};

double easeOut(double t) { return 1.0 - (1.0 - t) * (1.0 - t); }

void paintPlaceholder(Canvas& c, double x, double y, double width, double height, Rgb colour) {
  c.fillRoundedRect(x, y, x + width, y + height, height / 2, colour);
}

void paintBusiness(Canvas& c, const BusinessParams& p, double t) {
  const Frame f = frameOf(c);
  c.fill(p.background);
  const double margin = 0.07 * f.s;
  const double x0 = margin, y0 = margin, x1 = f.w - margin, y1 = f.h - margin;
  c.fillRoundedRect(x0 + 0.01 * f.s, y0 + 0.015 * f.s, x1 + 0.01 * f.s, y1 + 0.015 * f.s,
                    0.04 * f.s, rgbHex(0x000000), p.dark ? 0.35 : 0.08);
  c.fillRoundedRect(x0, y0, x1, y1, 0.04 * f.s, p.card);
  const double pad = 0.07 * f.s;
  const double line = 0.022 * f.s;
  paintPlaceholder(c, x0 + pad, y0 + pad, (x1 - x0) * 0.35, line * 1.3, mix(p.ink, p.card, 0.2));
  paintPlaceholder(c, x0 + pad, y0 + pad + line * 2.2, (x1 - x0) * 0.22, line,
                   mix(p.ink, p.card, 0.55));

  const double left = x0 + pad;
  const double right = x1 - pad;
  const double top = y0 + pad + line * 5;
  const double bottom = y1 - pad - line * 2;
  const double grow = easeOut(t);

  if (p.chart == Chart::Donut) {
    const double radius = std::min((right - left) * 0.32, (bottom - top) * 0.48);
    const bool side = (right - left) > (bottom - top) * 1.2;
    const Point centre = side ? Point{left + radius * 1.1, (top + bottom) / 2}
                              : Point{(left + right) / 2, top + radius};
    double start = -kPi / 2;
    for (std::size_t i = 0; i < p.values.size(); ++i) {
      const double sweep = 2 * kPi * p.values[i] * grow;
      std::vector<Point> wedge;
      const int steps = std::max(2, static_cast<int>(sweep * 24));
      for (int k = 0; k <= steps; ++k) {
        const double a = start + sweep * k / steps;
        wedge.push_back({centre.x + radius * std::cos(a), centre.y + radius * std::sin(a)});
      }
      for (int k = steps; k >= 0; --k) {
        const double a = start + sweep * k / steps;
        wedge.push_back(
            {centre.x + radius * 0.58 * std::cos(a), centre.y + radius * 0.58 * std::sin(a)});
      }
      c.fillPolygon(wedge, p.slices[i]);
      start += sweep;
    }
    const double lx = side ? centre.x + radius * 1.4 : left;
    double ly = side ? centre.y - radius * 0.8 : centre.y + radius * 1.25;
    for (std::size_t i = 0; i < p.values.size() && ly + line < bottom + pad; ++i) {
      c.fillRoundedRect(lx, ly, lx + line * 1.2, ly + line * 1.2, line * 0.25, p.slices[i]);
      paintPlaceholder(c, lx + line * 2, ly + line * 0.2,
                       std::min(right - lx - line * 2, (x1 - x0) * 0.25), line * 0.8,
                       mix(p.ink, p.card, 0.45));
      ly += line * 2.2;
    }
    return;
  }

  for (int g = 0; g <= 4; ++g) {
    const double y = bottom - (bottom - top) * g / 4.0;
    c.strokeLine({left, y}, {right, y}, std::max(1.0, 0.003 * f.s),
                 mix(p.ink, p.card, g == 0 ? 0.1 : 0.75));
  }
  const std::size_t n = p.values.size();
  const double slot = (right - left) / static_cast<double>(n);
  if (p.chart == Chart::Bars) {
    for (std::size_t i = 0; i < n; ++i) {
      const double bx = left + slot * i + slot * 0.18;
      const double h = (bottom - top) * p.values[i] * grow;
      c.fillRoundedRect(bx, bottom - h, bx + slot * 0.64, bottom + 0.01 * f.s, slot * 0.08,
                        p.primary);
      paintPlaceholder(c, bx + slot * 0.1, bottom + line * 0.7, slot * 0.44, line * 0.7,
                       mix(p.ink, p.card, 0.5));
    }
    return;
  }

  std::vector<Point> points;
  for (std::size_t i = 0; i < n; ++i) {
    points.push_back({left + slot * (i + 0.5), bottom - (bottom - top) * p.values[i]});
  }
  // Reveal the line left to right.
  const double reveal = t * static_cast<double>(n - 1);
  std::vector<Point> shown;
  for (std::size_t i = 0; i < n; ++i) {
    if (static_cast<double>(i) <= reveal) {
      shown.push_back(points[i]);
    } else {
      shown.push_back(lerp(points[i - 1], points[i], reveal - static_cast<double>(i - 1)));
      break;
    }
  }
  std::vector<Point> area = shown;
  area.push_back({shown.back().x, bottom});
  area.push_back({shown.front().x, bottom});
  c.fillPolygon(area, p.primary, 0.18);
  c.strokePolyline(shown, std::max(2.0, 0.012 * f.s), p.primary);
  for (std::size_t i = 0; i < n; ++i) {
    if (static_cast<double>(i) > reveal + 1e-9) break;
    c.fillCircle(points[i], 0.014 * f.s, p.card);
    c.fillRing(points[i], 0.008 * f.s, 0.016 * f.s, p.primary);
  }
  for (std::size_t i = 0; i < n; ++i) {
    paintPlaceholder(c, left + slot * (i + 0.25), bottom + line * 0.7, slot * 0.5, line * 0.7,
                     mix(p.ink, p.card, 0.5));
  }
}

}  // namespace

Scene makeBusinessScene(Rng& rng, double aspect) {
  BusinessParams p{};
  p.chart = static_cast<Chart>(rng.between(0, 2));
  struct Theme {
    const char* name;
    const char* shortName;
    std::uint32_t background, card, ink;
    bool dark;
  };
  static const std::vector<Theme> kThemes = {
      {"a white card on a light grey background", "on light grey", 0xE9ECF1, 0xFFFFFF, 0x4A5568,
       false},
      {"a white card on a soft cream background", "on cream", 0xF3EEE3, 0xFFFFFF, 0x5A5048, false},
      {"a white card on a pale blue background", "on pale blue", 0xDCE8F5, 0xFFFFFF, 0x3E4C63,
       false},
      {"a dark slate card on a navy background", "in dark mode", 0x0F1A2E, 0x1C2A44, 0xB8C4D9,
       true}};
  const Theme theme = rng.pick(kThemes);
  p.background = rgbHex(theme.background);
  p.card = rgbHex(theme.card);
  p.ink = rgbHex(theme.ink);
  p.dark = theme.dark;
  static const std::vector<Swatch> kColours = {
      {"teal", rgbHex(0x14A89B)},   {"blue", rgbHex(0x3B82F6)},  {"coral", rgbHex(0xF26B5B)},
      {"purple", rgbHex(0x8B5CF6)}, {"green", rgbHex(0x22A35A)}, {"orange", rgbHex(0xF59E0B)}};
  const Swatch primary = rng.pick(kColours);
  p.primary = primary.rgb;

  Scene scene;
  const std::string setting = theme.name;
  if (p.chart == Chart::Donut) {
    const int n = rng.between(3, 6);
    double total = 0;
    for (int i = 0; i < n; ++i) {
      p.values.push_back(rng.range(0.5, 1.5));
      total += p.values.back();
    }
    for (double& v : p.values) v /= total;
    std::vector<std::string> names;
    const std::size_t first = rng.index(kColours.size());
    for (int i = 0; i < n; ++i) {
      const Swatch& s = kColours[(first + static_cast<std::size_t>(i)) % kColours.size()];
      p.slices.push_back(s.rgb);
      names.push_back(s.name);
    }
    scene.title = "Donut chart with " + countOf(n, "segment") + " in " + joinList(names) + " " +
                  theme.shortName;
    scene.description = "Flat business infographic of a donut chart split into " +
                        countOf(n, "segment") + " coloured " + joinList(names) +
                        ", with a colour legend and grey placeholder label lines, on " + setting +
                        ".";
    scene.tags = {"business",    "chart", "donut chart", "pie chart",
                  "infographic", "data",  "analytics",   "illustration"};
    scene.motionPhrase = "donut chart filling";
    scene.motionSentence =
        "The segments sweep clockwise around the ring until the donut is complete.";
    scene.motionTags = {"growing", "data visualization"};
  } else {
    const Trend trend = static_cast<Trend>(rng.between(0, 2));
    const int n = p.chart == Chart::Bars
                      ? rng.between(4, std::clamp(static_cast<int>(aspect * 7), 5, 12))
                      : rng.between(6, std::clamp(static_cast<int>(aspect * 9), 7, 14));
    for (int i = 0; i < n; ++i) {
      const double u = static_cast<double>(i) / (n - 1);
      const double base = trend == Trend::Rising    ? 0.2 + 0.7 * u
                          : trend == Trend::Falling ? 0.9 - 0.7 * u
                                                    : rng.range(0.25, 0.9);
      p.values.push_back(std::clamp(base + rng.range(-0.07, 0.07), 0.08, 0.98));
    }
    const std::string trendWord = trend == Trend::Rising    ? "rising"
                                  : trend == Trend::Falling ? "falling"
                                                            : "fluctuating";
    if (p.chart == Chart::Bars) {
      scene.title = capitalized(trendWord + " " + primary.name + " bar chart with " +
                                countOf(n, "bar") + " " + theme.shortName);
      scene.description = "Flat business infographic of a " + trendWord + " bar chart with " +
                          countOf(n, primary.name + " bar") +
                          " over light gridlines, with grey placeholder label lines, on " +
                          setting + ".";
      scene.tags = {"business", "chart",      "bar chart",   "infographic",
                    "data",     "statistics", "illustration"};
      scene.motionPhrase = "bars growing";
      scene.motionSentence = "The bars grow up from the baseline to their final heights.";
    } else {
      scene.title = capitalized(trendWord + " " + primary.name + " line chart with " +
                                countOf(n, "data point") + " " + theme.shortName);
      scene.description =
          "Flat business infographic of a " + trendWord + " line chart connecting " +
          countOf(n, "data point") + " in " + primary.name +
          " with a softly shaded area beneath, light gridlines and grey placeholder "
          "label lines, on " +
          setting + ".";
      scene.tags = {"business",    "chart", "line chart", "trend",
                    "infographic", "data",  "analytics",  "illustration"};
      scene.motionPhrase = "line drawing itself";
      scene.motionSentence = "The line draws itself from left to right, point by point.";
    }
    scene.tags.push_back(trendWord);
    if (trend == Trend::Rising) scene.tags.push_back("growth");
    scene.tags.push_back(primary.name);
    scene.motionTags = {"growing", "data visualization"};
  }
  if (p.dark) scene.tags.push_back("dark mode");
  scene.paint = [p](Canvas& canvas, double t) { paintBusiness(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
