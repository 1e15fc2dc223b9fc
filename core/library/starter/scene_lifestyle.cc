#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

constexpr double kPi = std::numbers::pi;

enum class Thing { Cup, Plant, Books, Candle };

struct Placed {
  Thing thing;
  double x;  // centre, normalised
  Rgb colour;
  int count;  // books in the stack
};

struct LifestyleParams {
  Sky sky;
  Rgb wall;
  Rgb table;
  double tableY;
  double windowX0, windowX1;  // normalised
  std::vector<Placed> things;
  std::vector<Rgb> bookColours;
  bool steam;  // motion: steam rises; otherwise the window light slowly brightens
};

void paintCup(Canvas& c, Point base, double s, Rgb colour, bool steamy, double t) {
  c.fillEllipse({base.x, base.y}, s * 0.55, s * 0.09, 0, shade(colour, 0.85));
  c.fillRing({base.x + s * 0.3, base.y - s * 0.3}, s * 0.08, s * 0.15, colour);
  c.fillPolygon({{base.x - s * 0.32, base.y - s * 0.55},
                 {base.x + s * 0.32, base.y - s * 0.55},
                 {base.x + s * 0.24, base.y - s * 0.04},
                 {base.x - s * 0.24, base.y - s * 0.04}},
                colour);
  c.fillEllipse({base.x, base.y - s * 0.55}, s * 0.32, s * 0.06, 0, rgbHex(0x5B3A24));
  if (!steamy) return;
  for (int k = -1; k <= 1; ++k) {
    std::vector<Point> wisp;
    for (int i = 0; i <= 14; ++i) {
      const double u = i / 14.0;
      wisp.push_back({base.x + k * s * 0.12 + s * 0.06 * std::sin(u * 7 - 2 * kPi * t + k),
                      base.y - s * (0.65 + 0.5 * u)});
    }
    c.strokePolyline(wisp, std::max(1.5, s * 0.035), rgbHex(0xFFFFFF), 0.45);
  }
}

void paintPlant(Canvas& c, Point base, double s, Rgb pot) {
  const Rgb leaf = rgbHex(0x3E8E41);
  for (int k = 0; k < 7; ++k) {
    const double a = -kPi / 2 + (k - 3) * 0.38;
    const double len = s * (0.42 - 0.04 * std::abs(k - 3));
    const Point start{base.x, base.y - s * 0.35};
    const Point tip{start.x + std::cos(a) * len, start.y + std::sin(a) * len};
    c.fillEllipse(lerp(start, tip, 0.55), len * 0.5, len * 0.16, a,
                  k % 2 ? leaf : tone(leaf, 0.15));
  }
  c.fillPolygon({{base.x - s * 0.22, base.y - s * 0.36},
                 {base.x + s * 0.22, base.y - s * 0.36},
                 {base.x + s * 0.16, base.y},
                 {base.x - s * 0.16, base.y}},
                pot);
  c.fillRect(base.x - s * 0.24, base.y - s * 0.4, base.x + s * 0.24, base.y - s * 0.33,
             shade(pot, 0.85));
}

void paintBooks(Canvas& c, Point base, double s, const std::vector<Rgb>& colours, int count) {
  double y = base.y;
  for (int i = 0; i < count; ++i) {
    const double h = s * 0.09;
    const double w = s * (0.62 - 0.05 * i);
    const double shift = s * 0.03 * ((i % 2) ? 1 : -1);
    const Rgb colour = colours[static_cast<std::size_t>(i) % colours.size()];
    c.fillRoundedRect(base.x - w / 2 + shift, y - h, base.x + w / 2 + shift, y, s * 0.01, colour);
    c.fillRect(base.x - w / 2 + shift + s * 0.04, y - h * 0.65, base.x + w / 2 + shift - s * 0.04,
               y - h * 0.45, tone(colour, 0.5), 0.7);
    y -= h;
  }
}

void paintCandle(Canvas& c, Point base, double s, Rgb colour) {
  c.fillRoundedRect(base.x - s * 0.1, base.y - s * 0.4, base.x + s * 0.1, base.y, s * 0.02, colour);
  c.strokeLine({base.x, base.y - s * 0.4}, {base.x, base.y - s * 0.45}, std::max(1.0, s * 0.015),
               rgbHex(0x333333));
  c.fillGlow({base.x, base.y - s * 0.5}, s * 0.25, rgbHex(0xFFD27F), 0.5);
  c.fillEllipse({base.x, base.y - s * 0.5}, s * 0.035, s * 0.07, 0, rgbHex(0xFFC34D));
}

