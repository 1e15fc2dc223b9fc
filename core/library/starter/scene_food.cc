#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

constexpr double kPi = std::numbers::pi;

enum class Table { Wood, Marble, Linen, Gingham };
enum class Dish { Fruit, Pizza, Breakfast, Donuts, Salad };
enum class Fruit { Orange, RedApple, GreenApple, Lemon, Plum };

// One piece placed on the plate in polar coordinates relative to the plate centre;
// `r` and `size` are fractions of the plate radius.
struct Item {
  double angle;
  double r;
  double size;
  double spin;
  int kind;
};

struct FoodParams {
  Table table;
  Rgb tableColour;
  Rgb accent;  // second gingham colour or marble vein colour
  std::vector<std::vector<Point>> veins;
  Dish dish;
  Rgb plate;
  std::vector<Item> items;     // main pieces
  std::vector<Item> toppings;  // small pieces (pepperoni, sprinkles, tomatoes, ...)
  std::vector<Item> extras;    // second kind of small pieces (basil, cucumbers, bacon)
  int slices;
  bool cutlery;
  double spin;  // rotation of the whole dish in radians per clip, 0 when still
};

Point place(Point centre, double radius, const Item& item, double rotation) {
  const double a = item.angle + rotation;
  return {centre.x + radius * item.r * std::cos(a), centre.y + radius * item.r * std::sin(a)};
}

std::vector<Point> blob(Point centre, double radius, double wobble, double phase) {
  std::vector<Point> points;
  for (int i = 0; i < 36; ++i) {
    const double a = 2 * kPi * i / 36;
    const double r = radius * (1 + wobble * std::sin(3 * a + phase) +
                               wobble * 0.5 * std::sin(5 * a + 2 * phase));
    points.push_back({centre.x + r * std::cos(a), centre.y + r * std::sin(a)});
  }
  return points;
}

std::vector<Point> rotatedRect(Point centre, double halfW, double halfH, double angle) {
  std::vector<Point> corners = {{centre.x - halfW, centre.y - halfH},
                                {centre.x + halfW, centre.y - halfH},
                                {centre.x + halfW, centre.y + halfH},
                                {centre.x - halfW, centre.y + halfH}};
  for (Point& p : corners) p = rotateAround(p, centre, angle);
  return corners;
}

void paintTable(Canvas& c, const FoodParams& p) {
  const Frame f = frameOf(c);
  switch (p.table) {
    case Table::Wood: {
      const double plank = 0.14 * f.s;
      for (int i = 0; i * plank < f.h; ++i) {
        const double k = 0.9 + 0.2 * std::fmod(i * 0.618, 1.0);
        c.fillRect(0, i * plank, f.w, (i + 1) * plank, shade(p.tableColour, k));
        c.fillRect(0, i * plank, f.w, i * plank + std::max(1.0, 0.004 * f.s),
                   shade(p.tableColour, 0.6));
      }
      break;
    }
    case Table::Marble:
      c.fill(p.tableColour);
      for (const auto& vein : p.veins) {
        std::vector<Point> points;
        for (const Point& q : vein) points.push_back(f.at(q.x, q.y));
        c.strokePolyline(points, std::max(1.0, 0.004 * f.s), p.accent, 0.5);
      }
      break;
    case Table::Linen:
      c.fill(p.tableColour);
      break;
    case Table::Gingham: {
      const double check = 0.07 * f.s;
      const Rgb white = rgbHex(0xFAF7F0);
      const Rgb base = p.tableColour;
      c.fill([=](double x, double y) {
        const bool a = static_cast<int>(std::floor(x / check)) % 2 == 0;
        const bool b = static_cast<int>(std::floor(y / check)) % 2 == 0;
        return a && b ? base : (a || b) ? mix(base, white, 0.5) : white;
      });
      break;
    }
  }
}

