#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

constexpr double kPi = std::numbers::pi;

enum class Animal { Cat, FlyingBirds, PerchedBirds, Fish };

struct Critter {
  double x;
  double y;
  double size;  // fraction of the shorter side
  Rgb colour;
  int kind;
  double phase;
  bool facingLeft;
};

struct AnimalParams {
  Animal animal;
  Sky sky;
  Hill hill;
  Hill backHill;
  Rgb land;
  bool silhouette;
  std::vector<Critter> critters;
  std::vector<Cloud> clouds;
  std::vector<Star> stars;
  Point light;
  double wireY;
  // Underwater
  Rgb water;
  std::vector<Point> weeds;    // x, height
  std::vector<Point> bubbles;  // x, phase
  std::vector<Point> rocks;    // x, size
};

void paintCat(Canvas& c, Point base, double h, Rgb colour, bool silhouette, double tailSwing) {
  std::vector<Point> tail;
  for (int i = 0; i <= 16; ++i) {
    const double u = i / 16.0;
    const double a = -0.2 - 1.5 * u + tailSwing * u;
    tail.push_back(
        {base.x + h * (0.22 + 0.28 * u * std::cos(a + 1.4)),
         base.y - h * (0.04 + 0.42 * u * std::sin(0.2 + 1.3 * u)) - h * 0.05 * std::sin(a)});
  }
  c.strokePolyline(tail, h * 0.07, colour);
  c.fillEllipse({base.x, base.y - h * 0.3}, h * 0.25, h * 0.32, 0, colour);
  c.fillEllipse({base.x + h * 0.08, base.y - h * 0.14}, h * 0.24, h * 0.15, 0, colour);
  const Point head{base.x - h * 0.02, base.y - h * 0.72};
  c.fillCircle(head, h * 0.19, colour);
  c.fillPolygon({{head.x - h * 0.18, head.y - h * 0.04},
                 {head.x - h * 0.15, head.y - h * 0.3},
                 {head.x - h * 0.02, head.y - h * 0.15}},
                colour);
  c.fillPolygon({{head.x + h * 0.18, head.y - h * 0.04},
                 {head.x + h * 0.15, head.y - h * 0.3},
                 {head.x + h * 0.02, head.y - h * 0.15}},
                colour);
  const Rgb eye = silhouette ? rgbHex(0xFFD54F) : rgbHex(0x7CB342);
  for (const double side : {-1.0, 1.0}) {
    c.fillEllipse({head.x + side * h * 0.075, head.y - h * 0.01}, h * 0.035, h * 0.045, 0, eye);
    c.fillEllipse({head.x + side * h * 0.075, head.y - h * 0.01}, h * 0.01, h * 0.035, 0,
                  rgbHex(0x111111));
  }
  if (!silhouette) {
    c.fillPolygon({{head.x - h * 0.025, head.y + h * 0.06},
                   {head.x + h * 0.025, head.y + h * 0.06},
                   {head.x, head.y + h * 0.09}},
                  rgbHex(0xF48FB1));
  }
}

void paintBird(Canvas& c, Point centre, double size, Rgb colour, double flap, bool facingLeft,
               bool perched) {
  const double dir = facingLeft ? -1.0 : 1.0;
  const auto at = [&](double x, double y) {
    return Point{centre.x + dir * x * size, centre.y + y * size};
  };
  c.fillPolygon({at(-0.45, -0.05), at(-0.85, -0.2), at(-0.8, 0.12)}, colour);
  c.fillEllipse(centre, size * 0.5, size * 0.26, 0, colour);
  c.fillCircle(at(0.42, -0.2), size * 0.2, colour);
  c.fillPolygon({at(0.58, -0.26), at(0.8, -0.18), at(0.58, -0.12)}, rgbHex(0xF5A623));
  c.fillCircle(at(0.47, -0.25), size * 0.04, rgbHex(0xFFFFFF));
  const Rgb wing = shade(colour, 0.8);
  if (perched) {
    c.fillEllipse(at(-0.05, 0.0), size * 0.32, size * 0.15, dir * 0.15, wing);
    c.strokeLine(at(-0.05, 0.2), at(-0.05, 0.34), size * 0.05, rgbHex(0x333333));
    c.strokeLine(at(0.12, 0.2), at(0.12, 0.34), size * 0.05, rgbHex(0x333333));
    return;
  }
  const double lift = std::sin(flap);
  c.fillPolygon({at(-0.2, -0.05), at(0.25, -0.05), at(-0.15, -0.05 - 0.8 * lift)}, wing);
}