void paintLifestyle(Canvas& c, const LifestyleParams& p, double t) {
  const Frame f = frameOf(c);
  c.fill(p.wall);
  const double wx0 = p.windowX0 * f.w, wx1 = p.windowX1 * f.w;
  const double wy0 = 0.1 * f.h, wy1 = p.tableY * f.h - 0.1 * f.h;
  const double frame = 0.018 * f.s;
  c.fillRect(wx0 - frame, wy0 - frame, wx1 + frame, wy1 + frame, rgbHex(0xF5F1EA));
  c.fillRect(wx0, wy0, wx1, wy1, linearGradient({0, wy0}, {0, wy1}, {p.sky.top, p.sky.horizon}));
  c.fillCircle({wx0 + (wx1 - wx0) * 0.7, wy0 + (wy1 - wy0) * 0.35}, 0.05 * f.s, p.sky.light);
  c.fillRect((wx0 + wx1) / 2 - frame / 2, wy0, (wx0 + wx1) / 2 + frame / 2, wy1, rgbHex(0xF5F1EA));
  c.fillRect(wx0, (wy0 + wy1) / 2 - frame / 2, wx1, (wy0 + wy1) / 2 + frame / 2, rgbHex(0xF5F1EA));
  c.fillRect(wx0 - frame * 2, wy1 + frame, wx1 + frame * 2, wy1 + frame * 2.2, rgbHex(0xE9E2D6));

  const double light = p.steam ? 1.0 : 0.55 + 0.45 * t;
  const double ty = p.tableY * f.h;
  const double skew = (p.windowX0 + p.windowX1 < 1.0 ? 1 : -1) * 0.25 * f.w;
  c.fillPolygon(
      {{wx0, wy0}, {wx1, wy0}, {wx1 + skew, ty + 0.2 * f.h}, {wx0 + skew, ty + 0.2 * f.h}},
      tone(p.sky.light, 0.5), 0.16 * light);

  c.fillRect(0, ty, f.w, f.h, p.table);
  c.fillRect(0, ty, f.w, ty + 0.02 * f.h, tone(p.table, 0.15));
  c.fillRect(0, ty + 0.12 * f.h, f.w, f.h, shade(p.table, 0.8));

  const double s = 0.62 * f.s;
  for (const Placed& item : p.things) {
    const Point base{item.x * f.w, ty + 0.06 * f.h};
    c.fillEllipse({base.x + s * 0.05, base.y + s * 0.01}, s * 0.3, s * 0.04, 0, rgbHex(0x000000),
                  0.15);
    switch (item.thing) {
      case Thing::Cup:
        paintCup(c, base, s * 0.55, item.colour, true, p.steam ? t : 0.0);
        break;
      case Thing::Plant:
        paintPlant(c, base, s * 0.75, item.colour);
        break;
      case Thing::Books:
        paintBooks(c, base, s * 0.6, p.bookColours, item.count);
        break;
      case Thing::Candle:
        paintCandle(c, base, s * 0.5, item.colour);
        break;
    }
  }
}

}  // namespace

