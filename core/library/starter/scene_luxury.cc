#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

constexpr double kPi = std::numbers::pi;

enum class Backdrop { Fans, Lattice, Sunburst };
enum class Jewel { Gem, Ring, Necklace };

struct LuxuryParams {
  Rgb background;
  Rgb metal;
  Rgb gem;
  Backdrop backdrop;
  Jewel jewel;
  bool frame;
  std::vector<Point> sparkles;  // x, y normalised
  std::vector<double> sparklePhase;
  bool shimmer;  // motion: light band sweeps; otherwise sparkles twinkle
};

void paintSparkle(Canvas& c, Point at, double r, Rgb colour, double alpha) {
  c.fillPolygon({{at.x, at.y - r},
                 {at.x + r * 0.18, at.y - r * 0.18},
                 {at.x + r, at.y},
                 {at.x + r * 0.18, at.y + r * 0.18},
                 {at.x, at.y + r},
                 {at.x - r * 0.18, at.y + r * 0.18},
                 {at.x - r, at.y},
                 {at.x - r * 0.18, at.y - r * 0.18}},
                colour, alpha);
}

void paintGem(Canvas& c, Point centre, double width, Rgb colour) {
  const double y0 = centre.y - 0.3 * width;
  const double y1 = centre.y - 0.08 * width;
  const double y2 = centre.y + 0.5 * width;
  const double top[] = {-0.3, -0.1, 0.1, 0.3};
  const double girdle[] = {-0.5, -0.25, 0.0, 0.25, 0.5};
  const Rgb shades[] = {tone(colour, 0.55), tone(colour, 0.2), colour, tone(colour, -0.25),
                        tone(colour, -0.45)};
  const auto x = [&](double u) { return centre.x + u * width; };
  c.fillPolygon({{x(-0.3), y0}, {x(0.3), y0}, {x(0.5), y1}, {x(-0.5), y1}}, shades[1]);
  for (int i = 0; i < 4; ++i) {
    c.fillPolygon({{x(girdle[i]), y1}, {x(top[i]), y0}, {x(girdle[i + 1]), y1}},
                  shades[(i + 1) % 5]);
    if (i < 3)
      c.fillPolygon({{x(top[i]), y0}, {x(girdle[i + 1]), y1}, {x(top[i + 1]), y0}},
                    shades[i % 2 == 0 ? 0 : 2]);
  }
  for (int i = 0; i < 4; ++i) {
    c.fillPolygon({{x(girdle[i]), y1}, {x(girdle[i + 1]), y1}, {centre.x, y2}},
                  shades[(i + 2) % 5]);
  }
  c.strokeLine({x(-0.5), y1}, {x(0.5), y1}, std::max(1.0, width * 0.01), tone(colour, 0.7), 0.8);
}

