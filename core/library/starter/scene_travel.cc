#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

constexpr double kPi = std::numbers::pi;

enum class Journey { Plane, Road, Beach };
enum class Backdrop { None, Mountains, Mesas };

struct Palm {
  double x;       // base, normalised
  double height;  // fraction of canvas height
  double lean;    // horizontal offset of the crown, fraction of height
  int fronds;
};

struct TravelParams {
  Journey journey;
  Sky sky;
  double horizon;
  // Plane
  Rgb accent;
  Point plane;
  double planeSize;
  std::vector<double> cloudBumps;
  // Road
  Rgb land;
  Backdrop backdrop;
  Ridge ridge;
  std::vector<Point> mesas;  // x centre, half width
  double vanishX;
  // Beach
  std::vector<Palm> palms;
  bool umbrella;
  Rgb umbrellaColour;
  double umbrellaX;
  bool sailboat;
  double shore;

  std::vector<Cloud> clouds;
  Point light;
  bool animateMain;  // plane flies / dashes roll / waves wash
  bool animateSway;  // palms sway
};

void paintCloudSea(Canvas& c, const TravelParams& p, double shift) {
  const Frame f = frameOf(c);
  const Rgb back = mix(p.sky.cloud, p.sky.horizon, 0.35);
  const Rgb front = p.sky.cloud;
  for (int row = 0; row < 2; ++row) {
    const double y = (row == 0 ? 0.68 : 0.76) * f.h;
    const Rgb colour = row == 0 ? back : front;
    c.fillRect(0, y, f.w, f.h, colour);
    const double offset = shift * (row == 0 ? 0.5 : 1.0);
    for (std::size_t i = 0; i < p.cloudBumps.size(); ++i) {
      double x = std::fmod(static_cast<double>(i) / p.cloudBumps.size() + offset + 0.5 * row, 1.0);
      if (x < 0) x += 1.0;
      const double r = p.cloudBumps[i] * f.s;
      for (const double wrap : {-1.0, 0.0, 1.0})
        c.fillCircle({(x + wrap) * f.w, y + r * 0.3}, r, colour);
    }
  }
}

void paintPlane(Canvas& c, const TravelParams& p, Point centre, double length) {
  const double tilt = -0.08;
  const auto at = [&](double x, double y) {
    return rotateAround({centre.x + x * length, centre.y + y * length}, centre, tilt);
  };
  const Rgb body = rgbHex(0xF7F8FA);
  const Rgb shadowSide = rgbHex(0xC9D0D8);
  c.fillPolygon({at(-0.05, 0.0), at(0.12, 0.0), at(-0.22, 0.28), at(-0.3, 0.28)}, shadowSide);
  c.fillPolygon({at(-0.36, -0.02), at(-0.44, -0.02), at(-0.52, -0.22), at(-0.44, -0.22)}, p.accent);
  c.fillPolygon({at(-0.42, 0.0), at(-0.36, 0.0), at(-0.48, 0.1), at(-0.52, 0.1)}, shadowSide);
  c.strokeLine(at(-0.46, -0.005), at(0.4, 0.0), length * 0.11, body);
  c.strokeLine(at(-0.4, 0.03), at(0.36, 0.035), length * 0.025, p.accent);
  for (int i = 0; i < 12; ++i) {
    c.fillCircle(at(-0.3 + i * 0.05, -0.015), length * 0.009, rgbHex(0x37474F));
  }
  c.fillPolygon({at(0.0, 0.02), at(0.14, 0.02), at(-0.12, 0.24), at(-0.2, 0.24)}, rgbHex(0xE3E7EC));
  c.strokeLine(at(-0.02, 0.09), at(0.08, 0.09), length * 0.05, rgbHex(0xB0BAC5));
}