Scene makeLifestyleScene(Rng& rng, double aspect) {
  LifestyleParams p{};
  p.sky = pickSky(rng, static_cast<DayTime>(rng.between(0, 2)));
  static const std::vector<Swatch> kWalls = {{"warm white", rgbHex(0xF1EBE1)},
                                             {"sage green", rgbHex(0xB9C7AE)},
                                             {"dusty pink", rgbHex(0xE4C3BC)},
                                             {"pale blue", rgbHex(0xC9D9E6)},
                                             {"terracotta", rgbHex(0xCF8F6E)}};
  static const std::vector<Swatch> kTables = {
      {"oak", rgbHex(0xB98A5A)}, {"walnut", rgbHex(0x6F4E37)}, {"white", rgbHex(0xEDEDED)}};
  static const std::vector<Swatch> kCups = {{"white", rgbHex(0xFAFAFA)},
                                            {"mustard", rgbHex(0xD9A441)},
                                            {"sage", rgbHex(0x9CAF88)},
                                            {"navy", rgbHex(0x2C3E63)}};
  static const std::vector<Rgb> kPots = {rgbHex(0xC96F4A), rgbHex(0xEDE6DA), rgbHex(0x3D3D3D)};
  const Swatch wall = rng.pick(kWalls);
  const Swatch table = rng.pick(kTables);
  p.wall = wall.rgb;
  p.table = table.rgb;
  p.tableY = rng.range(0.66, 0.72);
  const double windowWidth = std::min(0.45, 0.5 / aspect) * rng.range(0.85, 1.1);
  const bool windowRight = rng.chance(0.5);
  p.windowX0 = windowRight ? 0.92 - windowWidth : 0.08;
  p.windowX1 = p.windowX0 + windowWidth;
  p.bookColours = {rgbHex(0x2C3E63), rgbHex(0xC0392B), rgbHex(0xD9A441), rgbHex(0x1F8A5B)};

  std::vector<Thing> pool = {Thing::Cup, Thing::Plant, Thing::Books, Thing::Candle};
  const int count = std::clamp(static_cast<int>(std::lround(aspect * rng.range(1.6, 2.6))), 1, 3);
  std::vector<Thing> chosen;
  if (rng.chance(0.7)) {
    chosen.push_back(Thing::Cup);
    pool.erase(pool.begin());
  }
  while (static_cast<int>(chosen.size()) < count) {
    const std::size_t k = rng.index(pool.size());
    chosen.push_back(pool[k]);
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(k));
  }
  for (std::size_t i = chosen.size(); i > 1; --i) std::swap(chosen[i - 1], chosen[rng.index(i)]);

  std::vector<std::string> phrases;
  std::vector<std::string> names;
  bool hasCup = false;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    Placed item{chosen[i], (i + 0.5) / chosen.size() + rng.range(-0.04, 0.04), {}, 0};
    switch (item.thing) {
      case Thing::Cup: {
        const Swatch cup = rng.pick(kCups);
        item.colour = cup.rgb;
        phrases.push_back(withArticle(cup.name) + " cup of steaming coffee on a saucer");
        names.push_back("a coffee cup");
        hasCup = true;
        break;
      }
      case Thing::Plant:
        item.colour = rng.pick(kPots);
        phrases.push_back("a leafy green plant in a pot");
        names.push_back("a potted plant");
        break;
      case Thing::Books:
        item.count = rng.between(2, 4);
        phrases.push_back("a stack of " + countOf(item.count, "book"));
        names.push_back("books");
        break;
      case Thing::Candle:
        item.colour = rgbHex(0xF3E9D2);
        phrases.push_back("a lit cream candle");
        names.push_back("a candle");
        break;
    }
    p.things.push_back(item);
  }
  p.steam = hasCup && rng.chance(0.7);

  static const char* kMoments[] = {"morning", "afternoon", "evening"};
  const std::string moment = kMoments[static_cast<int>(p.sky.time)];
  Scene scene;
  scene.title = capitalized(moment + " light on " + withArticle(table.name) + " table with " +
                            joinList(names) + " by " + withArticle(wall.name) + " wall");
  scene.description = "Flat interior illustration of " + joinList(phrases) + " on " +
                      withArticle(table.name) + " table against " + withArticle(wall.name) +
                      " wall, with soft " + moment +
                      " light falling through a four-pane window that shows " +
                      withArticle(p.sky.skyPhrase) + " and " + p.sky.lightPhrase + ".";
  scene.tags = {"lifestyle",    "interior", "home",    "cozy",
                "window light", moment,     wall.name, "illustration"};
  for (const Thing thing : chosen) {
    if (thing == Thing::Cup) scene.tags.insert(scene.tags.end(), {"coffee", "cup"});
    if (thing == Thing::Plant) scene.tags.insert(scene.tags.end(), {"houseplant", "plant"});
    if (thing == Thing::Books) scene.tags.insert(scene.tags.end(), {"books", "reading"});
    if (thing == Thing::Candle) scene.tags.push_back("candle");
  }
  if (p.steam) {
    scene.motionPhrase = "steam rising";
    scene.motionSentence = "Wisps of steam curl upwards from the coffee cup.";
    scene.motionTags = {"steam"};
  } else {
    scene.motionPhrase = "light brightening";
    scene.motionSentence = "The beam of window light slowly brightens across the table.";
    scene.motionTags = {"sunlight"};
  }
  scene.paint = [p](Canvas& canvas, double t) { paintLifestyle(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