void paintLuxury(Canvas& c, const LuxuryParams& p, double t) {
  const Frame f = frameOf(c);
  c.fill(p.background);
  const Rgb faint = mix(p.background, p.metal, 0.35);
  const double line = std::max(1.0, 0.004 * f.s);
  switch (p.backdrop) {
    case Backdrop::Fans: {
      const double r = 0.14 * f.s;
      for (int row = 0; row * r * 0.5 < f.h + r; ++row) {
        for (int col = -1; col * r * 2 < f.w + 2 * r; ++col) {
          const Point centre{col * 2 * r + (row % 2) * r, row * r * 0.5 + r};
          for (int k = 4; k >= 1; --k)
            c.fillCircle(centre, r * k / 4.0, k % 2 == 0 ? faint : p.background);
        }
      }
      break;
    }
    case Backdrop::Lattice: {
      const double step = 0.12 * f.s;
      for (double d = -f.h; d < f.w + f.h; d += step) {
        c.strokeLine({d, 0}, {d + f.h, f.h}, line, faint);
        c.strokeLine({d + f.h, 0}, {d, f.h}, line, faint);
      }
      break;
    }
    case Backdrop::Sunburst: {
      const Point centre = f.at(0.5, 0.5);
      const double reach = std::hypot(f.w, f.h);
      for (int k = 0; k < 36; k += 2) {
        const double a0 = 2 * kPi * k / 36;
        const double a1 = 2 * kPi * (k + 1) / 36;
        c.fillPolygon({centre,
                       {centre.x + reach * std::cos(a0), centre.y + reach * std::sin(a0)},
                       {centre.x + reach * std::cos(a1), centre.y + reach * std::sin(a1)}},
                      faint, 0.6);
      }
      break;
    }
  }
  c.fillGlow(f.at(0.5, 0.5), 0.5 * f.s, p.metal, 0.18);

  if (p.frame) {
    const double m1 = 0.05 * f.s;
    const double m2 = 0.075 * f.s;
    for (const double m : {m1, m2}) {
      c.strokePolyline({{m, m}, {f.w - m, m}, {f.w - m, f.h - m}, {m, f.h - m}, {m, m}}, line * 1.5,
                       p.metal);
    }
    for (const Point corner :
         {Point{m1, m1}, Point{f.w - m1, m1}, Point{f.w - m1, f.h - m1}, Point{m1, f.h - m1}}) {
      const double d = 0.03 * f.s;
      c.fillPolygon({{corner.x, corner.y - d},
                     {corner.x + d, corner.y},
                     {corner.x, corner.y + d},
                     {corner.x - d, corner.y}},
                    p.metal);
    }
  }

  const Point centre = f.at(0.5, 0.52);
  const double size = 0.42 * f.s;
  switch (p.jewel) {
    case Jewel::Gem:
      c.fillEllipse({centre.x, centre.y + size * 0.62}, size * 0.4, size * 0.05, 0,
                    rgbHex(0x000000), 0.35);
      paintGem(c, centre, size, p.gem);
      break;
    case Jewel::Ring: {
      const Point band{centre.x, centre.y + size * 0.2};
      c.fillEllipse({band.x, band.y + size * 0.52}, size * 0.45, size * 0.05, 0, rgbHex(0x000000),
                    0.35);
      c.fillRing(band, size * 0.34, size * 0.44, p.metal);
      c.fillRing(band, size * 0.36, size * 0.38, tone(p.metal, 0.45), 0.6);
      c.fillPolygon({{band.x - size * 0.16, band.y - size * 0.36},
                     {band.x + size * 0.16, band.y - size * 0.36},
                     {band.x + size * 0.06, band.y - size * 0.5},
                     {band.x - size * 0.06, band.y - size * 0.5}},
                    tone(p.metal, -0.15));
      paintGem(c, {band.x, band.y - size * 0.62}, size * 0.45, p.gem);
      break;
    }
    case Jewel::Necklace: {
      const double span = std::min(0.42 * f.w, 0.5 * f.s);
      for (int i = 0; i <= 22; ++i) {
        const double u = i / 22.0 * 2 - 1;
        const Point pearl{centre.x + u * span, centre.y - size * 0.45 + size * 0.75 * (1 - u * u)};
        const double r = size * 0.045;
        c.fillCircle(pearl, r, rgbHex(0xF4EFE6));
        c.fillCircle({pearl.x - r * 0.3, pearl.y - r * 0.3}, r * 0.35, rgbHex(0xFFFFFF), 0.8);
      }
      paintGem(c, {centre.x, centre.y + size * 0.48}, size * 0.3, p.gem);
      break;
    }
  }

  for (std::size_t i = 0; i < p.sparkles.size(); ++i) {
    const double pulse =
        p.shimmer ? 1.0 : 0.5 + 0.5 * std::cos(2 * kPi * (2 * t + p.sparklePhase[i]));
    paintSparkle(c, f.at(p.sparkles[i].x, p.sparkles[i].y), 0.035 * f.s * (0.4 + 0.6 * pulse),
                 tone(p.metal, 0.6), 0.9);
  }
  if (p.shimmer && t < 1.0) {
    const double x = (-0.3 + 1.6 * t) * f.w;
    const double band = 0.12 * f.s;
    c.fillPolygon(
        {{x - band, f.h}, {x + band, f.h}, {x + band + 0.5 * f.h, 0}, {x - band + 0.5 * f.h, 0}},
        rgbHex(0xFFFFFF), 0.12 * std::sin(kPi * t));
  }
}

}  // namespace

