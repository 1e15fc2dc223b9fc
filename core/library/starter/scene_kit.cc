#include "scene_kit.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "text.h"

namespace aigate::starter {

namespace {

constexpr double kTau = 2 * std::numbers::pi;

double wrapAngle(double a) {
  a = std::fmod(a, kTau);
  return a < 0 ? a + kTau : a;
}

// Points on the circle (centre, r) from angle `from` to `to`, going the way that passes `via`.
std::vector<Point> arc(Point centre, double r, double from, double to, double via, int samples) {
  double sweep = wrapAngle(to - from);
  if (wrapAngle(via - from) > sweep) sweep -= kTau;
  std::vector<Point> points;
  for (int i = 0; i <= samples; ++i) {
    const double a = from + sweep * i / samples;
    points.push_back({centre.x + r * std::cos(a), centre.y + r * std::sin(a)});
  }
  return points;
}

// The part of the disc (centre, r) not covered by an equal disc shifted by `offset`.
std::vector<Point> crescent(Point centre, double r, Point offset) {
  const double d = std::hypot(offset.x, offset.y);
  const Point u{offset.x / d, offset.y / d};
  const Point n{-u.y, u.x};
  const double h = std::sqrt(r * r - d * d / 4);
  const Point mid{centre.x + offset.x / 2, centre.y + offset.y / 2};
  const Point p1{mid.x + n.x * h, mid.y + n.y * h};
  const Point p2{mid.x - n.x * h, mid.y - n.y * h};
  const Point shadow{centre.x + offset.x, centre.y + offset.y};
  const double away = std::atan2(-u.y, -u.x);
  std::vector<Point> outline = arc(centre, r, std::atan2(p1.y - centre.y, p1.x - centre.x),
                                   std::atan2(p2.y - centre.y, p2.x - centre.x), away, 40);
  const std::vector<Point> inner = arc(shadow, r, std::atan2(p2.y - shadow.y, p2.x - shadow.x),
                                       std::atan2(p1.y - shadow.y, p1.x - shadow.x), away, 40);
  outline.insert(outline.end(), inner.begin(), inner.end());
  return outline;
}

Sky makeSky(DayTime time, const char* word, const char* when, const char* skyPhrase,
            const char* lightPhrase, std::uint32_t top, std::uint32_t horizon, std::uint32_t light,
            std::uint32_t cloud, bool crescentMoon = false) {
  return {time,
          word,
          when,
          skyPhrase,
          lightPhrase,
          rgbHex(top),
          rgbHex(horizon),
          rgbHex(light),
          rgbHex(cloud),
          crescentMoon};
}

const std::vector<Sky>& skies() {
  static const std::vector<Sky> kSkies = {
      makeSky(DayTime::Dawn, "dawn", "at dawn", "peach dawn sky", "a pale yellow rising sun",
              0x6C7FD1, 0xFFC59E, 0xFFE7A3, 0xFFE6D8),
      makeSky(DayTime::Dawn, "dawn", "at dawn", "lavender dawn sky", "a soft golden rising sun",
              0x7A6BB0, 0xF6B8C4, 0xFFD98A, 0xF9DDE6),
      makeSky(DayTime::Day, "day", "on a clear day", "clear blue sky", "a bright yellow sun",
              0x2F7FD8, 0xBFE3FF, 0xFFE45C, 0xFFFFFF),
      makeSky(DayTime::Day, "day", "on a summer day", "pale summer sky", "a bright white sun",
              0x69AEE8, 0xE8F5FF, 0xFFF6D0, 0xFFFFFF),
      makeSky(DayTime::Dusk, "dusk", "at dusk", "violet dusk sky", "a low orange sun", 0x3B2A6B,
              0xF28C5B, 0xFF8A3D, 0xE9A2A0),
      makeSky(DayTime::Dusk, "sunset", "at sunset", "crimson sunset sky", "a low red sun", 0x4A1C4F,
              0xFF6B5B, 0xFF4B2B, 0xF59A8C),
      makeSky(DayTime::Dusk, "golden hour", "at golden hour", "golden-hour sky",
              "a large golden sun", 0xE98A4E, 0xFFE2A6, 0xFFD166, 0xFFF0D9),
      makeSky(DayTime::Night, "night", "at night", "deep navy night sky", "a full moon", 0x060A1E,
              0x1E2E5E, 0xF4F1DE, 0x39456A),
      makeSky(DayTime::Night, "night", "at night", "indigo night sky", "a crescent moon", 0x0E0826,
              0x3A2F6B, 0xFFF4C7, 0x4A3F78, true),
  };
  return kSkies;
}

}  // namespace

Frame frameOf(const Canvas& canvas) {
  const double w = canvas.width();
  const double h = canvas.height();
  return {w, h, std::min(w, h)};
}

Sky pickSky(Rng& rng) { return rng.pick(skies()); }

std::string underSky(const Sky& sky) { return "under " + withArticle(sky.skyPhrase); }

Sky pickSky(Rng& rng, DayTime time) {
  std::vector<Sky> matching;
  for (const Sky& sky : skies()) {
    if (sky.time == time) matching.push_back(sky);
  }
  return rng.pick(matching);
}

void paintSky(Canvas& canvas, const Sky& sky, double horizonY) {
  const Frame f = frameOf(canvas);
  canvas.fill(linearGradient({0, 0}, {0, horizonY * f.h},
                             {sky.top, mix(sky.top, sky.horizon, 0.55), sky.horizon}));
}

void paintSkyLight(Canvas& canvas, const Sky& sky, Point centre, double radius) {
  if (sky.time != DayTime::Night) {
    canvas.fillGlow(centre, radius * 4, sky.light, 0.35);
    canvas.fillCircle(centre, radius, sky.light);
    return;
  }
  canvas.fillGlow(centre, radius * 2.6, sky.light, 0.18);
  if (sky.crescent) {
    canvas.fillPolygon(crescent(centre, radius, {-radius * 0.55, -radius * 0.2}), sky.light);
    return;
  }
  canvas.fillCircle(centre, radius, sky.light);
  const Rgb crater = shade(sky.light, 0.9);
  canvas.fillCircle({centre.x - radius * 0.3, centre.y - radius * 0.2}, radius * 0.22, crater);
  canvas.fillCircle({centre.x + radius * 0.35, centre.y + radius * 0.1}, radius * 0.15, crater);
  canvas.fillCircle({centre.x - radius * 0.05, centre.y + radius * 0.45}, radius * 0.12, crater);
}

std::vector<Cloud> makeClouds(Rng& rng, int count, double minY, double maxY) {
  std::vector<Cloud> clouds;
  for (int i = 0; i < count; ++i) {
    const double slot = (i + rng.range(0.15, 0.85)) / count;
    clouds.push_back({slot, rng.range(minY, maxY), rng.range(0.08, 0.16)});
  }
  return clouds;
}

void paintClouds(Canvas& canvas, const std::vector<Cloud>& clouds, Rgb colour, double drift) {
  const Frame f = frameOf(canvas);
  for (const Cloud& cloud : clouds) {
    const double x = -0.2 + std::fmod(std::fmod(cloud.x + drift + 0.2, 1.4) + 1.4, 1.4);
    const Point c = f.at(x, cloud.y);
    const double u = cloud.size * f.s;
    canvas.fillRoundedRect(c.x - 0.75 * u, c.y - 0.1 * u, c.x + 0.75 * u, c.y + 0.22 * u, 0.16 * u,
                           colour);
    canvas.fillCircle({c.x - 0.4 * u, c.y}, 0.3 * u, colour);
    canvas.fillCircle({c.x - 0.05 * u, c.y - 0.18 * u}, 0.42 * u, colour);
    canvas.fillCircle({c.x + 0.38 * u, c.y - 0.04 * u}, 0.3 * u, colour);
  }
}

std::vector<Star> makeStars(Rng& rng, int count, double maxY) {
  std::vector<Star> stars;
  for (int i = 0; i < count; ++i) {
    stars.push_back({rng.uniform(), rng.range(0.0, maxY), rng.range(0.6, 1.6), rng.uniform()});
  }
  return stars;
}

void paintStars(Canvas& canvas, const std::vector<Star>& stars, double t, double twinkle) {
  const Frame f = frameOf(canvas);
  const double unit = std::max(0.7, f.s / 400.0);
  for (const Star& star : stars) {
    const double wave = 0.5 + 0.5 * std::cos(kTau * (t * 2 + star.phase));
    const double brightness = 1.0 - twinkle * (1.0 - wave) * 0.85;
    canvas.fillCircle(f.at(star.x, star.y), star.size * unit, rgbHex(0xFFFBEA), 0.9 * brightness);
  }
}

double Hill::y(double x) const {
  return base + a1 * std::sin(kTau * f1 * x + p1) + a2 * std::sin(kTau * f2 * x + p2);
}

Hill makeHill(Rng& rng, double base, double amplitude) {
  return {base,
          amplitude * rng.range(0.5, 0.8),
          rng.range(0.4, 1.1),
          rng.range(0, kTau),
          amplitude * rng.range(0.15, 0.35),
          rng.range(1.5, 3.0),
          rng.range(0, kTau)};
}

void paintHill(Canvas& canvas, const Hill& hill, Rgb colour) {
  const Frame f = frameOf(canvas);
  std::vector<Point> outline;
  constexpr int kSamples = 64;
  for (int i = 0; i <= kSamples; ++i) {
    const double x = static_cast<double>(i) / kSamples;
    outline.push_back(f.at(x, hill.y(x)));
  }
  outline.push_back({f.w, f.h + 1});
  outline.push_back({0, f.h + 1});
  canvas.fillPolygon(outline, colour);
}

Ridge makeRidge(Rng& rng, int peaks, double valleyY, double peakMinY, double peakMaxY) {
  Ridge ridge;
  const int count = 2 * peaks + 1;
  for (int i = 0; i < count; ++i) {
    const double x = -0.05 + 1.1 * (i + rng.range(-0.25, 0.25)) / (count - 1);
    const double y =
        (i % 2 == 1) ? rng.range(peakMinY, peakMaxY) : valleyY + rng.range(-0.03, 0.03);
    ridge.points.push_back({x, y});
  }
  return ridge;
}

void paintRidge(Canvas& canvas, const Ridge& ridge, Rgb colour) {
  const Frame f = frameOf(canvas);
  std::vector<Point> outline;
  for (const Point& p : ridge.points) outline.push_back(f.at(p.x, p.y));
  outline.push_back({outline.back().x, f.h + 1});
  outline.push_back({outline.front().x, f.h + 1});
  canvas.fillPolygon(outline, colour);
}

void paintSnowCaps(Canvas& canvas, const Ridge& ridge, Rgb snow) {
  const Frame f = frameOf(canvas);
  for (std::size_t i = 1; i + 1 < ridge.points.size(); i += 2) {
    const Point peak = f.at(ridge.points[i].x, ridge.points[i].y);
    const Point left = f.at(ridge.points[i - 1].x, ridge.points[i - 1].y);
    const Point right = f.at(ridge.points[i + 1].x, ridge.points[i + 1].y);
    const Point l = lerp(peak, left, 0.3);
    const Point r = lerp(peak, right, 0.3);
    const Point notch = lerp(lerp(l, r, 0.5), peak, 0.45);
    canvas.fillPolygon({peak, r, lerp(r, notch, 0.5), notch, lerp(notch, l, 0.5), l}, snow);
  }
}

void paintPineTree(Canvas& canvas, Point base, double height, Rgb colour) {
  const double w = height * 0.42;
  canvas.fillRect(base.x - w * 0.08, base.y - height * 0.18, base.x + w * 0.08, base.y,
                  tone(colour, -0.45));
  for (int tier = 0; tier < 3; ++tier) {
    const double bottom = base.y - height * (0.12 + 0.26 * tier);
    const double top = bottom - height * 0.5;
    const double half = w * (1.0 - 0.22 * tier) / 2;
    canvas.fillPolygon({{base.x - half, bottom}, {base.x + half, bottom}, {base.x, top}}, colour);
  }
}

void paintRoundTree(Canvas& canvas, Point base, double height, Rgb leaves, Rgb trunk) {
  canvas.fillRect(base.x - height * 0.05, base.y - height * 0.5, base.x + height * 0.05, base.y,
                  trunk);
  canvas.fillCircle({base.x - height * 0.16, base.y - height * 0.55}, height * 0.22, leaves);
  canvas.fillCircle({base.x + height * 0.16, base.y - height * 0.58}, height * 0.22, leaves);
  canvas.fillCircle({base.x, base.y - height * 0.74}, height * 0.26, tone(leaves, 0.08));
}

Rgb litBy(Rgb colour, const Sky& sky) {
  double level = 1.0;
  switch (sky.time) {
    case DayTime::Dawn:
      level = 0.85;
      break;
    case DayTime::Day:
      level = 1.0;
      break;
    case DayTime::Dusk:
      level = 0.72;
      break;
    case DayTime::Night:
      level = 0.38;
      break;
  }
  return mix(shade(colour, level), sky.horizon, 0.12);
}

Rgb tone(Rgb colour, double amount) {
  return amount >= 0 ? mix(colour, {1, 1, 1}, amount) : mix(colour, {0, 0, 0}, -amount);
}

}  // namespace aigate::starter
