#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

constexpr double kPi = std::numbers::pi;

enum class Gear { Dumbbells, Kettlebells, Track };

struct Weight {
  double x;     // centre, normalised
  double size;  // fraction of the shorter side
  Rgb colour;
};

struct Runner {
  int lane;
  double start;  // fraction of a lap
  Rgb colour;
};

struct FitnessParams {
  Gear gear;
  Rgb wall;
  Rgb floor;
  double floorY;
  std::vector<Weight> weights;
  std::size_t lifted;  // dumbbell that lifts
  Rgb track;
  int lanes;
  std::vector<Runner> runners;
  double lap;  // laps run over the clip
};

// Point at `u` (fraction of the perimeter, clockwise from the top-left straight) on a rounded rect.
Point roundedRectPoint(double x0, double y0, double x1, double y1, double r, double u) {
  const double sx = std::max(0.0, x1 - x0 - 2 * r);
  const double sy = std::max(0.0, y1 - y0 - 2 * r);
  const double arc = kPi * r / 2;
  const double total = 2 * sx + 2 * sy + 4 * arc;
  double d = std::fmod(std::fmod(u, 1.0) + 1.0, 1.0) * total;
  const auto corner = [&](double cx, double cy, double from, double along) {
    const double a = from + along / r;
    return Point{cx + r * std::cos(a), cy + r * std::sin(a)};
  };
  if (d < sx) return {x0 + r + d, y0};
  d -= sx;
  if (d < arc) return corner(x1 - r, y0 + r, -kPi / 2, d);
  d -= arc;
  if (d < sy) return {x1, y0 + r + d};
  d -= sy;
  if (d < arc) return corner(x1 - r, y1 - r, 0, d);
  d -= arc;
  if (d < sx) return {x1 - r - d, y1};
  d -= sx;
  if (d < arc) return corner(x0 + r, y1 - r, kPi / 2, d);
  d -= arc;
  if (d < sy) return {x0, y1 - r - d};
  d -= sy;
  return corner(x0 + r, y0 + r, kPi, d);
}

void paintDumbbell(Canvas& c, Point centre, double length, Rgb plate) {
  const Rgb chrome = rgbHex(0xC7CCD1);
  c.fillEllipse({centre.x, centre.y + length * 0.26}, length * 0.5, length * 0.04, 0,
                rgbHex(0x000000), 0.25);
  c.strokeLine({centre.x - length * 0.46, centre.y}, {centre.x + length * 0.46, centre.y},
               length * 0.06, chrome);
  for (const double side : {-1.0, 1.0}) {
    const double inner = centre.x + side * length * 0.27;
    const double outer = centre.x + side * length * 0.36;
    c.fillRoundedRect(inner - length * 0.045, centre.y - length * 0.25, inner + length * 0.045,
                      centre.y + length * 0.25, length * 0.02, plate);
    c.fillRoundedRect(outer - length * 0.04, centre.y - length * 0.19, outer + length * 0.04,
                      centre.y + length * 0.19, length * 0.02, shade(plate, 0.85));
    const double collar = centre.x + side * length * 0.21;
    c.fillRect(collar - length * 0.015, centre.y - length * 0.05, collar + length * 0.015,
               centre.y + length * 0.05, shade(chrome, 0.8));
  }
  c.strokeLine({centre.x - length * 0.15, centre.y - length * 0.012},
               {centre.x + length * 0.15, centre.y - length * 0.012}, length * 0.012,
               rgbHex(0xFFFFFF), 0.6);
}

void paintKettlebell(Canvas& c, Point base, double size, Rgb colour, double angle) {
  const Point body = rotateAround({base.x, base.y - size * 0.9}, base, angle);
  const Point handle = rotateAround({base.x, base.y - size * 1.75}, base, angle);
  c.fillEllipse({base.x, base.y}, size * 0.9, size * 0.1, 0, rgbHex(0x000000), 0.25);
  c.fillRing(handle, size * 0.4, size * 0.62, shade(colour, 0.8));
  c.fillCircle(body, size, colour);
  c.fillEllipse(rotateAround({body.x - size * 0.4, body.y - size * 0.35}, body, angle), size * 0.22,
                size * 0.12, -0.8 + angle, rgbHex(0xFFFFFF), 0.3);
}

