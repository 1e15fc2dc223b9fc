#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

constexpr double kPi = std::numbers::pi;

enum class Gadget { Board, Processor, Servers };

// Geometry in height units: x in [0, aspect], y in [0, 1]; multiply by the canvas height.
struct Chip {
  double x0, y0, x1, y1;
  int pinsPerSide;
};

struct TechParams {
  Gadget gadget;
  Rgb board;
  Rgb metal;
  std::vector<Chip> chips;
  std::vector<std::vector<Point>> traces;
  std::vector<Point> parts;  // small components: centre (x, y)
  std::vector<double> partAngles;
  int racks;
  int unitsPerRack;
  std::uint64_t ledSeed;
  Rgb led;
  bool pulses;  // motion: signal pulses along the traces; otherwise the processor core breathes
};

double noise(std::uint64_t seed, int a, int b) {
  return static_cast<double>(mixBits(seed + static_cast<std::uint64_t>(a) * 7919ULL +
                                     static_cast<std::uint64_t>(b)) >>
                             11) *
         0x1.0p-53;
}

Point pointAlong(const std::vector<Point>& line, double fraction) {
  double total = 0;
  for (std::size_t i = 0; i + 1 < line.size(); ++i)
    total += std::hypot(line[i + 1].x - line[i].x, line[i + 1].y - line[i].y);
  double left = fraction * total;
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    const double len = std::hypot(line[i + 1].x - line[i].x, line[i + 1].y - line[i].y);
    if (left <= len && len > 0) return lerp(line[i], line[i + 1], left / len);
    left -= len;
  }
  return line.back();
}

void paintChip(Canvas& c, double unit, const Chip& chip, Rgb metal, double glow) {
  const double x0 = chip.x0 * unit, y0 = chip.y0 * unit, x1 = chip.x1 * unit, y1 = chip.y1 * unit;
  const double pin = std::min(x1 - x0, y1 - y0) / (chip.pinsPerSide * 2 + 1);
  for (int i = 0; i < chip.pinsPerSide; ++i) {
    const double fx = x0 + (x1 - x0) * (i + 0.5) / chip.pinsPerSide;
    const double fy = y0 + (y1 - y0) * (i + 0.5) / chip.pinsPerSide;
    c.fillRect(fx - pin * 0.35, y0 - pin * 1.2, fx + pin * 0.35, y1 + pin * 1.2, metal);
    c.fillRect(x0 - pin * 1.2, fy - pin * 0.35, x1 + pin * 1.2, fy + pin * 0.35, metal);
  }
  c.fillRoundedRect(x0, y0, x1, y1, pin * 0.6, rgbHex(0x1C1F24));
  c.fillRoundedRect(x0 + (x1 - x0) * 0.18, y0 + (y1 - y0) * 0.18, x1 - (x1 - x0) * 0.18,
                    y1 - (y1 - y0) * 0.18, pin * 0.4, rgbHex(0x2B3038));
  if (glow > 0) c.fillGlow({(x0 + x1) / 2, (y0 + y1) / 2}, (x1 - x0) * 0.5, rgbHex(0x7FDBFF), glow);
  c.fillCircle({x0 + pin * 1.4, y0 + pin * 1.4}, pin * 0.45, rgbHex(0x59616B));
}