void paintFruit(Canvas& c, Point at, double size, double spin, Fruit kind) {
  static const Rgb kColours[] = {rgbHex(0xF28C28), rgbHex(0xC0392B), rgbHex(0x8BC34A),
                                 rgbHex(0xF7DC4A), rgbHex(0x6C3483)};
  const Rgb colour = kColours[static_cast<int>(kind)];
  c.fillCircle({at.x + size * 0.12, at.y + size * 0.15}, size, rgbHex(0x000000), 0.15);
  if (kind == Fruit::Lemon) {
    c.fillEllipse(at, size * 1.15, size * 0.82, spin, colour);
    for (const double end : {-1.12, 1.12}) {
      c.fillCircle(rotateAround({at.x + size * end, at.y}, at, spin), size * 0.16, colour);
    }
  } else {
    c.fillCircle(at, size, colour);
  }
  c.fillEllipse({at.x - size * 0.35, at.y - size * 0.35}, size * 0.28, size * 0.16, -0.7,
                rgbHex(0xFFFFFF), 0.35);
  if (kind == Fruit::RedApple || kind == Fruit::GreenApple) {
    const Point stem = rotateAround({at.x, at.y - size * 0.15}, at, spin);
    c.strokeLine(at, stem, size * 0.1, rgbHex(0x5B3A1E));
    c.fillEllipse(rotateAround({at.x + size * 0.25, at.y - size * 0.2}, at, spin), size * 0.25,
                  size * 0.11, spin - 0.5, rgbHex(0x3E8E41));
  } else if (kind == Fruit::Orange) {
    c.fillCircle(at, size * 0.08, shade(colour, 0.75));
  }
}

