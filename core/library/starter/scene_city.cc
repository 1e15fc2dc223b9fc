#include <algorithm>
#include <cmath>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

enum class Roof { Flat, Antenna, Stepped, Spire };
enum class CityMotion { Lights, Cars, Clouds };

struct Building {
  double x0, x1, top;  // normalised
  Roof roof;
};

struct Car {
  double x;
  bool upperLane;
  Rgb body;
};

struct CityParams {
  Sky sky;
  Rgb facade;
  std::vector<Building> front;
  std::vector<Building> back;
  bool river;
  double ground;
  double litFraction;
  std::uint64_t windowSeed;
  std::vector<Car> cars;
  std::vector<Cloud> clouds;
  std::vector<Star> stars;
  Point light;
  CityMotion motion;
};

double windowNoise(std::uint64_t seed, std::size_t building, int row, int col) {
  const std::uint64_t h =
      mixBits(seed + building * 1000003ULL + static_cast<std::uint64_t>(row) * 1009ULL +
              static_cast<std::uint64_t>(col));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

void paintBuilding(Canvas& c, const Frame& f, const Building& b, Rgb colour, double ground) {
  const double x0 = b.x0 * f.w;
  const double x1 = b.x1 * f.w;
  const double top = b.top * f.h;
  const double mid = (x0 + x1) / 2;
  switch (b.roof) {
    case Roof::Flat:
      break;
    case Roof::Antenna:
      c.strokeLine({mid, top}, {mid, top - 0.09 * f.s}, std::max(1.0, 0.006 * f.s), colour);
      break;
    case Roof::Stepped:
      c.fillRect(x0 + (x1 - x0) * 0.2, top - 0.05 * f.s, x1 - (x1 - x0) * 0.2, top + 1, colour);
      break;
    case Roof::Spire:
      c.fillPolygon({{x0 + (x1 - x0) * 0.25, top + 1},
                     {x1 - (x1 - x0) * 0.25, top + 1},
                     {mid, top - 0.12 * f.s}},
                    colour);
      break;
  }
  c.fillRect(x0, top, x1, ground * f.h + 1, colour);
}

void paintCity(Canvas& c, const CityParams& p, double t) {
  const Frame f = frameOf(c);
  paintSky(c, p.sky, p.ground);
  if (!p.stars.empty()) paintStars(c, p.stars, t, 0.0);
  paintSkyLight(c, p.sky, f.at(p.light.x, p.light.y), 0.06 * f.s);
  paintClouds(c, p.clouds, p.sky.cloud, p.motion == CityMotion::Clouds ? (t - 1.0) * 0.15 : 0.0);

  const Rgb backColour = mix(litBy(p.facade, p.sky), p.sky.horizon, 0.45);
  for (const Building& b : p.back) paintBuilding(c, f, b, backColour, p.ground);

  const Rgb frontColour = litBy(p.facade, p.sky);
  const bool day = p.sky.time == DayTime::Day || p.sky.time == DayTime::Dawn;
  const double lit =
      p.motion == CityMotion::Lights ? p.litFraction * (0.15 + 0.85 * t) : p.litFraction;
  const double cell = 0.032 * f.s;
  for (std::size_t i = 0; i < p.front.size(); ++i) {
    const Building& b = p.front[i];
    const Rgb colour = shade(frontColour, 0.9 + 0.2 * windowNoise(p.windowSeed, i, -1, 0));
    paintBuilding(c, f, b, colour, p.ground);
    const double x0 = b.x0 * f.w + cell * 0.5;
    const double x1 = b.x1 * f.w - cell * 0.5;
    const int cols = std::max(1, static_cast<int>((x1 - x0) / cell));
    const int rows =
        std::max(1, static_cast<int>((p.ground * f.h - b.top * f.h - cell) / (cell * 1.3)));
    const double pitch = (x1 - x0) / cols;
    for (int r = 0; r < rows; ++r) {
      for (int col = 0; col < cols; ++col) {
        const double wx = x0 + col * pitch + pitch * 0.2;
        const double wy = b.top * f.h + cell * 0.7 + r * cell * 1.3;
        const double noise = windowNoise(p.windowSeed, i, r, col);
        if (noise < lit) {
          c.fillRect(wx, wy, wx + pitch * 0.6, wy + cell * 0.7, rgbHex(0xFFD77A), 0.95);
        } else if (day) {
          c.fillRect(wx, wy, wx + pitch * 0.6, wy + cell * 0.7, tone(p.sky.horizon, 0.3), 0.55);
        } else {
          c.fillRect(wx, wy, wx + pitch * 0.6, wy + cell * 0.7, shade(colour, 0.6), 0.8);
        }
      }
    }
  }

  if (p.river) {
    c.reflectBelow(p.ground * f.h, mix(p.sky.horizon, rgbHex(0x0B1A30), 0.6), 0.5);
    for (int i = 0; i < 6; ++i) {
      const double y = p.ground + (1.0 - p.ground) * (i + 0.5) / 6.0;
      const double x = std::fmod(0.37 * i + 0.11, 0.85);
      c.strokeLine(f.at(x, y), f.at(x + 0.12, y), std::max(1.0, 0.004 * f.s),
                   tone(p.sky.horizon, 0.3), 0.3);
    }
    return;
  }

  const double curb = p.ground * f.h;
  c.fillRect(0, curb, f.w, curb + 0.03 * f.h, litBy(rgbHex(0x9A9A9A), p.sky));
  c.fillRect(0, curb + 0.03 * f.h, f.w, f.h, litBy(rgbHex(0x3A3D42), p.sky));
  const double laneY = (curb + 0.03 * f.h + f.h) / 2;
  for (double x = 0.02 * f.w; x < f.w; x += 0.1 * f.s) {
    c.fillRect(x, laneY - 0.004 * f.s, x + 0.05 * f.s, laneY + 0.004 * f.s, rgbHex(0xF2F2F2), 0.85);
  }
  const bool dark = !day;
  const double carLength = 0.13 * f.s;
  const double carHeight = 0.045 * f.s;
  for (const Car& car : p.cars) {
    const double shift =
        p.motion == CityMotion::Cars ? (t - 1.0) * 0.35 * (car.upperLane ? -1 : 1) : 0.0;
    const double x = (-0.15 + std::fmod(std::fmod(car.x + shift + 0.15, 1.3) + 1.3, 1.3)) * f.w;
    const double laneTop = car.upperLane ? (curb + 0.03 * f.h + laneY) / 2 : (laneY + f.h) / 2;
    const double y = laneTop - carHeight / 2;
    const Rgb body = litBy(car.body, p.sky);
    c.fillRoundedRect(x, y, x + carLength, y + carHeight, carHeight * 0.35, body);
    c.fillRoundedRect(x + carLength * 0.22, y - carHeight * 0.5, x + carLength * 0.75, y + 1,
                      carHeight * 0.3, body);
    c.fillRect(x + carLength * 0.28, y - carHeight * 0.38, x + carLength * 0.7, y - 1,
               tone(p.sky.horizon, 0.2), 0.8);
    c.fillCircle({x + carLength * 0.25, y + carHeight}, carHeight * 0.3, rgbHex(0x151515));
    c.fillCircle({x + carLength * 0.75, y + carHeight}, carHeight * 0.3, rgbHex(0x151515));
    const bool facingRight = !car.upperLane;
    const double headX = facingRight ? x + carLength : x;
    const double tailX = facingRight ? x : x + carLength;
    if (dark) c.fillGlow({headX, y + carHeight * 0.4}, carHeight * 1.6, rgbHex(0xFFF1B8), 0.8);
    c.fillCircle({headX, y + carHeight * 0.4}, carHeight * 0.14, rgbHex(0xFFF6CF));
    c.fillCircle({tailX, y + carHeight * 0.4}, carHeight * 0.12, rgbHex(0xE0302A));
  }
}

std::vector<Building> makeRow(Rng& rng, int count, double minTop, double maxTop, bool features) {
  std::vector<Building> row;
  double x = -0.02;
  const double average = 1.04 / count;
  for (int i = 0; i < count; ++i) {
    const double width = average * rng.range(0.7, 1.3);
    const double x1 = i + 1 == count ? 1.02 : std::min(1.02, x + width);
    Roof roof = Roof::Flat;
    if (features) {
      const double r = rng.uniform();
      roof = r < 0.55   ? Roof::Flat
             : r < 0.72 ? Roof::Antenna
             : r < 0.88 ? Roof::Stepped
                        : Roof::Spire;
    }
    row.push_back({x + rng.range(0.0, 0.01), x1, rng.range(minTop, maxTop), roof});
    x = x1;
  }
  return row;
}

}  // namespace