void paintFish(Canvas& c, Point centre, double size, Rgb colour, int kind, bool facingLeft,
               double wag) {
  const double dir = facingLeft ? -1.0 : 1.0;
  const auto at = [&](double x, double y) {
    return Point{centre.x + dir * x * size, centre.y + y * size};
  };
  c.fillPolygon({at(-0.45, 0.0), at(-0.85, -0.32 + wag), at(-0.85, 0.32 + wag)},
                shade(colour, 0.85));
  c.fillPolygon({at(-0.1, -0.25), at(0.15, -0.48), at(0.25, -0.22)}, shade(colour, 0.85));
  c.fillEllipse(centre, size * 0.55, size * 0.3, 0, colour);
  if (kind == 0) {
    for (const double x : {0.22, -0.15}) {
      c.fillEllipse(at(x, 0.0), size * 0.06, size * 0.27, 0, rgbHex(0xFFFFFF));
    }
  } else if (kind == 2) {
    c.fillEllipse(at(-0.05, 0.05), size * 0.3, size * 0.1, 0, rgbHex(0x102A5C));
  }
  c.fillCircle(at(0.34, -0.07), size * 0.07, rgbHex(0xFFFFFF));
  c.fillCircle(at(0.36, -0.07), size * 0.035, rgbHex(0x111111));
}

