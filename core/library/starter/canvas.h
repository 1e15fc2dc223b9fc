#pragma once

#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

namespace aigate::starter {

// RGB colour with channels in [0, 1] (values outside are clamped on export).
struct Rgb {
  double r = 0.0;
  double g = 0.0;
  double b = 0.0;
};

Rgb rgbHex(std::uint32_t hex);
Rgb mix(Rgb a, Rgb b, double t);
Rgb shade(Rgb c, double factor);

struct Point {
  double x = 0.0;
  double y = 0.0;
};

Point lerp(Point a, Point b, double t);
Point rotateAround(Point p, Point pivot, double radians);

// Colour source for a fill: a solid colour, a linear gradient, or any function of the
// pixel centre.
class Paint {
 public:
  Paint(Rgb solid) : solid_(solid) {}  // NOLINT(google-explicit-constructor)
  template <class F>
  requires std::is_invocable_r_v<Rgb, F, double, double> Paint(F shader)
      : shader_(std::move(shader)) {}  // NOLINT(google-explicit-constructor)

  // Evenly spaced colour stops along the segment from -> to, extended flat beyond it.
  static Paint linearGradient(Point from, Point to, std::vector<Rgb> stops);

  Rgb at(double x, double y) const;
  // True when the colour depends on y only, so one value serves a whole row.
  bool rowConstant() const { return !shader_ && (stops_.empty() || dx_ == 0.0); }

 private:
  Paint() = default;

  Rgb solid_{};
  std::function<Rgb(double, double)> shader_;
  std::vector<Rgb> stops_;
  Point from_{};
  double dx_ = 0.0;
  double dy_ = 0.0;
  double inverseLengthSq_ = 0.0;
};

inline Paint linearGradient(Point from, Point to, std::vector<Rgb> stops) {
  return Paint::linearGradient(from, to, std::move(stops));
}

// An RGB raster with anti-aliased filled primitives. Coordinates are in pixels,
// (0, 0) is the top-left corner and pixel (x, y) covers [x, x+1) x [y, y+1).
// Every fill blends with coverage * alpha, so primitives compose in draw order.
class Canvas {
 public:
  Canvas(int width, int height);

  int width() const { return width_; }
  int height() const { return height_; }
  // Row-major rgb24 bytes, width * height * 3 long.
  std::vector<std::uint8_t> rgb24() const;
  // Resets every pixel to black.
  void clear();

  void fill(const Paint& paint);
  // Radial glow whose opacity falls smoothly from alpha at the centre to 0 at radius.
  void fillGlow(Point centre, double radius, Rgb colour, double alpha);

  void fillRect(double x0, double y0, double x1, double y1, const Paint& paint, double alpha = 1.0);
  void fillRoundedRect(double x0, double y0, double x1, double y1, double radius,
                       const Paint& paint, double alpha = 1.0);
  void fillCircle(Point centre, double radius, const Paint& paint, double alpha = 1.0);
  void fillRing(Point centre, double inner, double outer, const Paint& paint, double alpha = 1.0);
  void fillEllipse(Point centre, double rx, double ry, double angle, const Paint& paint,
                   double alpha = 1.0);
  // Even-odd filled polygon; the outline closes implicitly.
  void fillPolygon(const std::vector<Point>& points, const Paint& paint, double alpha = 1.0);
  // Round-capped strokes; overlapping segments of one polyline are painted once.
  void strokeLine(Point a, Point b, double width, const Paint& paint, double alpha = 1.0);
  void strokePolyline(const std::vector<Point>& points, double width, const Paint& paint,
                      double alpha = 1.0);

  // Mirrors everything above `waterline` into the rows below it, tinted towards `tint`.
  void reflectBelow(double waterline, Rgb tint, double tintAlpha);

 private:
  template <class CoverageFn>
  void paintRegion(double x0, double y0, double x1, double y1, CoverageFn&& coverage,
                   const Paint& paint, double alpha);
  void blend(int x, int y, Rgb colour, double alpha);

  int width_;
  int height_;
  std::vector<float> pixels_;
  // Per-pixel coverage scratch for strokes; all zero between calls.
  std::vector<float> scratch_;
};

}  // namespace aigate::starter