void paintRoad(Canvas& c, const TravelParams& p, double t) {
  const Frame f = frameOf(c);
  const double hy = p.horizon * f.h;
  c.fillRect(0, hy, f.w, f.h, litBy(p.land, p.sky));
  c.fillRect(0, hy, f.w, hy + 0.01 * f.h, mix(litBy(p.land, p.sky), p.sky.horizon, 0.4));
  const Point vanish{p.vanishX * f.w, hy};
  const double bottomHalf = std::max(0.42 * f.w, 0.55 * f.s);
  const double cx = 0.5 * f.w;
  const auto edge = [&](double side, double s) {  // s: 0 at horizon, 1 at the bottom edge
    return Point{vanish.x + (cx + side * bottomHalf - vanish.x) * s, hy + (f.h - hy) * s};
  };
  c.fillPolygon({edge(-1.0, 0.0), edge(1.0, 0.0), edge(1.0, 1.0), edge(-1.0, 1.0)},
                litBy(rgbHex(0x44464B), p.sky));
  for (const double side : {-0.92, 0.92}) {
    c.fillPolygon({edge(side, 0.0), edge(side * 1.0001, 0.0), edge(side + 0.025, 1.0),
                   edge(side - 0.025, 1.0)},
                  rgbHex(0xF4F4F4), 0.9);
  }
  const double phase = p.animateMain ? (1.0 - t) * 2.0 : 0.0;
  for (int k = 0; k < 40; ++k) {
    const double z0 = 1.0 + (k + std::fmod(phase, 1.0)) * 1.2;
    const double z1 = z0 + 0.6;
    const double s0 = 1.0 / z0;
    const double s1 = 1.0 / z1;
    c.fillPolygon({edge(-0.025, s1), edge(0.025, s1), edge(0.025, s0), edge(-0.025, s0)},
                  rgbHex(0xF2C230));
  }
}

void paintPalm(Canvas& c, const Frame& f, const Palm& palm, double shore, double sway) {
  const Point base = f.at(palm.x, shore + 0.2);
  const double h = palm.height * f.h;
  const Point top{base.x + palm.lean * h, base.y - h};
  const Point control{base.x + palm.lean * h * 0.1, base.y - h * 0.6};
  const Rgb trunk = rgbHex(0x8D6E4F);
  for (int i = 0; i <= 24; ++i) {
    const double u = i / 24.0;
    const Point a = lerp(lerp(base, control, u), lerp(control, top, u), u);
    c.fillCircle(a, h * (0.035 - 0.013 * u), i % 2 == 0 ? trunk : shade(trunk, 0.85));
  }
  const Rgb leaf = rgbHex(0x2E7D32);
  for (int k = 0; k < palm.fronds; ++k) {
    const double angle =
        -kPi + kPi * (k + 0.5) / palm.fronds + 0.25 * std::sin(k * 2.1) + sway * (k % 2 ? 1 : -1);
    const double length = h * 0.45;
    const Point dir{std::cos(angle), std::sin(angle)};
    std::vector<Point> upper;
    std::vector<Point> lower;
    for (int i = 0; i <= 12; ++i) {
      const double u = i / 12.0;
      const Point spine{top.x + dir.x * u * length,
                        top.y + dir.y * u * length + 0.35 * u * u * length};
      const double w = 0.09 * length * std::sin(kPi * u);
      upper.push_back({spine.x - dir.y * w, spine.y + dir.x * w});
      lower.push_back({spine.x + dir.y * w, spine.y - dir.x * w});
    }
    upper.insert(upper.end(), lower.rbegin(), lower.rend());
    c.fillPolygon(upper, k % 2 ? leaf : tone(leaf, 0.15));
  }
  for (int i = 0; i < 3; ++i) {
    c.fillCircle({top.x + (i - 1) * h * 0.03, top.y + h * 0.03}, h * 0.025, rgbHex(0x5D4037));
  }
}