void paintAnimals(Canvas& c, const AnimalParams& p, double t) {
  const Frame f = frameOf(c);
  if (p.animal == Animal::Fish) {
    c.fill(linearGradient({0, 0}, {0, f.h}, {tone(p.water, 0.35), p.water, tone(p.water, -0.45)}));
    for (int i = 0; i < 5; ++i) {
      const double x = (0.1 + 0.22 * i) * f.w;
      c.fillPolygon({{x, 0}, {x + 0.08 * f.w, 0}, {x + 0.25 * f.w, f.h}, {x + 0.12 * f.w, f.h}},
                    rgbHex(0xFFFFFF), 0.06);
    }
    std::vector<Point> sand;
    for (int i = 0; i <= 32; ++i) sand.push_back(f.at(i / 32.0, 0.88 + 0.02 * std::sin(i * 0.7)));
    sand.push_back({f.w, f.h + 1});
    sand.push_back({0, f.h + 1});
    c.fillPolygon(sand, rgbHex(0xD8C38F));
    for (const Point& rock : p.rocks) {
      c.fillEllipse(f.at(rock.x, 0.9), rock.y * f.s, rock.y * f.s * 0.6, 0, rgbHex(0x6D7B8A));
    }
    for (const Point& weed : p.weeds) {
      std::vector<Point> stem;
      for (int i = 0; i <= 12; ++i) {
        const double u = i / 12.0;
        const double swing = 0.02 * std::sin(u * 5 + 2 * kPi * t) * u;
        stem.push_back(f.at(weed.x + swing + 0.01 * std::sin(u * 9), 0.9 - weed.y * u));
      }
      c.strokePolyline(stem, std::max(2.0, 0.018 * f.s), rgbHex(0x2E8B57));
    }
    for (const Critter& fish : p.critters) {
      const double swim = (fish.facingLeft ? -1 : 1) * 0.25 * (t - 1.0);
      const double x = -0.1 + std::fmod(std::fmod(fish.x + swim + 0.1, 1.2) + 1.2, 1.2);
      paintFish(c, f.at(x, fish.y), fish.size * f.s, fish.colour, fish.kind, fish.facingLeft,
                0.12 * std::sin(2 * kPi * (3 * t + fish.phase)));
    }
    for (const Point& bubble : p.bubbles) {
      const double y = 0.9 - std::fmod(bubble.y + t * 0.5, 1.0) * 0.9;
      const double r = (0.008 + 0.01 * bubble.y) * f.s;
      c.fillRing(f.at(bubble.x, y), r * 0.7, r, rgbHex(0xFFFFFF), 0.7);
    }
    return;
  }

  paintSky(c, p.sky, 0.8);
  if (!p.stars.empty()) paintStars(c, p.stars, t, 0.0);
  paintSkyLight(c, p.sky, f.at(p.light.x, p.light.y),
                (p.animal == Animal::Cat ? 0.13 : 0.07) * f.s);
  paintClouds(c, p.clouds, p.sky.cloud, 0.0);
  paintHill(c, p.backHill, mix(litBy(p.land, p.sky), p.sky.horizon, 0.4));
  paintHill(c, p.hill, litBy(p.land, p.sky));

  switch (p.animal) {
    case Animal::Cat:
      for (const Critter& cat : p.critters) {
        const double h = cat.size * f.s;
        paintCat(c, f.at(cat.x, p.hill.y(cat.x) + 0.015), h, cat.colour, p.silhouette,
                 0.5 * std::sin(2 * kPi * t + cat.phase) - 0.5 * std::sin(cat.phase));
      }
      break;
    case Animal::FlyingBirds:
      for (const Critter& bird : p.critters) {
        const double x =
            -0.1 + std::fmod(std::fmod(bird.x + 0.3 * (t - 1.0) + 0.1, 1.2) + 1.2, 1.2);
        paintBird(c, f.at(x, bird.y), bird.size * f.s, bird.colour, 2 * kPi * (4 * t + bird.phase),
                  false, false);
      }
      break;
    case Animal::PerchedBirds: {
      const Rgb wire = rgbHex(0x2B2B2B);
      const auto wireAt = [&](double x) { return p.wireY + 0.06 * (1 - std::pow(2 * x - 1, 2)); };
      c.strokeLine(f.at(0.02, p.wireY - 0.02), f.at(0.02, 1.0), std::max(3.0, 0.025 * f.s),
                   rgbHex(0x5D4037));
      c.strokeLine(f.at(0.98, p.wireY - 0.02), f.at(0.98, 1.0), std::max(3.0, 0.025 * f.s),
                   rgbHex(0x5D4037));
      std::vector<Point> line;
      for (int i = 0; i <= 32; ++i) line.push_back(f.at(i / 32.0, wireAt(i / 32.0)));
      c.strokePolyline(line, std::max(1.5, 0.006 * f.s), wire);
      for (const Critter& bird : p.critters) {
        const double size = bird.size * f.s;
        const double hop = 0.04 * f.s * std::max(0.0, std::sin(2 * kPi * (2 * t + bird.phase))) *
                           std::sin(kPi * t);
        paintBird(c, {bird.x * f.w, wireAt(bird.x) * f.h - size * 0.34 - hop}, size, bird.colour, 0,
                  bird.facingLeft, true);
      }
      break;
    }
    case Animal::Fish:
      break;
  }
}

}  // namespace