void paintFitness(Canvas& c, const FitnessParams& p, double t) {
  const Frame f = frameOf(c);
  if (p.gear == Gear::Track) {
    c.fill(rgbHex(0x9AA39A));
    const double m = 0.06 * f.s;
    const double lane = 0.36 * f.s / (p.lanes + 2);
    const double line = std::max(1.0, lane * 0.12);
    const double r0 = (f.s - 2 * m) / 2;
    for (int k = 0; k <= p.lanes; ++k) {
      const double in = m + k * lane;
      c.fillRoundedRect(in, in, f.w - in, f.h - in, r0 - k * lane, rgbHex(0xFFFFFF));
      const double inner = in + line;
      c.fillRoundedRect(inner, inner, f.w - inner, f.h - inner, r0 - k * lane - line,
                        k == p.lanes ? rgbHex(0x4E9A4E) : p.track);
    }
    const double in = m + p.lanes * lane + line;
    const Point centre = f.at(0.5, 0.5);
    const bool wide = f.w >= f.h;
    if (wide) {
      c.strokeLine({centre.x, in + lane}, {centre.x, f.h - in - lane}, line, rgbHex(0xFFFFFF), 0.9);
    } else {
      c.strokeLine({in + lane, centre.y}, {f.w - in - lane, centre.y}, line, rgbHex(0xFFFFFF), 0.9);
    }
    const double circle = std::min(f.w, f.h) * 0.1;
    c.fillRing(centre, circle - line, circle, rgbHex(0xFFFFFF), 0.9);
    // Start line across the lanes on the first straight.
    // Every lane's path starts at the same x on the top edge, so the start line is straight.
    c.strokeLine({m + r0, m}, {m + r0, in - line}, line * 2, rgbHex(0xFFFFFF));
    for (const Runner& runner : p.runners) {
      const double inset = m + (runner.lane + 0.5) * lane;
      const double u = runner.start + p.lap * (t - 1.0);
      const Point at = roundedRectPoint(inset, inset, f.w - inset, f.h - inset,
                                        r0 - (runner.lane + 0.5) * lane, u);
      c.fillCircle(at, lane * 0.44, rgbHex(0xFFFFFF));
      c.fillCircle(at, lane * 0.34, runner.colour);
    }
    return;
  }

  const double fy = p.floorY * f.h;
  c.fill(linearGradient({0, 0}, {0, fy}, {tone(p.wall, 0.1), p.wall}));
  c.fillRect(0, fy * 0.55, f.w, fy * 0.55 + 0.02 * f.s, tone(p.wall, -0.15));
  c.fillRect(0, fy, f.w, f.h, p.floor);
  for (int i = 1; i < 4; ++i) {
    c.strokeLine({0, fy + (f.h - fy) * i / 4}, {f.w, fy + (f.h - fy) * i / 4},
                 std::max(1.0, 0.003 * f.s), tone(p.floor, -0.25), 0.6);
  }
  for (std::size_t i = 0; i < p.weights.size(); ++i) {
    const Weight& w = p.weights[i];
    const double size = w.size * f.s;
    if (p.gear == Gear::Dumbbells) {
      const double lift = i == p.lifted ? 0.25 * f.s * std::sin(kPi * t) : 0.0;
      paintDumbbell(c, {w.x * f.w, fy + (f.h - fy) * 0.45 - size * 0.25 - lift}, size, w.colour);
    } else {
      const double rock = 0.15 * std::sin(4 * kPi * t) * std::sin(kPi * t);
      paintKettlebell(c, {w.x * f.w, fy + (f.h - fy) * 0.5}, size, w.colour,
                      i % 2 == 0 ? rock : -rock);
    }
  }
}

}  // namespace