Scene makeCityScene(Rng& rng, double aspect) {
  CityParams p{};
  p.sky = pickSky(rng);
  static const std::vector<Swatch> kFacades = {{"blue glass", rgbHex(0x5E81AC)},
                                               {"concrete grey", rgbHex(0x8C96A0)},
                                               {"sandstone", rgbHex(0xB89B72)},
                                               {"teal", rgbHex(0x3F7F83)},
                                               {"brick red", rgbHex(0x9A5445)}};
  const Swatch facade = rng.pick(kFacades);
  p.facade = facade.rgb;
  p.river = rng.chance(0.4);
  p.ground = p.river ? rng.range(0.66, 0.72) : rng.range(0.7, 0.76);
  const int frontCount =
      std::clamp(static_cast<int>(std::lround(aspect * rng.range(4.5, 7.0))), 3, 16);
  p.back = makeRow(rng, frontCount + 3, 0.18, 0.42, false);
  p.front = makeRow(rng, frontCount, 0.3, p.ground - 0.18, true);
  const bool night = p.sky.time == DayTime::Night;
  p.litFraction = night                         ? rng.range(0.55, 0.75)
                  : p.sky.time == DayTime::Dusk ? rng.range(0.25, 0.4)
                                                : 0.0;
  p.windowSeed = rng.next();
  if (!p.river) {
    const int cars = rng.between(2, 5);
    static const std::vector<Rgb> kCarColours = {
        rgbHex(0xD64541), rgbHex(0xF2C14E), rgbHex(0x2E86AB), rgbHex(0xEEEEEE), rgbHex(0x3BB273)};
    const bool firstUpper = rng.chance(0.5);
    for (int i = 0; i < cars; ++i) {
      p.cars.push_back(
          {(i + rng.range(0.05, 0.4)) / cars, (i % 2 == 1) != firstUpper, rng.pick(kCarColours)});
    }
  }
  const int cloudCount = night ? 0 : rng.between(0, 3);
  p.clouds = makeClouds(rng, cloudCount, 0.06, 0.2);
  if (night) p.stars = makeStars(rng, rng.between(40, 90), 0.4);
  p.light = {rng.range(0.15, 0.85), p.sky.time == DayTime::Day ? 0.12 : night ? 0.12 : 0.3};

  std::vector<CityMotion> motions;
  if (p.litFraction > 0) motions.push_back(CityMotion::Lights);
  if (!p.cars.empty()) motions.push_back(CityMotion::Cars);
  if (cloudCount > 0) motions.push_back(CityMotion::Clouds);
  if (motions.empty()) {
    p.clouds = makeClouds(rng, 2, 0.06, 0.2);
    motions.push_back(CityMotion::Clouds);
  }
  p.motion = rng.pick(motions);

  int antennas = 0, steps = 0, spires = 0;
  for (const Building& b : p.front) {
    antennas += b.roof == Roof::Antenna;
    steps += b.roof == Roof::Stepped;
    spires += b.roof == Roof::Spire;
  }
  std::vector<std::string> roofs;
  if (antennas > 0) roofs.push_back(countOf(antennas, "rooftop antenna"));
  if (steps > 0) roofs.push_back(countOf(steps, "stepped roof"));
  if (spires > 0) roofs.push_back(countOf(spires, "spire"));

  std::string windows;
  if (night) {
    windows = "with most of their windows glowing warm yellow";
  } else if (p.sky.time == DayTime::Dusk) {
    windows = "with about a third of their windows lit warm yellow";
  } else {
    windows = "their windows reflecting the pale sky";
  }
  std::string sky = "under " + withArticle(p.sky.skyPhrase) + " with " + p.sky.lightPhrase;
  if (!p.clouds.empty()) sky += " and " + countOf(static_cast<int>(p.clouds.size()), "cloud");
  if (night) sky += " and stars";
  const int carCount = static_cast<int>(p.cars.size());

  Scene scene;
  scene.title = capitalized(
      facade.name + " skyline of " + countOf(frontCount, "tower") + " " + p.sky.when +
      (p.river ? " reflected in a river" : " above a street with " + countOf(carCount, "car")));
  scene.description =
      "Flat illustration of a city skyline of " + countOf(frontCount, facade.name + " building") +
      (roofs.empty() ? "" : " (" + joinList(roofs) + ")") +
      " in front of a paler row of distant towers, " + windows + ", " + sky + ". " +
      (p.river ? "A calm river along the bottom mirrors the skyline."
               : "Along the bottom, " + countOf(carCount, "car") + " drive on a two-lane street" +
                     (p.sky.time == DayTime::Day || p.sky.time == DayTime::Dawn
                          ? "."
                          : " with glowing headlights."));
  scene.tags = {"city",     "skyline",   "buildings",    "urban",
                p.sky.word, facade.name, "illustration", p.river ? "river" : "street"};
  if (night) scene.tags.push_back("city lights");
  if (!p.river) scene.tags.push_back("cars");
  switch (p.motion) {
    case CityMotion::Lights:
      scene.motionPhrase = "windows lighting up";
      scene.motionSentence = "Window lights switch on one after another until the towers glow.";
      scene.motionTags = {"lights", "city lights"};
      break;
    case CityMotion::Cars:
      scene.motionPhrase = "traffic driving by";
      scene.motionSentence = "The cars drive along the street in both directions.";
      scene.motionTags = {"traffic", "cars"};
      break;
    case CityMotion::Clouds:
      scene.motionPhrase = "clouds drifting";
      scene.motionSentence = "Clouds drift slowly across the sky above the towers.";
      scene.motionTags = {"clouds"};
      break;
  }
  scene.paint = [p](Canvas& canvas, double t) { paintCity(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