void paintTech(Canvas& c, const TechParams& p, double t) {
  const Frame f = frameOf(c);
  const double unit = f.h;
  if (p.gadget == Gadget::Servers) {
    c.fill(
        linearGradient({0, 0}, {0, f.h}, {rgbHex(0x0B1220), rgbHex(0x162236), rgbHex(0x0A0F18)}));
    const double floorY = 0.86 * f.h;
    c.fillRect(0, floorY, f.w, f.h, rgbHex(0x0E1522));
    for (int i = 1; i < 6; ++i)
      c.strokeLine({0, floorY + i * 0.03 * f.h}, {f.w, floorY + i * 0.03 * f.h}, 1.0,
                   rgbHex(0x22314A), 0.6);
    const double gap = 0.04 * f.w;
    const double rackW = (f.w - gap * (p.racks + 1)) / p.racks;
    for (int r = 0; r < p.racks; ++r) {
      const double x0 = gap + r * (rackW + gap);
      const double top = 0.1 * f.h;
      c.fillRoundedRect(x0, top, x0 + rackW, floorY, 0.01 * f.s, rgbHex(0x1F2937));
      const double unitH = (floorY - top - 0.04 * f.h) / p.unitsPerRack;
      for (int u = 0; u < p.unitsPerRack; ++u) {
        const double y = top + 0.02 * f.h + u * unitH;
        c.fillRoundedRect(x0 + rackW * 0.06, y + unitH * 0.12, x0 + rackW * 0.94, y + unitH * 0.88,
                          unitH * 0.12, rgbHex(0x2D3748));
        for (int l = 0; l < 3; ++l) {
          const double phase = noise(p.ledSeed, r * 100 + u, l);
          const bool on = std::fmod(phase + t * (1 + l), 1.0) < 0.7;
          const Rgb colour = l == 2 ? rgbHex(0xFFB020) : p.led;
          const Point at{x0 + rackW * (0.14 + l * 0.07), y + unitH * 0.5};
          c.fillCircle(at, unitH * 0.12, on ? colour : shade(colour, 0.25));
          if (on) c.fillGlow(at, unitH * 0.45, colour, 0.35);
        }
        for (int v = 0; v < 4; ++v) {
          const double vx = x0 + rackW * (0.5 + v * 0.1);
          c.fillRect(vx, y + unitH * 0.35, vx + rackW * 0.05, y + unitH * 0.65, rgbHex(0x1A202C));
        }
      }
    }
    return;
  }

  c.fill(p.board);
  for (const Point& part : p.parts) {
    const std::size_t i = static_cast<std::size_t>(&part - p.parts.data());
    const Point at{part.x * unit, part.y * unit};
    const double len = 0.045 * f.s;
    const Point a = rotateAround({at.x - len / 2, at.y}, at, p.partAngles[i]);
    const Point b = rotateAround({at.x + len / 2, at.y}, at, p.partAngles[i]);
    c.strokeLine(a, b, 0.02 * f.s, p.metal);
    c.strokeLine(lerp(a, b, 0.25), lerp(a, b, 0.75), 0.022 * f.s, rgbHex(0x2A2A2A));
  }
  const double width = std::max(1.5, 0.007 * f.s);
  for (const auto& trace : p.traces) {
    std::vector<Point> points;
    for (const Point& q : trace) points.push_back({q.x * unit, q.y * unit});
    c.strokePolyline(points, width, p.metal);
    c.fillRing(points.back(), width * 0.8, width * 1.9, p.metal);
  }
  // Pulses fade in and out so the first and last frames match the still image.
  const double pulse = p.pulses ? 0.9 * std::sin(kPi * t) : 0.0;
  for (std::size_t i = 0; pulse > 0.01 && i < p.traces.size(); ++i) {
    const double fraction = std::fmod(t * 1.5 + noise(p.ledSeed, static_cast<int>(i), 0), 1.0);
    const Point q = pointAlong(p.traces[i], fraction);
    c.fillGlow({q.x * unit, q.y * unit}, width * 5, rgbHex(0xB8F3FF), pulse);
  }
  const double glow =
      p.gadget == Gadget::Processor ? (p.pulses ? 0.35 : 0.35 + 0.3 * std::sin(2 * kPi * t)) : 0.0;
  for (const Chip& chip : p.chips) paintChip(c, unit, chip, p.metal, glow);
}

