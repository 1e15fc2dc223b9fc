#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

constexpr double kPi = std::numbers::pi;

enum class Display { Rail, Handbags };
enum class Garment { TShirt, Dress, Skirt };
enum class Pattern { Solid, Stripes, Dots, Checks, Quilted };

// A garment on the rail or a handbag on a stand (handbags ignore `garment` and `sway`).
struct Piece {
  Garment garment;
  Pattern pattern;
  Rgb colour;
  double sway;  // swing amplitude in radians, signed
};

struct FashionParams {
  Display display;
  Rgb wall;
  Rgb floor;
  std::vector<Piece> pieces;
};

// Garment outlines in units of the garment width, hook at (0, 0), y pointing down.
std::vector<Point> outline(Garment garment) {
  switch (garment) {
    case Garment::TShirt:
      return {{-0.15, 0.0}, {-0.45, 0.08}, {-0.64, 0.34}, {-0.47, 0.44}, {-0.38, 0.32},
              {-0.38, 1.0}, {0.38, 1.0},   {0.38, 0.32},  {0.47, 0.44},  {0.64, 0.34},
              {0.45, 0.08}, {0.15, 0.0},   {0.0, 0.1}};
    case Garment::Dress:
      return {{-0.13, 0.0}, {-0.3, 0.05}, {-0.27, 0.42}, {-0.58, 1.35}, {0.58, 1.35},
              {0.27, 0.42}, {0.3, 0.05},  {0.13, 0.0},   {0.0, 0.15}};
    case Garment::Skirt:
      return {{-0.3, 0.1}, {0.3, 0.1}, {0.52, 0.95}, {-0.52, 0.95}};
  }
  return {};
}

Paint patternPaint(Pattern pattern, Rgb colour, double unit) {
  const Rgb light = tone(colour, 0.75);
  switch (pattern) {
    case Pattern::Solid:
      break;
    case Pattern::Stripes:
      return Paint(
          [=](double, double y) { return std::fmod(y, unit * 2) < unit ? colour : light; });
    case Pattern::Dots:
      return Paint([=](double x, double y) {
        const double cx = std::fmod(x, unit * 2) - unit;
        const double cy =
            std::fmod(y + (static_cast<int>(x / (unit * 2)) % 2) * unit, unit * 2) - unit;
        const double cover = std::clamp(unit * 0.45 - std::sqrt(cx * cx + cy * cy) + 0.5, 0.0, 1.0);
        return mix(colour, rgbHex(0xFFFFFF), cover);
      });
    case Pattern::Checks:
      return Paint([=](double x, double y) {
        const bool a = static_cast<int>(x / unit) % 2 == 0;
        const bool b = static_cast<int>(y / unit) % 2 == 0;
        return a && b ? shade(colour, 0.75) : (a || b) ? colour : light;
      });
    case Pattern::Quilted:
      return Paint([=](double x, double y) {
        const double u = std::abs(std::fmod(x + y, unit * 2) - unit);
        const double v = std::abs(std::fmod(x - y + 1e4 * unit, unit * 2) - unit);
        const double seam = std::clamp(1.5 - std::min(u, v), 0.0, 1.0);
        return mix(colour, shade(colour, 0.7), seam);
      });
  }
  return colour;
}