Scene makeAnimalsScene(Rng& rng, double aspect) {
  AnimalParams p{};
  p.animal = static_cast<Animal>(rng.between(0, 3));
  // Birds are drawn dark, so they only fly before the night sky turns dark too.
  p.sky = p.animal == Animal::Cat ? pickSky(rng)
                                  : pickSky(rng, static_cast<DayTime>(rng.between(0, 2)));
  static const std::vector<Swatch> kLand = {
      {"green", rgbHex(0x5E9E4F)}, {"golden", rgbHex(0xC9A24B)}, {"sage", rgbHex(0x8DAA7F)}};
  p.land = rng.pick(kLand).rgb;
  p.hill = makeHill(rng, 0.8, 0.05);
  p.backHill = makeHill(rng, 0.7, 0.05);
  p.light = {rng.range(0.2, 0.8), rng.range(0.15, 0.3)};
  const bool night = p.sky.time == DayTime::Night;
  if (night) p.stars = makeStars(rng, rng.between(50, 110), 0.6);
  p.silhouette = p.sky.time == DayTime::Dusk || night;

  Scene scene;
  const std::string skyText = withArticle(p.sky.skyPhrase) + " with " + p.sky.lightPhrase;
  switch (p.animal) {
    case Animal::Cat: {
      static const std::vector<Swatch> kCats = {{"ginger", rgbHex(0xE08A3C)},
                                                {"grey", rgbHex(0x8A8F98)},
                                                {"black", rgbHex(0x2B2B2E)},
                                                {"cream", rgbHex(0xEAD7B7)}};
      const int cats = aspect >= 1.0 ? rng.between(1, 2) : 1;
      const Swatch coat = p.silhouette ? Swatch{"black", rgbHex(0x15131A)} : rng.pick(kCats);
      for (int i = 0; i < cats; ++i) {
        const double x = cats == 1 ? rng.range(0.35, 0.65)
                                   : (i == 0 ? rng.range(0.28, 0.4) : rng.range(0.6, 0.72));
        p.critters.push_back({x, 0, rng.range(0.32, 0.42) * (i == 1 ? 0.8 : 1.0), coat.rgb, 0,
                              rng.range(0, kPi), false});
      }
      p.clouds = makeClouds(rng, night ? 0 : rng.between(0, 2), 0.08, 0.22);
      const std::string who =
          cats == 1 ? withArticle(coat.name) + " cat" : "two " + coat.name + " cats";
      scene.title = capitalized(who + (p.silhouette ? " silhouette" : "") + " sitting on a hill " +
                                underSky(p.sky));
      scene.description =
          "Stylized geometric illustration of " + who +
          (p.silhouette ? " in silhouette with glowing yellow eyes" : " with green eyes") +
          (cats == 1 ? " sitting" : " sitting side by side") + " on a grassy hilltop under " +
          skyText + (night ? " and stars" : "") + ".";
      scene.tags = {"animals", "cat", "pet", "hill", p.sky.word, "geometric", "illustration"};
      if (p.silhouette) scene.tags.push_back("silhouette");
      scene.motionPhrase = cats == 1 ? "tail swishing" : "tails swishing";
      scene.motionSentence = cats == 1 ? "The cat's tail swishes slowly from side to side."
                                       : "The cats' tails swish slowly from side to side.";
      scene.motionTags = {"tail"};
      break;
    }
    case Animal::FlyingBirds:
    case Animal::PerchedBirds: {
      static const std::vector<Swatch> kBirds = {{"blue", rgbHex(0x2F80ED)},
                                                 {"red", rgbHex(0xD64541)},
                                                 {"yellow", rgbHex(0xF2C94C)},
                                                 {"teal", rgbHex(0x1FA39A)}};
      const Swatch feathers = p.silhouette ? Swatch{"dark", rgbHex(0x1D1B26)} : rng.pick(kBirds);
      const bool flying = p.animal == Animal::FlyingBirds;
      const int count = flying ? rng.between(3, 8)
                               : std::clamp(static_cast<int>(aspect * rng.range(2.0, 4.0)), 2, 7);
      p.wireY = rng.range(0.38, 0.5);
      for (int i = 0; i < count; ++i) {
        const double x = (i + rng.range(0.2, 0.8)) / count;
        p.critters.push_back({x, flying ? rng.range(0.15, 0.55) : 0,
                              flying ? rng.range(0.07, 0.12) : rng.range(0.1, 0.13), feathers.rgb,
                              0, rng.uniform(), rng.chance(0.5)});
      }
      p.clouds = makeClouds(rng, night ? 0 : rng.between(0, 3), 0.08, 0.3);
      const std::string birds = countOf(count, feathers.name + " bird");
      if (flying) {
        scene.title = capitalized(birds + " flying over hills " + underSky(p.sky));
        scene.description = "Stylized geometric illustration of " + birds +
                            (p.silhouette ? " in silhouette" : "") +
                            " with pointed beaks flying over rolling hills under " + skyText + ".";
        scene.tags = {"animals", "birds",    "flying",    "flock",
                      "sky",     p.sky.word, "geometric", "illustration"};
        scene.motionPhrase = "birds flying";
        scene.motionSentence = "The birds flap their wings and fly from left to right.";
        scene.motionTags = {"flapping", "flight"};
      } else {
        scene.title = capitalized(birds + " perched on a wire " + underSky(p.sky));
        scene.description =
            "Stylized geometric illustration of " + birds + (p.silhouette ? " in silhouette" : "") +
            " perched along a sagging wire between two wooden poles above rolling hills under " +
            skyText + ".";
        scene.tags = {"animals",  "birds",     "perched",     "wire",
                      p.sky.word, "geometric", "illustration"};
        scene.motionPhrase = "birds hopping";
        scene.motionSentence = "The birds hop up and down on the wire.";
        scene.motionTags = {"hopping"};
      }
      if (!p.silhouette) scene.tags.push_back(feathers.name);
      break;
    }
    case Animal::Fish: {
      static const std::vector<Swatch> kWater = {{"turquoise", rgbHex(0x1CA3B8)},
                                                 {"deep blue", rgbHex(0x1F5FA8)},
                                                 {"teal", rgbHex(0x15867F)}};
      const Swatch water = rng.pick(kWater);
      p.water = water.rgb;
      static const char* kFishNames[] = {"orange clownfish", "yellow tang", "blue tang",
                                         "red snapper"};
      static const Rgb kFishColours[] = {rgbHex(0xF57C00), rgbHex(0xFFD600), rgbHex(0x2979FF),
                                         rgbHex(0xE53935)};
      const int count = rng.between(2, 7);
      int counts[4] = {0, 0, 0, 0};
      for (int i = 0; i < count; ++i) {
        const int kind = rng.between(0, 3);
        ++counts[kind];
        p.critters.push_back({(i + rng.range(0.2, 0.8)) / count, rng.range(0.18, 0.72),
                              rng.range(0.11, 0.18), kFishColours[kind], kind, rng.uniform(),
                              rng.chance(0.5)});
      }
      for (int i = rng.between(3, 8); i > 0; --i)
        p.weeds.push_back({rng.uniform(), rng.range(0.15, 0.4)});
      for (int i = rng.between(1, 3); i > 0; --i)
        p.rocks.push_back({rng.uniform(), rng.range(0.05, 0.09)});
      for (int i = 0; i < 14; ++i) p.bubbles.push_back({rng.uniform(), rng.uniform()});
      std::vector<std::string> fish;
      for (int k = 0; k < 4; ++k) {
        if (counts[k] > 0)
          fish.push_back(countOf(counts[k], kFishNames[k],
                                 k == 0 ? "orange clownfish" : std::string(kFishNames[k]) + "s"));
      }
      scene.title = capitalized(
          (fish.size() <= 2 ? joinList(fish) : countOf(count, "tropical fish", "tropical fish")) +
          " in " + water.name + " water");
      scene.description = "Stylized geometric underwater illustration of " + joinList(fish) +
                          " swimming in " + water.name + " water above a sandy seabed with " +
                          countOf(static_cast<int>(p.weeds.size()), "strand") + " of seaweed, " +
                          countOf(static_cast<int>(p.rocks.size()), "rock") +
                          ", rising bubbles and soft light rays.";
      scene.tags = {"animals",  "fish",     "underwater", "ocean",       "tropical fish",
                    "sea life", water.name, "geometric",  "illustration"};
      scene.motionPhrase = "fish swimming";
      scene.motionSentence =
          "The fish swim along with wagging tails while seaweed sways and bubbles rise.";
      scene.motionTags = {"swimming", "bubbles"};
      break;
    }
  }
  scene.paint = [p](Canvas& canvas, double t) { paintAnimals(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