// An orthogonal-and-diagonal route of 2-4 segments from `start`, first heading along `dir`.
std::vector<Point> route(Rng& rng, Point start, Point dir, double aspect) {
  std::vector<Point> line = {start};
  Point d = dir;
  for (int s = rng.between(2, 4); s > 0; --s) {
    const double len = rng.range(0.05, 0.22);
    Point next{line.back().x + d.x * len, line.back().y + d.y * len};
    next.x = std::clamp(next.x, 0.02, aspect - 0.02);
    next.y = std::clamp(next.y, 0.02, 0.98);
    line.push_back(next);
    const double turn = rng.chance(0.5) ? kPi / 4 : -kPi / 4;
    const Point rotated{d.x * std::cos(turn) - d.y * std::sin(turn),
                        d.x * std::sin(turn) + d.y * std::cos(turn)};
    d = (std::abs(rotated.x) > 0.9 || std::abs(rotated.y) > 0.9 || rng.chance(0.5)) ? rotated : dir;
  }
  return line;
}

}  // namespace

Scene makeTechnologyScene(Rng& rng, double aspect) {
  TechParams p{};
  p.gadget = static_cast<Gadget>(rng.between(0, 2));
  p.ledSeed = rng.next();
  p.pulses = p.gadget == Gadget::Board || (p.gadget == Gadget::Processor && rng.chance(0.5));
  static const std::vector<Swatch> kBoards = {{"green", rgbHex(0x1E6B3A)},
                                              {"navy blue", rgbHex(0x15305C)},
                                              {"black", rgbHex(0x16181C)},
                                              {"purple", rgbHex(0x3C1F5C)}};
  static const std::vector<Swatch> kMetals = {
      {"copper", rgbHex(0xC98B3C)}, {"gold", rgbHex(0xE0B84C)}, {"silver", rgbHex(0xC0C6CC)}};
  const Swatch board = rng.pick(kBoards);
  const Swatch metal = rng.pick(kMetals);
  p.board = board.rgb;
  p.metal = metal.rgb;

  Scene scene;
  switch (p.gadget) {
    case Gadget::Board: {
      const int chips = rng.between(1, 4);
      for (int i = 0; i < chips; ++i) {
        const double w = rng.range(0.14, 0.24);
        const double h = rng.range(0.12, 0.22);
        const double x = aspect * (i + 0.5) / chips + rng.range(-0.03, 0.03);
        const double y = rng.range(0.3, 0.7);
        p.chips.push_back({x - w / 2, y - h / 2, x + w / 2, y + h / 2, rng.between(3, 6)});
      }
      for (int i = rng.between(14, 28); i > 0; --i) {
        const Chip& chip = rng.pick(p.chips);
        const int side = rng.between(0, 3);
        const double u = rng.range(0.1, 0.9);
        const Point start = side == 0   ? Point{chip.x0 + (chip.x1 - chip.x0) * u, chip.y0}
                            : side == 1 ? Point{chip.x1, chip.y0 + (chip.y1 - chip.y0) * u}
                            : side == 2 ? Point{chip.x0 + (chip.x1 - chip.x0) * u, chip.y1}
                                        : Point{chip.x0, chip.y0 + (chip.y1 - chip.y0) * u};
        const Point dir = side == 0   ? Point{0, -1}
                          : side == 1 ? Point{1, 0}
                          : side == 2 ? Point{0, 1}
                                      : Point{-1, 0};
        p.traces.push_back(route(rng, start, dir, aspect));
      }
      for (int i = rng.between(6, 14); i > 0; --i) {
        p.parts.push_back({rng.range(0.05, aspect - 0.05), rng.range(0.05, 0.95)});
        p.partAngles.push_back(rng.chance(0.5) ? 0.0 : kPi / 2);
      }
      const int traces = static_cast<int>(p.traces.size());
      scene.title = capitalized(board.name + " circuit board with " + countOf(chips, "chip") +
                                " and " + metal.name + " traces");
      scene.description = "Flat illustration of " + withArticle(board.name) +
                          " printed circuit board seen from above with " +
                          countOf(chips, "black microchip") + ", " + numberWord(traces) + " " +
                          metal.name + " traces ending in round vias, and " +
                          countOf(static_cast<int>(p.parts.size()), "small component") + ".";
      scene.tags = {"technology", "circuit board", "electronics", "pcb",
                    "microchip",  "hardware",      metal.name,    "illustration"};
      break;
    }
    case Gadget::Processor: {
      const double size = rng.range(0.3, 0.38);
      const double cx = aspect / 2;
      const int pins = rng.between(5, 8);
      p.chips.push_back({cx - size / 2, 0.5 - size / 2, cx + size / 2, 0.5 + size / 2, pins});
      const Chip& chip = p.chips.front();
      for (int side = 0; side < 4; ++side) {
        for (int i = 0; i < pins; ++i) {
          const double u = (i + 0.5) / pins;
          const Point start = side == 0   ? Point{chip.x0 + size * u, chip.y0 - 0.02}
                              : side == 1 ? Point{chip.x1 + 0.02, chip.y0 + size * u}
                              : side == 2 ? Point{chip.x0 + size * u, chip.y1 + 0.02}
                                          : Point{chip.x0 - 0.02, chip.y0 + size * u};
          const Point dir = side == 0   ? Point{0, -1}
                            : side == 1 ? Point{1, 0}
                            : side == 2 ? Point{0, 1}
                                        : Point{-1, 0};
          if (rng.chance(0.75)) p.traces.push_back(route(rng, start, dir, aspect));
        }
      }
      const int traces = static_cast<int>(p.traces.size());
      scene.title = capitalized("processor chip on " + withArticle(board.name) + " board with " +
                                numberWord(traces) + " " + metal.name + " traces");
      scene.description =
          "Flat illustration of a large square processor chip with a softly glowing blue core at "
          "the centre of " +
          withArticle(board.name) + " circuit board, " + numberWord(pins * 4) +
          " pins around its edges and " + numberWord(traces) + " " + metal.name +
          " traces fanning out to the edges.";
      scene.tags = {"technology",    "processor", "cpu",      "microchip",
                    "circuit board", "computing", metal.name, "illustration"};
      break;
    }
    case Gadget::Servers: {
      p.racks = std::clamp(static_cast<int>(std::lround(aspect * rng.range(2.0, 3.5))), 2, 7);
      p.unitsPerRack = rng.between(6, 12);
      static const std::vector<Swatch> kLeds = {
          {"green", rgbHex(0x39FF88)}, {"blue", rgbHex(0x3FA9FF)}, {"cyan", rgbHex(0x40E0D0)}};
      const Swatch led = rng.pick(kLeds);
      p.led = led.rgb;
      scene.title =
          capitalized(countOf(p.racks, "server rack") + " of " + numberWord(p.unitsPerRack) +
                      " units with " + led.name + " status lights");
      scene.description = "Flat illustration of " + countOf(p.racks, "dark server rack") +
                          " in a dim data centre, each holding " + numberWord(p.unitsPerRack) +
                          " server units with " + led.name +
                          " and amber status lights and ventilation slots.";
      scene.tags = {"technology", "servers", "data center", "cloud computing",
                    "hardware",   "network", "illustration"};
      break;
    }
  }
  if (p.gadget == Gadget::Servers) {
    scene.motionPhrase = "lights blinking";
    scene.motionSentence = "The status lights blink on and off in shifting patterns.";
    scene.motionTags = {"blinking", "lights"};
  } else if (p.pulses) {
    scene.motionPhrase = "signals pulsing along traces";
    scene.motionSentence = "Glowing pulses of light race along the traces, fading in and out.";
    scene.motionTags = {"pulsing", "data flow"};
  } else {
    scene.motionPhrase = "processor core glowing";
    scene.motionSentence =
        "The blue glow of the processor core brightens and dims like a heartbeat.";
    scene.motionTags = {"glowing", "pulsing"};
  }
  scene.paint = [p](Canvas& canvas, double t) { paintTech(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