void paintDish(Canvas& c, const FoodParams& p, Point centre, double radius, double rotation) {
  switch (p.dish) {
    case Dish::Fruit:
      for (const Item& item : p.items) {
        paintFruit(c, place(centre, radius, item, rotation), item.size * radius,
                   item.spin + rotation, static_cast<Fruit>(item.kind));
      }
      break;
    case Dish::Pizza: {
      c.fillCircle(centre, radius, rgbHex(0xD9A35B));
      c.fillCircle(centre, radius * 0.88, rgbHex(0xD2452B));
      c.fillPolygon(blob(centre, radius * 0.8, 0.03, rotation), rgbHex(0xF5CF63));
      for (const Item& item : p.extras) {
        c.fillEllipse(place(centre, radius, item, rotation), item.size * radius,
                      item.size * radius * 0.7, item.spin + rotation, rgbHex(0xFBE6A2), 0.9);
      }
      for (const Item& item : p.toppings) {
        const Point at = place(centre, radius, item, rotation);
        c.fillCircle(at, item.size * radius, rgbHex(0xB8322A));
        c.fillCircle({at.x - item.size * radius * 0.3, at.y - item.size * radius * 0.3},
                     item.size * radius * 0.16, rgbHex(0x7E1F1A));
        c.fillCircle({at.x + item.size * radius * 0.35, at.y + item.size * radius * 0.1},
                     item.size * radius * 0.12, rgbHex(0x7E1F1A));
      }
      for (const Item& item : p.items) {
        c.fillEllipse(place(centre, radius, item, rotation), item.size * radius,
                      item.size * radius * 0.45, item.spin + rotation, rgbHex(0x3C8D2F));
      }
      for (int i = 0; i < p.slices; ++i) {
        const double a = rotation + 2 * kPi * i / p.slices;
        c.strokeLine(
            centre,
            {centre.x + radius * 0.97 * std::cos(a), centre.y + radius * 0.97 * std::sin(a)},
            std::max(1.0, radius * 0.015), rgbHex(0x7A4A1E), 0.6);
      }
      break;
    }
    case Dish::Breakfast:
      for (const Item& item : p.extras) {
        const Point at = place(centre, radius, item, rotation);
        std::vector<Point> strip;
        for (int i = 0; i <= 12; ++i) {
          const double u = (i / 12.0 - 0.5) * item.size * radius * 2;
          strip.push_back(rotateAround({at.x + u, at.y + std::sin(i * 1.3) * radius * 0.03}, at,
                                       item.spin + rotation));
        }
        c.strokePolyline(strip, radius * 0.16, rgbHex(0xA8432F));
        c.strokePolyline(strip, radius * 0.045, rgbHex(0xF2C6A8));
      }
      for (const Item& item : p.toppings) {
        const Point at = place(centre, radius, item, rotation);
        const double half = item.size * radius;
        c.fillPolygon(rotatedRect(at, half, half * 0.9, item.spin + rotation), rgbHex(0xB9772F));
        c.fillPolygon(rotatedRect(at, half * 0.82, half * 0.74, item.spin + rotation),
                      rgbHex(0xE9C07A));
      }
      for (const Item& item : p.items) {
        const Point at = place(centre, radius, item, rotation);
        const Point offset{at.x + radius * 0.02, at.y + radius * 0.025};
        c.fillPolygon(blob(offset, item.size * radius, 0.12, item.spin + rotation),
                      rgbHex(0x000000), 0.12);
        c.fillPolygon(blob(at, item.size * radius, 0.12, item.spin + rotation), rgbHex(0xFFFFFF));
        c.fillCircle(at, item.size * radius * 0.38, rgbHex(0xF6A21E));
        c.fillCircle({at.x - item.size * radius * 0.1, at.y - item.size * radius * 0.12},
                     item.size * radius * 0.1, rgbHex(0xFFFFFF), 0.6);
      }
      break;
    case Dish::Donuts: {
      static const Rgb kIcing[] = {rgbHex(0xF48FB1), rgbHex(0x6D4C41), rgbHex(0xFFF8E7),
                                   rgbHex(0x9CCC65)};
      for (const Item& item : p.items) {
        const Point at = place(centre, radius, item, rotation);
        const double r = item.size * radius;
        c.fillCircle({at.x + r * 0.1, at.y + r * 0.12}, r, rgbHex(0x000000), 0.15);
        c.fillRing(at, r * 0.32, r, rgbHex(0xD9A066));
        c.fillPolygon(blob(at, r * 0.86, 0.05, item.spin), kIcing[item.kind % 4]);
        c.fillCircle(at, r * 0.38, rgbHex(0xD9A066));
        c.fillCircle(at, r * 0.3, p.plate);
      }
      static const Rgb kSprinkles[] = {rgbHex(0xE53935), rgbHex(0xFDD835), rgbHex(0x1E88E5),
                                       rgbHex(0x43A047), rgbHex(0xFFFFFF)};
      for (const Item& s : p.toppings) {
        const Item& donut = p.items[static_cast<std::size_t>(s.kind) % p.items.size()];
        const Point at = place(centre, radius, donut, rotation);
        const double r = donut.size * radius * s.r;
        const Point dot{at.x + r * std::cos(s.angle + rotation),
                        at.y + r * std::sin(s.angle + rotation)};
        const Point tip = rotateAround({dot.x + radius * 0.025, dot.y}, dot, s.spin + rotation);
        const std::size_t colour = static_cast<std::size_t>(s.kind) / p.items.size() % 5;
        c.strokeLine(dot, tip, radius * 0.014, kSprinkles[colour]);
      }
      break;
    }
    case Dish::Salad: {
      static const Rgb kLeaves[] = {rgbHex(0x7CB342), rgbHex(0x558B2F), rgbHex(0x9CCC65),
                                    rgbHex(0x33691E)};
      for (const Item& leaf : p.items) {
        c.fillEllipse(place(centre, radius, leaf, rotation), leaf.size * radius,
                      leaf.size * radius * 0.55, leaf.spin + rotation, kLeaves[leaf.kind % 4]);
      }
      for (const Item& slice : p.extras) {
        const Point at = place(centre, radius, slice, rotation);
        c.fillCircle(at, slice.size * radius, rgbHex(0x2E7D32));
        c.fillCircle(at, slice.size * radius * 0.85, rgbHex(0xD4E7A1));
        c.fillCircle(at, slice.size * radius * 0.4, rgbHex(0xB5D37A));
      }
      for (const Item& tomato : p.toppings) {
        const Point at = place(centre, radius, tomato, rotation);
        c.fillCircle(at, tomato.size * radius, rgbHex(0xE53935));
        c.fillCircle({at.x - tomato.size * radius * 0.3, at.y - tomato.size * radius * 0.3},
                     tomato.size * radius * 0.25, rgbHex(0xFFFFFF), 0.4);
      }
      break;
    }
  }
}