Scene makeLuxuryScene(Rng& rng, double /*aspect*/) {
  LuxuryParams p{};
  static const std::vector<Swatch> kBackgrounds = {{"black", rgbHex(0x0B0B0D)},
                                                   {"deep navy", rgbHex(0x0C1530)},
                                                   {"burgundy", rgbHex(0x3A0D1A)},
                                                   {"dark emerald", rgbHex(0x0A2A20)}};
  static const std::vector<Swatch> kMetals = {{"gold", rgbHex(0xD4AF37)},
                                              {"rose gold", rgbHex(0xE0A38C)},
                                              {"silver", rgbHex(0xC8CDD3)},
                                              {"champagne", rgbHex(0xE6CF9C)}};
  static const std::vector<Swatch> kGems = {{"diamond", rgbHex(0xCFE8F5)},
                                            {"ruby", rgbHex(0xC2153B)},
                                            {"emerald", rgbHex(0x1C9E63)},
                                            {"sapphire", rgbHex(0x1F4FC2)},
                                            {"amethyst", rgbHex(0x8E4BC7)}};
  const Swatch background = rng.pick(kBackgrounds);
  const Swatch metal = rng.pick(kMetals);
  const Swatch gem = rng.pick(kGems);
  p.background = background.rgb;
  p.metal = metal.rgb;
  p.gem = gem.rgb;
  p.backdrop = static_cast<Backdrop>(rng.between(0, 2));
  p.jewel = static_cast<Jewel>(rng.between(0, 2));
  p.frame = rng.chance(0.5);
  p.shimmer = rng.chance(0.5);
  for (int i = rng.between(3, 7); i > 0; --i) {
    p.sparkles.push_back({rng.range(0.15, 0.85), rng.range(0.15, 0.85)});
    p.sparklePhase.push_back(rng.uniform());
  }

  static const char* kBackdrops[] = {"art deco fan pattern", "diamond lattice pattern",
                                     "sunburst pattern"};
  const std::string backdrop = kBackdrops[static_cast<int>(p.backdrop)];
  const std::string gemName = gem.name == "diamond" ? "diamond" : gem.name + " gemstone";
  std::string jewel;
  std::string title;
  switch (p.jewel) {
    case Jewel::Gem:
      jewel = "a large faceted " + gemName;
      title = "Faceted " + gemName + " on " + metal.name + " " + backdrop;
      break;
    case Jewel::Ring:
      jewel = withArticle(metal.name) + " ring set with a faceted " + gemName;
      title =
          capitalized(metal.name + " " + gem.name + " ring on " + background.name + " " + backdrop);
      break;
    case Jewel::Necklace:
      jewel = "a pearl necklace with a faceted " + gemName + " pendant";
      title = capitalized("pearl necklace with " + withArticle(gem.name) + " pendant on " +
                          background.name + " and " + metal.name);
      break;
  }
  Scene scene;
  scene.title = title;
  scene.description =
      "Elegant flat illustration of " + jewel + " at the centre of " +
      withArticle(background.name) + " background with a subtle " + metal.name + " " + backdrop +
      (p.frame ? ", inside a double " + metal.name + " frame with diamond-shaped corners" : "") +
      ", with " + countOf(static_cast<int>(p.sparkles.size()), "four-point sparkle") + ".";
  scene.tags = {"luxury", "premium",  "elegant",       "jewelry",
                gem.name, metal.name, background.name, "illustration"};
  if (p.backdrop != Backdrop::Lattice) scene.tags.push_back("art deco");
  if (p.jewel == Jewel::Ring) scene.tags.push_back("ring");
  if (p.jewel == Jewel::Necklace) scene.tags.insert(scene.tags.end(), {"necklace", "pearls"});
  if (p.jewel == Jewel::Gem) scene.tags.push_back("gemstone");
  if (p.shimmer) {
    scene.motionPhrase = "light shimmer";
    scene.motionSentence =
        "A soft diagonal band of light sweeps across the scene from left to right.";
    scene.motionTags = {"shimmer", "shine"};
  } else {
    scene.motionPhrase = "sparkles twinkling";
    scene.motionSentence = "The sparkles pulse and twinkle around the jewel.";
    scene.motionTags = {"sparkle", "twinkling"};
  }
  scene.paint = [p](Canvas& canvas, double t) { paintLuxury(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
