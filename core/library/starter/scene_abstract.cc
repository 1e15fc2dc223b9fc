#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

constexpr double kPi = std::numbers::pi;

enum class Style { Waves, Voronoi, Concentric, Orbs, Shapes };

struct Palette {
  std::string name;
  std::vector<std::string> colourNames;
  std::vector<Rgb> colours;
};

// A seed point, wave layer, ring set, orb or shape, depending on the style.
struct Element {
  double x, y;  // normalised position (or, for waves: amplitude, frequency)
  double size;  // fraction of the shorter side
  double phase;
  int colour;  // index into the palette
  int kind;    // shapes: 0 circle, 1 triangle, 2 ring, 3 squiggle
};

struct AbstractParams {
  Style style;
  Palette palette;
  Rgb background;
  std::vector<Element> elements;
  bool squares;    // concentric squares instead of circles
  Point centre;    // concentric centre
  double borders;  // voronoi border width, fraction of the shorter side
};

void paintAbstract(Canvas& c, const AbstractParams& p, double t) {
  const Frame f = frameOf(c);
  const auto& colours = p.palette.colours;
  const double motion = t - 1.0;  // 0 on the final frame
  switch (p.style) {
    case Style::Waves: {
      c.fill(linearGradient({0, 0}, {0, f.h},
                            {tone(colours.front(), 0.55), tone(colours.front(), 0.25)}));
      const std::size_t n = p.elements.size();
      for (std::size_t k = 0; k < n; ++k) {
        const Element& e = p.elements[k];
        const double base = 0.25 + 0.7 * static_cast<double>(k) / static_cast<double>(n);
        std::vector<Point> band;
        for (int i = 0; i <= 64; ++i) {
          const double x = i / 64.0;
          const double y =
              base + e.x * std::sin(2 * kPi * (e.y * x + e.phase + motion * (0.5 + 0.2 * k)));
          band.push_back(f.at(x, y));
        }
        band.push_back({f.w, f.h + 1});
        band.push_back({0, f.h + 1});
        c.fillPolygon(band, colours[static_cast<std::size_t>(e.colour)]);
      }
      break;
    }
    case Style::Voronoi: {
      std::vector<Point> seeds;
      for (const Element& e : p.elements) {
        const double r = 0.03;
        seeds.push_back(
            {(e.x + r * (std::cos(2 * kPi * t + e.phase) - std::cos(2 * kPi + e.phase))) * f.w,
             (e.y + r * (std::sin(2 * kPi * t + e.phase) - std::sin(2 * kPi + e.phase))) * f.h});
      }
      const double border = p.borders * f.s;
      const Rgb line = p.background;
      c.fill([&](double x, double y) {
        double best = 1e30, second = 1e30;
        std::size_t index = 0;
        for (std::size_t i = 0; i < seeds.size(); ++i) {
          const double d =
              (x - seeds[i].x) * (x - seeds[i].x) + (y - seeds[i].y) * (y - seeds[i].y);
          if (d < best) {
            second = best;
            best = d;
            index = i;
          } else if (d < second) {
            second = d;
          }
        }
        const double gap = (std::sqrt(second) - std::sqrt(best)) / 2;
        const Rgb cell = colours[static_cast<std::size_t>(p.elements[index].colour)];
        return mix(line, cell, std::clamp(gap - border / 2 + 0.5, 0.0, 1.0));
      });
      break;
    }
    case Style::Concentric: {
      c.fill(p.background);
      const Point centre = f.at(p.centre.x, p.centre.y);
      const double step = 0.07 * f.s;
      const double shift = motion * 2.0;  // rings travel outwards over the clip
      const double whole = std::floor(shift);
      const double frac = shift - whole;
      const int rings = static_cast<int>(std::hypot(f.w, f.h) / step) + 2;
      const double angle = p.squares ? kPi / 8 : 0.0;
      for (int k = rings; k >= 0; --k) {
        const double r = (k + frac) * step;
        if (r <= 0) continue;
        const auto index = static_cast<std::size_t>(
            ((k - static_cast<long>(whole)) % static_cast<long>(colours.size()) +
             static_cast<long>(colours.size())) %
            static_cast<long>(colours.size()));
        if (p.squares) {
          std::vector<Point> square;
          for (int i = 0; i < 4; ++i) {
            const double a = angle + kPi / 4 + i * kPi / 2;
            square.push_back({centre.x + r * std::sqrt(2.0) * std::cos(a),
                              centre.y + r * std::sqrt(2.0) * std::sin(a)});
          }
          c.fillPolygon(square, colours[index]);
        } else {
          c.fillCircle(centre, r, colours[index]);
        }
      }
      break;
    }
    case Style::Orbs: {
      c.fill(linearGradient({0, 0}, {f.w, f.h}, {p.background, tone(p.background, 0.2)}));
      for (const Element& e : p.elements) {
        const double dx = 0.06 * (std::cos(2 * kPi * t + e.phase) - std::cos(2 * kPi + e.phase));
        const double dy = 0.06 * (std::sin(2 * kPi * t + e.phase) - std::sin(2 * kPi + e.phase));
        c.fillGlow(f.at(e.x + dx, e.y + dy), e.size * f.s,
                   colours[static_cast<std::size_t>(e.colour)], 0.85);
      }
      break;
    }
    case Style::Shapes: {
      c.fill(p.background);
      for (const Element& e : p.elements) {
        const double bob = 0.03 * (std::sin(2 * kPi * t + e.phase) - std::sin(2 * kPi + e.phase));
        const Point at = f.at(e.x, e.y + bob);
        const double r = e.size * f.s;
        const Rgb colour = colours[static_cast<std::size_t>(e.colour)];
        const double spin = e.phase + motion * kPi / 3;
        switch (e.kind) {
          case 0:
            c.fillCircle(at, r, colour);
            break;
          case 1: {
            std::vector<Point> tri;
            for (int i = 0; i < 3; ++i)
              tri.push_back({at.x + r * std::cos(spin + i * 2 * kPi / 3),
                             at.y + r * std::sin(spin + i * 2 * kPi / 3)});
            c.fillPolygon(tri, colour);
            break;
          }
          case 2:
            c.fillRing(at, r * 0.6, r, colour);
            break;
          default: {
            std::vector<Point> squiggle;
            for (int i = 0; i <= 16; ++i) {
              const double u = i / 16.0 - 0.5;
              squiggle.push_back(rotateAround(
                  {at.x + u * r * 3, at.y + r * 0.35 * std::sin(u * 4 * kPi)}, at, spin));
            }
            c.strokePolyline(squiggle, r * 0.22, colour);
            break;
          }
        }
      }
      break;
    }
  }
}

}  // namespace