void paintBeach(Canvas& c, const TravelParams& p, double t) {
  const Frame f = frameOf(c);
  const double hy = p.horizon * f.h;
  const double sy = p.shore * f.h;
  c.fillRect(0, hy, f.w, f.h,
             linearGradient({0, hy}, {0, sy},
                            {mix(rgbHex(0x0E6BA8), p.sky.horizon, 0.25), rgbHex(0x38C1C9)}));
  if (p.sailboat) {
    const double bx = 0.2 * f.w;
    c.fillPolygon({{bx - 0.03 * f.s, hy + 0.004 * f.s},
                   {bx + 0.03 * f.s, hy + 0.004 * f.s},
                   {bx + 0.022 * f.s, hy + 0.014 * f.s},
                   {bx - 0.022 * f.s, hy + 0.014 * f.s}},
                  rgbHex(0x5D4037));
    c.fillPolygon({{bx, hy}, {bx, hy - 0.07 * f.s}, {bx + 0.028 * f.s, hy}}, rgbHex(0xFAFAFA));
  }
  const double wash = p.animateMain ? std::sin(2 * kPi * t) * 0.015 : 0.0;
  std::vector<Point> sand;
  std::vector<Point> foam;
  for (int i = 0; i <= 48; ++i) {
    const double x = i / 48.0;
    const double y = p.shore + wash + 0.012 * std::sin(x * 9 + 2 * kPi * (p.animateMain ? t : 0.0));
    sand.push_back(f.at(x, y));
    foam.push_back(f.at(x, y - 0.004));
  }
  sand.push_back({f.w, f.h + 1});
  sand.push_back({0, f.h + 1});
  c.fillPolygon(sand, litBy(rgbHex(0xE8CFA0), p.sky));
  c.strokePolyline(foam, std::max(2.0, 0.012 * f.s), rgbHex(0xFFFFFF), 0.85);
  if (p.umbrella) {
    const Point tip = f.at(p.umbrellaX, p.shore + 0.12);
    const double r = 0.14 * f.s;
    c.strokeLine({tip.x, tip.y}, {tip.x + 0.02 * r, tip.y + 0.25 * f.h}, std::max(2.0, 0.05 * r),
                 rgbHex(0x795548));
    for (int k = 0; k < 6; ++k) {
      std::vector<Point> wedge = {tip};
      for (int i = 0; i <= 6; ++i) {
        const double a = kPi + kPi * (k + i / 6.0) / 6;
        wedge.push_back({tip.x + r * std::cos(a), tip.y + 0.55 * r * std::sin(a) + 0.12 * r});
      }
      c.fillPolygon(wedge, k % 2 == 0 ? p.umbrellaColour : rgbHex(0xFAFAFA));
    }
  }
  const double sway = p.animateSway ? 0.08 * std::sin(2 * kPi * t) : 0.0;
  for (const Palm& palm : p.palms) paintPalm(c, f, palm, p.shore, sway);
}

void paintTravel(Canvas& c, const TravelParams& p, double t) {
  const Frame f = frameOf(c);
  paintSky(c, p.sky, p.journey == Journey::Plane ? 0.75 : p.horizon);
  paintSkyLight(c, p.sky, f.at(p.light.x, p.light.y), 0.07 * f.s);
  paintClouds(c, p.clouds, p.sky.cloud,
              p.journey == Journey::Plane && p.animateMain ? (t - 1.0) * 0.1 : 0.0);
  switch (p.journey) {
    case Journey::Plane: {
      const double shift = p.animateMain ? (1.0 - t) * 0.2 : 0.0;
      paintCloudSea(c, p, shift);
      const double x = p.plane.x + (p.animateMain ? (t - 1.0) * 0.45 : 0.0);
      paintPlane(c, p, f.at(x, p.plane.y), p.planeSize * f.s);
      break;
    }
    case Journey::Road:
      if (p.backdrop == Backdrop::Mountains)
        paintRidge(c, p.ridge, mix(litBy(rgbHex(0x6D6A8A), p.sky), p.sky.horizon, 0.3));
      for (const Point& mesa : p.mesas) {
        const double top = p.horizon - 0.08 - 0.05 * std::fmod(mesa.x * 7.0, 1.0);
        c.fillPolygon({f.at(mesa.x - mesa.y, p.horizon + 0.005), f.at(mesa.x - mesa.y * 0.7, top),
                       f.at(mesa.x + mesa.y * 0.7, top), f.at(mesa.x + mesa.y, p.horizon + 0.005)},
                      mix(litBy(rgbHex(0xB5563A), p.sky), p.sky.horizon, 0.25));
      }
      paintRoad(c, p, t);
      break;
    case Journey::Beach:
      paintBeach(c, p, t);
      break;
  }
}

}  // namespace