void paintFashion(Canvas& c, const FashionParams& p, double t) {
  const Frame f = frameOf(c);
  const double floorY = 0.84 * f.h;
  c.fill(linearGradient({0, 0}, {0, floorY}, {tone(p.wall, 0.12), p.wall}));
  c.fillRect(0, floorY, f.w, f.h, p.floor);

  if (p.display == Display::Handbags) {
    const double sweep = 0.5 + 0.3 * std::sin(2 * kPi * t);
    c.fillGlow(f.at(sweep, 0.45), 0.6 * f.s, rgbHex(0xFFFFFF), 0.45);
    const std::size_t n = p.pieces.size();
    for (std::size_t i = 0; i < n; ++i) {
      const Piece& bag = p.pieces[i];
      const double cx = f.w * (i + 0.5) / static_cast<double>(n);
      const double w = std::min(0.5 * f.s, 0.7 * f.w / static_cast<double>(n));
      const double top = floorY - 0.12 * f.h - w * 0.75;
      const double base = floorY - 0.12 * f.h;
      c.fillRoundedRect(cx - w * 0.65, base, cx + w * 0.65, floorY + 0.03 * f.h, w * 0.05,
                        rgbHex(0xF7F7F7));
      c.fillEllipse({cx, floorY + 0.035 * f.h}, w * 0.7, w * 0.05, 0, rgbHex(0x000000), 0.15);
      c.fillRing({cx, top}, w * 0.26, w * 0.32, shade(bag.colour, 0.7));
      const std::vector<Point> body = {
          {cx - w * 0.42, top}, {cx + w * 0.42, top}, {cx + w * 0.5, base}, {cx - w * 0.5, base}};
      c.fillPolygon(body, patternPaint(bag.pattern, bag.colour, w * 0.08));
      c.fillPolygon({{cx - w * 0.43, top - 1},
                     {cx + w * 0.43, top - 1},
                     {cx + w * 0.44, top + w * 0.28},
                     {cx, top + w * 0.36},
                     {cx - w * 0.44, top + w * 0.28}},
                    shade(bag.colour, 0.82));
      c.fillCircle({cx, top + w * 0.33}, w * 0.04, rgbHex(0xE0B84C));
    }
    return;
  }

  const double railY = 0.16 * f.h;
  const Rgb chrome = rgbHex(0xB9BEC4);
  const double pole = std::max(2.0, 0.012 * f.s);
  c.strokeLine({0.05 * f.w, railY}, {0.95 * f.w, railY}, pole, chrome);
  c.strokeLine({0.06 * f.w, railY}, {0.06 * f.w, floorY + 0.02 * f.h}, pole, chrome);
  c.strokeLine({0.94 * f.w, railY}, {0.94 * f.w, floorY + 0.02 * f.h}, pole, chrome);
  const std::size_t n = p.pieces.size();
  const double slot = 0.82 * f.w / static_cast<double>(n);
  const double width = std::min(slot * 0.78, 0.5 * f.h);
  for (std::size_t i = 0; i < n; ++i) {
    const Piece& piece = p.pieces[i];
    const Point hook{0.09 * f.w + slot * (i + 0.5), railY};
    const double angle = piece.sway * std::sin(2 * kPi * t);
    const auto at = [&](double x, double y) {
      return rotateAround({hook.x + x * width, hook.y + width * 0.12 + y * width}, hook, angle);
    };
    std::vector<Point> shape;
    for (const Point& q : outline(piece.garment)) shape.push_back(at(q.x, q.y));
    const Rgb wood = rgbHex(0x9C6B3F);
    c.strokeLine(hook, at(0, 0.0), std::max(1.5, 0.006 * f.s), chrome);
    c.fillPolygon(shape, patternPaint(piece.pattern, piece.colour, width * 0.07));
    if (piece.garment == Garment::Skirt) {
      c.strokePolyline({at(-0.34, 0.02), at(0.34, 0.02)}, std::max(2.0, width * 0.04), wood);
      c.strokeLine(at(-0.22, 0.02), at(-0.22, 0.11), std::max(1.5, width * 0.015), chrome);
      c.strokeLine(at(0.22, 0.02), at(0.22, 0.11), std::max(1.5, width * 0.015), chrome);
      c.fillPolygon({at(-0.3, 0.1), at(0.3, 0.1), at(0.31, 0.17), at(-0.31, 0.17)},
                    shade(piece.colour, 0.8));
    } else {
      c.strokePolyline({at(-0.42, 0.07), at(0.0, 0.0), at(0.42, 0.07)},
                       std::max(2.0, width * 0.035), wood);
    }
  }
}

}  // namespace