Scene makeAbstractScene(Rng& rng, double aspect) {
  static const std::vector<Palette> kPalettes = {
      {"sunset",
       {"coral", "orange", "golden yellow", "plum"},
       {rgbHex(0xFF6B6B), rgbHex(0xFFA36C), rgbHex(0xFFD93D), rgbHex(0x6A4C93)}},
      {"ocean",
       {"navy", "cobalt", "cyan", "ice blue"},
       {rgbHex(0x03045E), rgbHex(0x0077B6), rgbHex(0x00B4D8), rgbHex(0x90E0EF)}},
      {"forest",
       {"deep green", "pine", "leaf green", "mint"},
       {rgbHex(0x1B4332), rgbHex(0x2D6A4F), rgbHex(0x52B788), rgbHex(0xB7E4C7)}},
      {"pastel",
       {"pink", "baby blue", "lilac", "sky blue"},
       {rgbHex(0xFFC8DD), rgbHex(0xBDE0FE), rgbHex(0xCDB4DB), rgbHex(0xA2D2FF)}},
      {"monochrome",
       {"charcoal", "slate grey", "silver", "off-white"},
       {rgbHex(0x222222), rgbHex(0x555555), rgbHex(0x999999), rgbHex(0xE5E5E5)}},
      {"neon",
       {"magenta", "electric cyan", "lime", "violet"},
       {rgbHex(0xFF00A0), rgbHex(0x00F0FF), rgbHex(0xB3FF00), rgbHex(0x8A2BE2)}},
      {"earth",
       {"terracotta", "sand", "olive", "rust"},
       {rgbHex(0xC96F4A), rgbHex(0xE8CFA0), rgbHex(0x7F8F3F), rgbHex(0x9A3B1E)}},
  };
  AbstractParams p{};
  p.style = static_cast<Style>(rng.between(0, 4));
  p.palette = rng.pick(kPalettes);
  const bool darkBackdrop = p.palette.name == "neon" || p.style == Style::Orbs || rng.chance(0.3);
  p.background = darkBackdrop ? rgbHex(0x111018) : rgbHex(0xF7F4EE);
  const int colours = static_cast<int>(p.palette.colours.size());
  const std::string palette =
      "a " + p.palette.name + " palette of " + joinList(p.palette.colourNames);
  const std::string backdrop = darkBackdrop ? "near-black" : "off-white";

  Scene scene;
  scene.tags = {"abstract",  "pattern",      "geometric",   "background",
                "wallpaper", p.palette.name, "illustration"};
  switch (p.style) {
    case Style::Waves: {
      const int n = rng.between(4, 7);
      const int start = rng.between(0, colours - 1);
      for (int k = 0; k < n; ++k) {
        p.elements.push_back({rng.range(0.02, 0.06), rng.range(0.6, 1.8) * std::max(1.0, aspect), 0,
                              rng.uniform(), (start + k) % colours, 0});
      }
      scene.title = capitalized(numberWord(n) + " layered waves in " + p.palette.name + " colours");
      scene.description = "Abstract flat illustration of " + numberWord(n) +
                          " layered flowing wave bands stacked from top to bottom in " + palette +
                          " over a pale gradient backdrop.";
      scene.tags.insert(scene.tags.end(), {"waves", "flowing", "layers"});
      scene.motionPhrase = "waves flowing";
      scene.motionSentence = "The wave bands ripple sideways, each at its own speed.";
      scene.motionTags = {"flowing", "waves"};
      break;
    }
    case Style::Voronoi: {
      const int n = static_cast<int>(rng.between(12, 30) * std::max(1.0, aspect * 0.8));
      for (int k = 0; k < n; ++k)
        p.elements.push_back({rng.uniform(), rng.uniform(), 0, rng.range(0, 2 * kPi),
                              rng.between(0, colours - 1), 0});
      p.borders = rng.range(0.006, 0.014);
      scene.title =
          capitalized(p.palette.name + " Voronoi mosaic with " + numberWord(n) + " cells");
      scene.description = "Abstract flat illustration of a Voronoi mosaic of " + numberWord(n) +
                          " irregular polygon cells coloured in " + palette +
                          ", separated by thin " + backdrop + " borders.";
      scene.tags.insert(scene.tags.end(), {"voronoi", "mosaic", "cells", "low poly"});
      scene.motionPhrase = "cells shifting";
      scene.motionSentence =
          "The cell centres drift in small circles so the borders slowly reshape.";
      scene.motionTags = {"morphing"};
      break;
    }
    case Style::Concentric: {
      p.squares = rng.chance(0.5);
      p.centre = {rng.range(0.3, 0.7), rng.range(0.3, 0.7)};
      const std::string shape = p.squares ? "squares" : "circles";
      scene.title = capitalized("concentric " + shape + " in " + p.palette.name + " colours");
      scene.description = "Abstract flat illustration of bold concentric " + shape +
                          (p.squares ? " tilted at an angle" : "") +
                          " radiating from a point near the centre, in repeating bands of " +
                          palette + ".";
      scene.tags.insert(scene.tags.end(), {"concentric", shape, "hypnotic"});
      scene.motionPhrase = "rings expanding";
      scene.motionSentence = "The bands expand outwards from the centre in an endless ripple.";
      scene.motionTags = {"expanding", "pulsing"};
      break;
    }
    case Style::Orbs: {
      const int n = rng.between(3, 6);
      for (int k = 0; k < n; ++k) {
        p.elements.push_back({rng.range(0.1, 0.9), rng.range(0.1, 0.9), rng.range(0.35, 0.7),
                              rng.range(0, 2 * kPi), k % colours, 0});
      }
      scene.title =
          capitalized(numberWord(n) + " soft " + p.palette.name + " gradient orbs on " + backdrop);
      scene.description = "Abstract illustration of " + numberWord(n) +
                          " large blurred glowing orbs blending into each other on " +
                          withArticle(backdrop) + " backdrop, in " + palette + ".";
      scene.tags.insert(scene.tags.end(), {"gradient", "blur", "glow", "orbs"});
      scene.motionPhrase = "orbs drifting";
      scene.motionSentence = "The glowing orbs drift slowly in circles and blend as they pass.";
      scene.motionTags = {"drifting"};
      break;
    }
    case Style::Shapes: {
      const int n = static_cast<int>(rng.between(12, 22) * std::max(1.0, aspect * 0.7));
      int kinds[4] = {0, 0, 0, 0};
      for (int k = 0; k < n; ++k) {
        const int kind = rng.between(0, 3);
        ++kinds[kind];
        p.elements.push_back({rng.range(0.05, 0.95), rng.range(0.05, 0.95), rng.range(0.04, 0.09),
                              rng.range(0, 2 * kPi), rng.between(0, colours - 1), kind});
      }
      std::vector<std::string> parts;
      static const char* kNames[][2] = {{"circle", "circles"},
                                        {"triangle", "triangles"},
                                        {"ring", "rings"},
                                        {"squiggle", "squiggles"}};
      for (int k = 0; k < 4; ++k) {
        if (kinds[k] > 0) parts.push_back(countOf(kinds[k], kNames[k][0], kNames[k][1]));
      }
      scene.title = capitalized("playful " + p.palette.name + " geometric shapes on " + backdrop);
      scene.description = "Abstract Memphis-style flat illustration of " + joinList(parts) +
                          " scattered across " + withArticle(backdrop) + " background in " +
                          palette + ".";
      scene.tags.insert(scene.tags.end(), {"memphis", "shapes", "playful"});
      scene.motionPhrase = "shapes floating";
      scene.motionSentence =
          "The shapes bob up and down while the triangles and squiggles slowly turn.";
      scene.motionTags = {"floating"};
      break;
    }
  }
  scene.paint = [p](Canvas& canvas, double t) { paintAbstract(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