Scene makeTravelScene(Rng& rng, double aspect) {
  TravelParams p{};
  p.journey = static_cast<Journey>(rng.between(0, 2));
  p.sky = pickSky(rng, static_cast<DayTime>(rng.between(0, 2)));
  p.horizon = rng.range(0.5, 0.58);
  const bool low = p.sky.time != DayTime::Day;
  p.light = {rng.range(0.15, 0.85), low ? p.horizon - 0.1 : rng.range(0.12, 0.2)};

  Scene scene;
  const std::string skyText = withArticle(p.sky.skyPhrase) + " with " + p.sky.lightPhrase;
  switch (p.journey) {
    case Journey::Plane: {
      static const std::vector<Swatch> kAccents = {{"red", rgbHex(0xD32F2F)},
                                                   {"blue", rgbHex(0x1565C0)},
                                                   {"teal", rgbHex(0x00897B)},
                                                   {"orange", rgbHex(0xEF6C00)}};
      const Swatch accent = rng.pick(kAccents);
      p.accent = accent.rgb;
      p.light.y = rng.range(0.12, 0.3);
      p.plane = {rng.range(0.4, 0.6), rng.range(0.38, 0.5)};
      p.planeSize = rng.range(0.62, 0.75);
      for (int i = 0; i < 24; ++i) p.cloudBumps.push_back(rng.range(0.05, 0.11));
      p.clouds = makeClouds(rng, rng.between(0, 2), 0.1, 0.25);
      p.animateMain = true;
      scene.title = capitalized("white jet with " + withArticle(accent.name) +
                                " stripe above the clouds " + underSky(p.sky));
      scene.description =
          "Flat illustration of a white passenger jet with " + withArticle(accent.name) +
          " stripe and tail fin flying to the right above a thick sea of clouds under " + skyText +
          (p.clouds.empty() ? ""
                            : " and " + countOf(static_cast<int>(p.clouds.size()), "small cloud")) +
          ".";
      scene.tags = {"travel", "airplane", "flight", "clouds", "sky", p.sky.word, "illustration"};
      scene.motionPhrase = "plane flying";
      scene.motionSentence =
          "The plane glides in from the left while the clouds below scroll past.";
      scene.motionTags = {"flying"};
      break;
    }
    case Journey::Road: {
      static const std::vector<Swatch> kLand = {{"sandy desert", rgbHex(0xD9B77E)},
                                                {"green meadow", rgbHex(0x7DB65B)},
                                                {"autumn field", rgbHex(0xC98B4B)},
                                                {"snowy plain", rgbHex(0xE8EEF3)}};
      const Swatch land = rng.pick(kLand);
      p.land = land.rgb;
      p.vanishX = rng.range(0.4, 0.6);
      p.backdrop = static_cast<Backdrop>(rng.between(0, 2));
      if (p.backdrop == Backdrop::Mountains) {
        p.ridge = makeRidge(rng, std::max(2, static_cast<int>(aspect * 3)), p.horizon + 0.01,
                            p.horizon - 0.16, p.horizon - 0.08);
      } else if (p.backdrop == Backdrop::Mesas) {
        for (int i = rng.between(2, 4); i > 0; --i)
          p.mesas.push_back({rng.uniform(), rng.range(0.06, 0.14)});
      }
      p.clouds = makeClouds(rng, rng.between(0, 3), 0.08, 0.25);
      p.animateMain = true;
      const std::string backdrop = p.backdrop == Backdrop::Mountains ? "a distant mountain range"
                                   : p.backdrop == Backdrop::Mesas
                                       ? countOf(static_cast<int>(p.mesas.size()), "red rock mesa")
                                       : "";
      scene.title =
          capitalized("open road through " + withArticle(land.name) +
                      (backdrop.empty() ? "" : " towards " + backdrop) + " " + p.sky.when);
      scene.description =
          "Flat illustration of a straight two-lane road with white edge lines and a dashed yellow "
          "centre line running through " +
          withArticle(land.name) + " to the horizon" +
          (backdrop.empty() ? "" : ", with " + backdrop + " in the distance") + ", under " +
          skyText +
          (p.clouds.empty() ? "" : " and " + countOf(static_cast<int>(p.clouds.size()), "cloud")) +
          ".";
      scene.tags = {"travel",  "road trip", "road",        "horizon",
                    land.name, p.sky.word,  "illustration"};
      if (p.backdrop == Backdrop::Mountains) scene.tags.push_back("mountains");
      if (p.backdrop == Backdrop::Mesas) scene.tags.push_back("mesas");
      scene.motionPhrase = "driving forward";
      scene.motionSentence =
          "The centre-line dashes stream towards the viewer as if driving down the road.";
      scene.motionTags = {"driving", "road trip"};
      break;
    }
    case Journey::Beach: {
      p.shore = rng.range(0.68, 0.74);
      const int palms = rng.between(1, 3);
      const bool right = rng.chance(0.5);
      for (int i = 0; i < palms; ++i) {
        const double x =
            right ? 0.92 - 0.12 * i - rng.range(0.0, 0.05) : 0.08 + 0.12 * i + rng.range(0.0, 0.05);
        p.palms.push_back({x, rng.range(0.45, 0.65) * std::min(1.0, 0.85 + 0.1 * i),
                           (right ? -1 : 1) * rng.range(0.15, 0.3), rng.between(6, 9)});
      }
      p.umbrella = rng.chance(0.5);
      static const std::vector<Swatch> kUmbrella = {{"red", rgbHex(0xE53935)},
                                                    {"blue", rgbHex(0x1E88E5)},
                                                    {"yellow", rgbHex(0xFDD835)},
                                                    {"coral", rgbHex(0xFF7F50)}};
      const Swatch umbrella = rng.pick(kUmbrella);
      p.umbrellaColour = umbrella.rgb;
      p.umbrellaX = right ? rng.range(0.3, 0.45) : rng.range(0.55, 0.7);
      p.sailboat = rng.chance(0.5);
      p.clouds = makeClouds(rng, rng.between(0, 3), 0.08, 0.25);
      p.animateMain = rng.chance(0.5);
      p.animateSway = !p.animateMain;
      scene.title =
          capitalized("tropical beach with " + countOf(palms, "palm tree") +
                      (p.umbrella ? " and " + withArticle(umbrella.name) + " umbrella" : "") + " " +
                      underSky(p.sky));
      scene.description =
          "Flat illustration of a sandy beach with " + countOf(palms, "leaning palm tree") +
          (p.umbrella ? " and " + withArticle(umbrella.name) + "-and-white striped beach umbrella"
                      : "") +
          ", white surf along a turquoise sea" +
          (p.sailboat ? " with a small sailboat on the horizon" : "") + ", under " + skyText +
          (p.clouds.empty() ? "" : " and " + countOf(static_cast<int>(p.clouds.size()), "cloud")) +
          ".";
      scene.tags = {"travel", "beach",    "palm trees", "tropical",    "sea",
                    "summer", "vacation", p.sky.word,   "illustration"};
      if (p.sailboat) scene.tags.push_back("sailboat");
      if (p.animateMain) {
        scene.motionPhrase = "waves washing ashore";
        scene.motionSentence = "The surf line washes up the sand and back again.";
        scene.motionTags = {"waves"};
      } else {
        scene.motionPhrase = "palms swaying";
        scene.motionSentence = "The palm fronds sway back and forth in the breeze.";
        scene.motionTags = {"breeze", "swaying"};
      }
      break;
    }
  }
  scene.paint = [p](Canvas& canvas, double t) { paintTravel(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