Scene makeFashionScene(Rng& rng, double aspect) {
  FashionParams p{};
  p.display = rng.chance(0.65) ? Display::Rail : Display::Handbags;
  static const std::vector<Swatch> kWalls = {
      {"blush pink", rgbHex(0xF4D6D6)}, {"mint", rgbHex(0xCFEBDF)},
      {"lavender", rgbHex(0xDCD3F0)},   {"sand", rgbHex(0xECDDC4)},
      {"sky blue", rgbHex(0xD3E6F5)},   {"dove grey", rgbHex(0xDADBDD)}};
  static const std::vector<Swatch> kColours = {
      {"red", rgbHex(0xD64541)},         {"navy", rgbHex(0x243B6B)},
      {"mustard", rgbHex(0xD9A441)},     {"emerald", rgbHex(0x1F8A5B)},
      {"black", rgbHex(0x222222)},       {"coral", rgbHex(0xF27C66)},
      {"burgundy", rgbHex(0x7B2236)},    {"camel", rgbHex(0xC19A6B)},
      {"cobalt blue", rgbHex(0x2E5BD8)}, {"olive", rgbHex(0x6B7A2E)}};
  static const char* kPatternWords[] = {"", " striped", " polka-dot", " checked", " quilted"};
  const Swatch wall = rng.pick(kWalls);
  p.wall = wall.rgb;
  p.floor = tone(wall.rgb, -0.12);

  Scene scene;
  std::vector<std::string> items;
  if (p.display == Display::Rail) {
    const int n = std::clamp(static_cast<int>(std::lround(aspect * rng.range(2.0, 3.2))), 1, 6);
    int dresses = 0, shirts = 0, skirts = 0;
    for (int i = 0; i < n; ++i) {
      const Garment g = static_cast<Garment>(rng.between(0, 2));
      const Pattern pattern = static_cast<Pattern>(rng.between(0, 3));
      const Swatch colour = rng.pick(kColours);
      p.pieces.push_back(
          {g, pattern, colour.rgb, rng.range(0.05, 0.12) * (rng.chance(0.5) ? 1 : -1)});
      const char* noun = g == Garment::TShirt ? "T-shirt" : g == Garment::Dress ? "dress" : "skirt";
      items.push_back(
          withArticle(colour.name + kPatternWords[static_cast<int>(pattern)] + " " + noun));
      dresses += g == Garment::Dress;
      shirts += g == Garment::TShirt;
      skirts += g == Garment::Skirt;
    }
    std::vector<std::string> counts;
    if (dresses > 0) counts.push_back(countOf(dresses, "dress", "dresses"));
    if (shirts > 0) counts.push_back(countOf(shirts, "T-shirt"));
    if (skirts > 0) counts.push_back(countOf(skirts, "skirt"));
    scene.title = capitalized("clothing rail with " + joinList(counts) + " against " +
                              withArticle(wall.name) + " wall");
    scene.description = "Flat fashion illustration of a chrome clothing rail holding " +
                        joinList(items) + " on wooden hangers against " + withArticle(wall.name) +
                        " wall.";
    scene.tags = {"fashion",       "clothing", "apparel", "boutique",
                  "clothing rail", "style",    wall.name, "illustration"};
    if (dresses > 0) scene.tags.push_back("dress");
    if (shirts > 0) scene.tags.push_back("t-shirt");
    if (skirts > 0) scene.tags.push_back("skirt");
    scene.motionPhrase = "garments swaying";
    scene.motionSentence = "The garments swing gently on their hangers.";
    scene.motionTags = {"swaying"};
  } else {
    const int n = aspect >= 1.2 ? rng.between(1, 2) : 1;
    const bool quilted = rng.chance(0.4);
    std::vector<std::string> colours;
    for (int i = 0; i < n; ++i) {
      const Swatch colour = rng.pick(kColours);
      const Pattern pattern = quilted ? Pattern::Quilted : static_cast<Pattern>(rng.between(0, 3));
      p.pieces.push_back({Garment::TShirt, pattern, colour.rgb, 0});
      if (std::find(colours.begin(), colours.end(), colour.name) == colours.end())
        colours.push_back(colour.name);
      items.push_back(
          withArticle(colour.name + kPatternWords[static_cast<int>(pattern)] + " handbag"));
    }
    scene.title =
        capitalized(n == 1 ? items[0].substr(items[0].find(' ') + 1) + " on a white display stand"
                           : joinList(colours) + " handbags on white display stands");
    scene.description = "Flat fashion product illustration of " + joinList(items) +
                        " with a top handle, front flap and gold clasp, displayed on " +
                        (n == 1 ? "a white stand" : "white stands") + " against " +
                        withArticle(wall.name) + " wall under a soft spotlight.";
    scene.tags = {"fashion", "handbag", "accessories", "bag",
                  "product", "style",   wall.name,     "illustration"};
    if (quilted) scene.tags.push_back("quilted");
    scene.motionPhrase = "spotlight sweeping";
    scene.motionSentence = "A soft spotlight sweeps from side to side across the display.";
    scene.motionTags = {"spotlight"};
  }
  scene.paint = [p](Canvas& canvas, double t) { paintFashion(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