Scene makeFitnessScene(Rng& rng, double aspect) {
  FitnessParams p{};
  p.gear = static_cast<Gear>(rng.between(0, 2));
  static const std::vector<Swatch> kWalls = {{"light grey", rgbHex(0xD5D9DE)},
                                             {"teal", rgbHex(0x4FA3A5)},
                                             {"charcoal", rgbHex(0x3B3F46)},
                                             {"warm beige", rgbHex(0xE3D3B8)}};
  static const std::vector<Swatch> kFloors = {{"black rubber", rgbHex(0x2A2C30)},
                                              {"light wooden", rgbHex(0xC89B6A)}};
  static const std::vector<Swatch> kColours = {
      {"black", rgbHex(0x23262B)},  {"red", rgbHex(0xD63A3A)},  {"blue", rgbHex(0x2F6FD6)},
      {"yellow", rgbHex(0xF2C230)}, {"pink", rgbHex(0xEC6FA8)}, {"teal", rgbHex(0x1FA39A)},
      {"purple", rgbHex(0x7C4DCC)}};
  const Swatch wall = rng.pick(kWalls);
  const Swatch floor = rng.pick(kFloors);
  p.wall = wall.rgb;
  p.floor = floor.rgb;
  p.floorY = rng.range(0.6, 0.7);

  // Weights never take the floor's own black, so they stay visible.
  const auto pickWeightColour = [&] {
    const Swatch colour = rng.pick(kColours);
    return colour.name == "black" && floor.name == "black rubber" ? kColours[1] : colour;
  };

  Scene scene;
  const std::string room =
      "on " + withArticle(floor.name) + " gym floor against " + withArticle(wall.name) + " wall";
  switch (p.gear) {
    case Gear::Dumbbells: {
      const int maxCount = std::clamp(static_cast<int>(aspect * 2.5), 1, 4);
      const int count = rng.between(1, maxCount);
      const double size = std::min(0.7, 0.9 * aspect / count) * rng.range(0.85, 1.0);
      const Swatch colour = pickWeightColour();
      for (int i = 0; i < count; ++i) p.weights.push_back({(i + 0.5) / count, size, colour.rgb});
      p.lifted = rng.index(p.weights.size());
      scene.title = capitalized(countOf(count, colour.name + " dumbbell") + " " + room);
      scene.description = "Flat illustration of " + countOf(count, "dumbbell") + " with " +
                          colour.name + " weight plates and chrome handles resting " + room + ".";
      scene.tags = {"fitness",           "dumbbells", "gym",       "weights",
                    "strength training", "workout",   colour.name, "illustration"};
      scene.motionPhrase = "dumbbell lifted";
      scene.motionSentence = count > 1
                                 ? "One of the dumbbells rises off the floor and is set back down."
                                 : "The dumbbell rises off the floor and is set back down.";
      scene.motionTags = {"lifting"};
      break;
    }
    case Gear::Kettlebells: {
      const int maxCount = std::clamp(static_cast<int>(aspect * 3), 1, 5);
      const int count = rng.between(1, maxCount);
      std::vector<std::string> names;
      for (int i = 0; i < count; ++i) {
        const Swatch colour = pickWeightColour();
        const double size = std::min(0.2, 0.38 * aspect / count) * rng.range(0.8, 1.0);
        p.weights.push_back({(i + 0.5) / count, size, colour.rgb});
        if (std::find(names.begin(), names.end(), colour.name) == names.end())
          names.push_back(colour.name);
      }
      scene.title = capitalized(count == 1 ? withArticle(names[0]) + " kettlebell " + room
                                           : "row of " + numberWord(count) + " " + joinList(names) +
                                                 " kettlebells");
      scene.description = "Flat illustration of " + countOf(count, "kettlebell") + " in " +
                          joinList(names) + (count > 1 ? ", in different sizes," : "") +
                          " standing " + room + ".";
      scene.tags = {"fitness",           "kettlebell", "gym",         "weights",
                    "strength training", "workout",    "illustration"};
      scene.motionPhrase = "kettlebells rocking";
      scene.motionSentence = count > 1
                                 ? "The kettlebells rock gently from side to side and settle."
                                 : "The kettlebell rocks gently from side to side and settles.";
      scene.motionTags = {"rocking"};
      break;
    }
    case Gear::Track: {
      static const std::vector<Swatch> kTracks = {{"terracotta", rgbHex(0xC0573E)},
                                                  {"blue", rgbHex(0x2F5DA8)},
                                                  {"dark red", rgbHex(0x8E2C2C)}};
      const Swatch track = rng.pick(kTracks);
      p.track = track.rgb;
      p.lanes = rng.between(4, 8);
      const int runners = rng.between(2, std::min(6, p.lanes));
      std::vector<int> lanes;
      for (int i = 0; i < p.lanes; ++i) lanes.push_back(i);
      for (int i = 0; i < runners; ++i) {
        const std::size_t k = rng.index(lanes.size());
        p.runners.push_back({lanes[k], rng.range(0.0, 1.0),
                             kColours[static_cast<std::size_t>(i) % kColours.size()].rgb});
        lanes.erase(lanes.begin() + static_cast<std::ptrdiff_t>(k));
      }
      p.lap = rng.range(0.25, 0.45);
      scene.title = capitalized(track.name + " running track with " + countOf(p.lanes, "lane") +
                                " and " + countOf(runners, "runner") + " seen from above");
      scene.description = "Top-down flat illustration of a rounded " + track.name +
                          " running track with " + countOf(p.lanes, "lane") +
                          " divided by white lines around a green infield with a centre "
                          "line and circle, and " +
                          countOf(runners, "coloured runner marker") + " in separate lanes.";
      scene.tags = {"fitness", "running", "running track", "athletics",
                    "stadium", "sport",   "top-down",      "illustration"};
      scene.motionPhrase = "runners racing";
      scene.motionSentence = "The runner markers race clockwise around their lanes.";
      scene.motionTags = {"racing", "running"};
      break;
    }
  }
  scene.paint = [p](Canvas& canvas, double t) { paintFitness(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
