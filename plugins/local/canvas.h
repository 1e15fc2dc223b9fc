// An RGB raster and the antialiased primitives the local renderer paints with.
// Coordinates are pixels (floats; pixel centres at +0.5); colours are floats
// in 0..255; `alpha` is in 0..1. Every primitive clips to the canvas.
#pragma once

#include <cstdint>
#include <vector>

namespace aigate::plugins::local {

struct Color {
  float r = 0;
  float g = 0;
  float b = 0;
};

// a + (b - a) * t.
Color mixColor(Color a, Color b, float t);

class Canvas {
 public:
  Canvas(int width, int height);

  int width() const { return width_; }
  int height() const { return height_; }
  // RGB24, rows top to bottom, no padding.
  const std::vector<std::uint8_t>& rgb() const { return rgb_; }

  // Covers the whole canvas with a linear gradient from `from` to `to` along
  // the direction `angle` (radians).
  void fillLinearGradient(Color from, Color to, float angle);
  // Lightens a soft disc towards `color`, strongest (`strength`) at the centre.
  void addGlow(float cx, float cy, float radius, Color color, float strength);
  // Pixels [x0, x1) × [y0, y1).
  void fillRect(int x0, int y0, int x1, int y1, Color color, float alpha);
  // A disc shaded from `inner` at the centre to `outer` at its rim.
  void fillCircle(float cx, float cy, float radius, Color inner, Color outer, float alpha);
  void strokeRing(float cx, float cy, float radius, float thickness, Color color, float alpha);
  // An endless straight band through (cx, cy), `angle` from the x axis, whose
  // edges fade over `softness` pixels.
  void fillBand(float cx, float cy, float angle, float width, float softness, Color color,
                float alpha);
  // A sine ribbon across the canvas: y = baseline + amplitude·sin(2πx/wavelength + phase).
  void strokeWave(float baseline, float amplitude, float wavelength, float phase, float thickness,
                  Color color, float alpha);
  // The area below the same kind of curve, shaded from `top` down to `bottom`.
  void fillHill(float baseline, float amplitude, float wavelength, float phase, Color top,
                Color bottom, float alpha);
  // A star polygon with `points` tips, radii `outer` and `inner`, the first tip at `angle`.
  void fillStar(float cx, float cy, float outer, float inner, int points, float angle, Color color,
                float alpha);

  // One pixel; nothing happens outside the canvas.
  void blend(int x, int y, Color color, float alpha);

 private:
  // REQUIRES: 0 <= x < width_, 0 <= y < height_.
  std::uint8_t* pixel(int x, int y) {
    return &rgb_[(static_cast<std::size_t>(y) * width_ + x) * 3];
  }

  int width_;
  int height_;
  std::vector<std::uint8_t> rgb_;
};

}  // namespace aigate::plugins::local