void paintFood(Canvas& c, const FoodParams& p, double t) {
  const Frame f = frameOf(c);
  paintTable(c, p);
  const Point centre = f.at(0.5, 0.5);
  const double radius = 0.4 * f.s;
  const double rotation = p.spin * (t - 1.0);
  c.fillCircle({centre.x + radius * 0.05, centre.y + radius * 0.07}, radius * 1.02,
               rgbHex(0x000000), 0.18);
  if (p.dish == Dish::Pizza) {
    c.fillCircle(centre, radius * 1.04, rgbHex(0xB5834C));
    c.fillRing(centre, radius * 1.0, radius * 1.04, rgbHex(0x8D6238));
  } else if (p.dish == Dish::Salad) {
    c.fillCircle(centre, radius, p.plate);
    c.fillRing(centre, radius * 0.9, radius * 0.93, shade(p.plate, 0.85));
  } else {
    c.fillCircle(centre, radius, p.plate);
    c.fillRing(centre, radius * 0.74, radius * 0.77, shade(p.plate, 0.92));
  }
  paintDish(c, p, centre, p.dish == Dish::Pizza ? radius * 0.95 : radius * 0.88, rotation);

  if (!p.cutlery) return;
  const Rgb steel = rgbHex(0xC9CDD2);
  const double gap = radius * 1.25;
  const double top = centre.y - radius * 0.8;
  const double bottom = centre.y + radius * 0.8;
  const double fx = centre.x - gap;
  c.fillRoundedRect(fx - radius * 0.035, top + radius * 0.45, fx + radius * 0.035, bottom,
                    radius * 0.03, steel);
  c.fillRoundedRect(fx - radius * 0.1, top + radius * 0.3, fx + radius * 0.1, top + radius * 0.5,
                    radius * 0.05, steel);
  for (int i = 0; i < 4; ++i) {
    const double x = fx - radius * 0.075 + i * radius * 0.05;
    c.strokeLine({x, top}, {x, top + radius * 0.35}, radius * 0.025, steel);
  }
  const double kx = centre.x + gap;
  c.fillRoundedRect(kx - radius * 0.035, centre.y, kx + radius * 0.035, bottom, radius * 0.03,
                    steel);
  c.fillPolygon({{kx - radius * 0.05, centre.y + 2},
                 {kx + radius * 0.06, centre.y + 2},
                 {kx + radius * 0.06, top + radius * 0.15},
                 {kx - radius * 0.02, top}},
                tone(steel, 0.2));
}

// Places `count` pieces without large overlaps inside `maxR` (fraction of the plate radius).
std::vector<Item> scatter(Rng& rng, int count, double minSize, double maxSize, double maxR,
                          int kinds) {
  std::vector<Item> items;
  for (int attempt = 0; attempt < 400 && static_cast<int>(items.size()) < count; ++attempt) {
    const double size = rng.range(minSize, maxSize);
    const double r = std::sqrt(rng.uniform()) * std::max(0.0, maxR - size);
    const Item item{rng.range(0, 2 * kPi), r, size, rng.range(0, 2 * kPi),
                    rng.between(0, kinds - 1)};
    const Point a{r * std::cos(item.angle), r * std::sin(item.angle)};
    bool clear = true;
    for (const Item& other : items) {
      const Point b{other.r * std::cos(other.angle), other.r * std::sin(other.angle)};
      if (std::hypot(a.x - b.x, a.y - b.y) < (size + other.size) * 0.92) clear = false;
    }
    if (clear) items.push_back(item);
  }
  return items;
}

}  // namespace

Scene makeFoodScene(Rng& rng, double aspect) {
  FoodParams p{};
  p.table = static_cast<Table>(rng.between(0, 3));
  std::string tableText;
  switch (p.table) {
    case Table::Wood: {
      static const std::vector<Swatch> kWood = {{"oak", rgbHex(0xB98A5A)},
                                                {"walnut", rgbHex(0x6F4E37)},
                                                {"pale birch", rgbHex(0xDCC3A1)}};
      const Swatch wood = rng.pick(kWood);
      p.tableColour = wood.rgb;
      tableText = withArticle(wood.name) + " plank table";
      break;
    }
    case Table::Marble:
      p.tableColour = rgbHex(0xECEAE6);
      p.accent = rgbHex(0x9EA3A8);
      for (int v = rng.between(3, 6); v > 0; --v) {
        std::vector<Point> vein{{rng.range(-0.1, 1.1), -0.05}};
        while (vein.back().y < 1.05) {
          vein.push_back(
              {vein.back().x + rng.range(-0.08, 0.08), vein.back().y + rng.range(0.04, 0.1)});
        }
        p.veins.push_back(vein);
      }
      tableText = "a white marble countertop";
      break;
    case Table::Linen: {
      static const std::vector<Swatch> kLinen = {{"sage green", rgbHex(0x9CAF88)},
                                                 {"terracotta", rgbHex(0xC96F4A)},
                                                 {"navy", rgbHex(0x2C3E63)},
                                                 {"mustard", rgbHex(0xD9A441)}};
      const Swatch linen = rng.pick(kLinen);
      p.tableColour = linen.rgb;
      tableText = withArticle(linen.name) + " linen tablecloth";
      break;
    }
    case Table::Gingham: {
      static const std::vector<Swatch> kGingham = {
          {"red", rgbHex(0xC62828)}, {"blue", rgbHex(0x1E5AA8)}, {"green", rgbHex(0x2E7D32)}};
      const Swatch check = rng.pick(kGingham);
      p.tableColour = check.rgb;
      tableText = withArticle(check.name) + " gingham tablecloth";
      break;
    }
  }
  static const std::vector<Swatch> kPlates = {{"white", rgbHex(0xFBFBF8)},
                                              {"cream", rgbHex(0xF3EAD7)},
                                              {"pale blue", rgbHex(0xD6E6F2)},
                                              {"light grey", rgbHex(0xE2E2E2)}};
  const Swatch plate = rng.pick(kPlates);
  p.plate = plate.rgb;
  p.dish = static_cast<Dish>(rng.between(0, 4));
  p.cutlery = aspect >= 1.3 && p.dish != Dish::Pizza;
  p.spin = rng.range(0.5, 1.0) * (rng.chance(0.5) ? 1 : -1);

  std::string what;
  std::string title;
  std::vector<std::string> tags = {"food", "top-down", "flat lay", "illustration"};
  switch (p.dish) {
    case Dish::Fruit: {
      p.items = scatter(rng, rng.between(4, 9), 0.17, 0.24, 0.95, 5);
      static const char* kNames[][2] = {{"orange", "oranges"},
                                        {"red apple", "red apples"},
                                        {"green apple", "green apples"},
                                        {"lemon", "lemons"},
                                        {"plum", "plums"}};
      int counts[5] = {0, 0, 0, 0, 0};
      for (const Item& item : p.items) ++counts[item.kind];
      std::vector<std::string> parts;
      for (int k = 0; k < 5; ++k) {
        if (counts[k] > 0) {
          parts.push_back(countOf(counts[k], kNames[k][0], kNames[k][1]));
          tags.push_back(kNames[k][1]);
        }
      }
      const int total = static_cast<int>(p.items.size());
      what = withArticle(plate.name) + " plate holding " + joinList(parts);
      title = "Plate of " + numberWord(total) + " pieces of fresh fruit on " + tableText;
      tags.insert(tags.end(), {"fruit", "healthy"});
      break;
    }
    case Dish::Pizza: {
      p.slices = rng.chance(0.5) ? 6 : 8;
      p.toppings = scatter(rng, rng.between(6, 12), 0.09, 0.12, 0.82, 1);
      p.items = scatter(rng, rng.between(0, 6), 0.08, 0.1, 0.8, 1);
      for (int i = 0; i < 24; ++i) {
        p.extras.push_back({rng.range(0, 2 * kPi), std::sqrt(rng.uniform()) * 0.72,
                            rng.range(0.04, 0.08), rng.range(0, kPi), 0});
      }
      const int pepperoni = static_cast<int>(p.toppings.size());
      const int basil = static_cast<int>(p.items.size());
      what = "a whole pizza cut into " + numberWord(p.slices) +
             " slices, topped with melted cheese, " + countOf(pepperoni, "pepperoni slice") +
             (basil > 0 ? " and " + countOf(basil, "basil leaf", "basil leaves") : "") +
             ", on a round wooden board";
      title = "Pepperoni pizza in " + numberWord(p.slices) + " slices on " + tableText;
      tags.insert(tags.end(), {"pizza", "pepperoni", "italian"});
      break;
    }
    case Dish::Breakfast: {
      const int eggs = rng.between(1, 2);
      const int toast = rng.between(1, 2);
      const int bacon = rng.between(0, 2);
      std::vector<Item> all = scatter(rng, eggs + toast + bacon, 0.3, 0.36, 1.0, 1);
      const int placed = static_cast<int>(all.size());
      for (int i = 0; i < placed; ++i) {
        if (i < std::min(eggs, placed)) {
          p.items.push_back(all[static_cast<std::size_t>(i)]);
        } else if (i < eggs + toast) {
          p.toppings.push_back(all[static_cast<std::size_t>(i)]);
        } else {
          p.extras.push_back(all[static_cast<std::size_t>(i)]);
        }
      }
      std::vector<std::string> parts = {countOf(static_cast<int>(p.items.size()), "fried egg")};
      if (!p.toppings.empty())
        parts.push_back(
            countOf(static_cast<int>(p.toppings.size()), "slice of toast", "slices of toast"));
      if (!p.extras.empty())
        parts.push_back(
            countOf(static_cast<int>(p.extras.size()), "strip of bacon", "strips of bacon"));
      what = withArticle(plate.name) + " plate with " + joinList(parts);
      title = "Breakfast plate with " + joinList(parts) + " on " + tableText;
      tags.insert(tags.end(), {"breakfast", "eggs", "toast", "brunch"});
      if (!p.extras.empty()) tags.push_back("bacon");
      break;
    }
    case Dish::Donuts: {
      p.items = scatter(rng, rng.between(3, 6), 0.27, 0.33, 1.0, 4);
      const bool sprinkles = rng.chance(0.6);
      if (sprinkles) {
        for (int i = 0; i < 18 * static_cast<int>(p.items.size()); ++i) {
          p.toppings.push_back(
              {rng.range(0, 2 * kPi), rng.range(0.45, 0.8), 0, rng.range(0, kPi), i});
        }
      }
      static const char* kIcings[] = {"pink", "chocolate", "vanilla", "matcha green"};
      std::vector<std::string> icings;
      for (const Item& d : p.items) {
        const std::string icing = kIcings[d.kind % 4];
        if (std::find(icings.begin(), icings.end(), icing) == icings.end()) icings.push_back(icing);
      }
      const int count = static_cast<int>(p.items.size());
      what = withArticle(plate.name) + " plate of " + countOf(count, "donut") + " with " +
             joinList(icings) + " icing" + (sprinkles ? " and colourful sprinkles" : "");
      title = capitalized(numberWord(count)) + " iced donuts" +
              (sprinkles ? " with sprinkles" : "") + " on " + tableText;
      tags.insert(tags.end(), {"donuts", "dessert", "sweets", "pastry"});
      if (sprinkles) tags.push_back("sprinkles");
      break;
    }
    case Dish::Salad: {
      p.items = scatter(rng, 70, 0.1, 0.16, 1.0, 4);
      p.extras = scatter(rng, rng.between(3, 7), 0.1, 0.12, 0.95, 1);
      p.toppings = scatter(rng, rng.between(4, 9), 0.08, 0.1, 0.9, 1);
      const int tomatoes = static_cast<int>(p.toppings.size());
      const int cucumbers = static_cast<int>(p.extras.size());
      what = withArticle(plate.name) + " bowl of leafy green salad with " +
             countOf(tomatoes, "cherry tomato", "cherry tomatoes") + " and " +
             countOf(cucumbers, "cucumber slice");
      title = "Green salad with " + countOf(tomatoes, "cherry tomato", "cherry tomatoes") + " on " +
              tableText;
      tags.insert(tags.end(), {"salad", "vegetables", "healthy", "tomatoes"});
      break;
    }
  }

  Scene scene;
  scene.title = title;
  scene.description = "Top-down flat illustration of " + what + " on " + tableText +
                      (p.cutlery ? ", with a fork on the left and a knife on the right" : "") + ".";
  tags.push_back(p.table == Table::Wood     ? "wooden table"
                 : p.table == Table::Marble ? "marble"
                                            : "tablecloth");
  scene.tags = tags;
  scene.motionPhrase = p.dish == Dish::Pizza ? "pizza turning" : "plate turning";
  scene.motionSentence =
      std::string(p.dish == Dish::Pizza ? "The pizza" : "The food on the plate") +
      " turns slowly " + (p.spin > 0 ? "clockwise." : "anticlockwise.");
  scene.motionTags = {"rotating"};
  scene.paint = [p](Canvas& canvas, double t) { paintFood(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
