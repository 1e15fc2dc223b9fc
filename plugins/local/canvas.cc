#include "canvas.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace aigate::plugins::local {

namespace {

constexpr float kPi = 3.14159265358979f;

float clamp01(float v) { return v < 0 ? 0 : (v > 1 ? 1 : v); }

// How much of a pixel a shape covers when the pixel's centre lies `sd` pixels
// outside the shape's edge (negative: inside): a one-pixel linear ramp.
float coverage(float sd) { return clamp01(0.5f - sd); }

std::uint8_t toByte(float v) {
  return v <= 0 ? 0 : (v >= 255 ? 255 : static_cast<std::uint8_t>(v + 0.5f));
}

// The pixel indices [lo, hi) whose centres may fall in [from, to], clipped to [0, limit).
struct Span {
  int lo;
  int hi;
};
Span span(float from, float to, int limit) {
  return {std::max(0, static_cast<int>(std::floor(from))),
          std::min(limit, static_cast<int>(std::ceil(to)) + 1)};
}

// A sine curve and its slope at x.
struct Wave {
  float baseline, amplitude, k, phase;
  float y(float x) const { return baseline + amplitude * std::sin(k * x + phase); }
  // 1 / sqrt(1 + slope²): turns a vertical distance into a perpendicular one.
  float normalScale(float x) const {
    const float slope = amplitude * k * std::cos(k * x + phase);
    return 1.0f / std::sqrt(1.0f + slope * slope);
  }
};

// Blends one pixel towards `color`; `alpha` in (0, 1].
void blendPixel(std::uint8_t* p, Color color, float alpha) {
  p[0] = toByte(p[0] + (color.r - p[0]) * alpha);
  p[1] = toByte(p[1] + (color.g - p[1]) * alpha);
  p[2] = toByte(p[2] + (color.b - p[2]) * alpha);
}

}  // namespace

Color mixColor(Color a, Color b, float t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

Canvas::Canvas(int width, int height)
    : width_(width), height_(height), rgb_(static_cast<std::size_t>(width) * height * 3, 0) {}

void Canvas::blend(int x, int y, Color color, float alpha) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_ || alpha <= 0) return;
  blendPixel(pixel(x, y), color, std::min(alpha, 1.0f));
}

void Canvas::fillLinearGradient(Color from, Color to, float angle) {
  // The colours along the gradient, precomputed: far finer steps than 8-bit
  // channels can show, and much cheaper than mixing every pixel.
  constexpr int kSteps = 1024;
  std::vector<std::uint8_t> ramp(static_cast<std::size_t>(kSteps + 1) * 3);
  for (int i = 0; i <= kSteps; ++i) {
    const Color c = mixColor(from, to, static_cast<float>(i) / kSteps);
    ramp[static_cast<std::size_t>(i) * 3] = toByte(c.r);
    ramp[static_cast<std::size_t>(i) * 3 + 1] = toByte(c.g);
    ramp[static_cast<std::size_t>(i) * 3 + 2] = toByte(c.b);
  }
  const float dx = std::cos(angle);
  const float dy = std::sin(angle);
  const float half = 0.5f * (std::fabs(dx) * width_ + std::fabs(dy) * height_);
  const float cx = 0.5f * width_;
  const float cy = 0.5f * height_;
  std::uint8_t* p = rgb_.data();
  for (int y = 0; y < height_; ++y) {
    const float along_y = (y + 0.5f - cy) * dy;
    for (int x = 0; x < width_; ++x, p += 3) {
      const float t = clamp01(0.5f + ((x + 0.5f - cx) * dx + along_y) / (2 * half));
      const std::uint8_t* c = &ramp[static_cast<std::size_t>(t * kSteps + 0.5f) * 3];
      p[0] = c[0];
      p[1] = c[1];
      p[2] = c[2];
    }
  }
}

void Canvas::addGlow(float cx, float cy, float radius, Color color, float strength) {
  const Span xs = span(cx - radius, cx + radius, width_);
  const Span ys = span(cy - radius, cy + radius, height_);
  const float r2 = radius * radius;
  for (int y = ys.lo; y < ys.hi; ++y) {
    const float dy = y + 0.5f - cy;
    for (int x = xs.lo; x < xs.hi; ++x) {
      const float dx = x + 0.5f - cx;
      const float f = 1.0f - (dx * dx + dy * dy) / r2;
      if (f > 0) blendPixel(pixel(x, y), color, strength * f * f);
    }
  }
}

void Canvas::fillRect(int x0, int y0, int x1, int y1, Color color, float alpha) {
  for (int y = std::max(0, y0); y < std::min(height_, y1); ++y) {
    for (int x = std::max(0, x0); x < std::min(width_, x1); ++x)
      blendPixel(pixel(x, y), color, alpha);
  }
}

void Canvas::fillCircle(float cx, float cy, float radius, Color inner, Color outer, float alpha) {
  const Span xs = span(cx - radius - 1, cx + radius + 1, width_);
  const Span ys = span(cy - radius - 1, cy + radius + 1, height_);
  for (int y = ys.lo; y < ys.hi; ++y) {
    const float dy = y + 0.5f - cy;
    for (int x = xs.lo; x < xs.hi; ++x) {
      const float dx = x + 0.5f - cx;
      const float d = std::sqrt(dx * dx + dy * dy);
      const float cover = coverage(d - radius);
      if (cover > 0)
        blendPixel(pixel(x, y), mixColor(inner, outer, clamp01(d / radius)), alpha * cover);
    }
  }
}

void Canvas::strokeRing(float cx, float cy, float radius, float thickness, Color color,
                        float alpha) {
  const float reach = radius + thickness / 2 + 1;
  const Span xs = span(cx - reach, cx + reach, width_);
  const Span ys = span(cy - reach, cy + reach, height_);
  for (int y = ys.lo; y < ys.hi; ++y) {
    const float dy = y + 0.5f - cy;
    for (int x = xs.lo; x < xs.hi; ++x) {
      const float dx = x + 0.5f - cx;
      const float d = std::sqrt(dx * dx + dy * dy);
      const float cover = coverage(std::fabs(d - radius) - thickness / 2);
      if (cover > 0) blendPixel(pixel(x, y), color, alpha * cover);
    }
  }
}

void Canvas::fillBand(float cx, float cy, float angle, float width, float softness, Color color,
                      float alpha) {
  const float nx = -std::sin(angle);
  const float ny = std::cos(angle);
  const float soft = std::max(1.0f, softness);
  // Coverage is zero once the distance from the band's axis passes `reach`.
  const float reach = width / 2 + soft / 2;
  for (int y = 0; y < height_; ++y) {
    const float along_y = (y + 0.5f - cy) * ny;
    Span xs{0, width_};
    if (std::fabs(nx) > 1e-6f) {
      const float a = cx - 0.5f + (-reach - along_y) / nx;
      const float b = cx - 0.5f + (reach - along_y) / nx;
      xs = span(std::min(a, b), std::max(a, b), width_);
    } else if (std::fabs(along_y) >= reach) {
      continue;
    }
    for (int x = xs.lo; x < xs.hi; ++x) {
      const float sd = std::fabs((x + 0.5f - cx) * nx + along_y) - width / 2;
      const float cover = clamp01(0.5f - sd / soft);
      if (cover > 0) blendPixel(pixel(x, y), color, alpha * cover);
    }
  }
}

void Canvas::strokeWave(float baseline, float amplitude, float wavelength, float phase,
                        float thickness, Color color, float alpha) {
  const Wave wave{baseline, amplitude, 2 * kPi / wavelength, phase};
  for (int x = 0; x < width_; ++x) {
    const float px = x + 0.5f;
    const float yc = wave.y(px);
    const float scale = wave.normalScale(px);
    const float reach = (thickness / 2 + 1) / scale;
    const Span ys = span(yc - reach, yc + reach, height_);
    for (int y = ys.lo; y < ys.hi; ++y) {
      const float sd = std::fabs(y + 0.5f - yc) * scale - thickness / 2;
      const float cover = coverage(sd);
      if (cover > 0) blendPixel(pixel(x, y), color, alpha * cover);
    }
  }
}

void Canvas::fillHill(float baseline, float amplitude, float wavelength, float phase, Color top,
                      Color bottom, float alpha) {
  const Wave wave{baseline, amplitude, 2 * kPi / wavelength, phase};
  const float crest = baseline - std::fabs(amplitude);
  const float depth = std::max(1.0f, height_ - crest);
  for (int x = 0; x < width_; ++x) {
    const float px = x + 0.5f;
    const float yc = wave.y(px);
    const float scale = wave.normalScale(px);
    for (int y = std::max(0, static_cast<int>(std::floor(yc - 1 / scale))); y < height_; ++y) {
      const float py = y + 0.5f;
      const float cover = coverage((yc - py) * scale);
      if (cover > 0)
        blendPixel(pixel(x, y), mixColor(top, bottom, clamp01((py - crest) / depth)),
                   alpha * cover);
    }
  }
}

void Canvas::fillStar(float cx, float cy, float outer, float inner, int points, float angle,
                      Color color, float alpha) {
  // In the wedge between a tip (angle 0, radius outer) and the next notch
  // (angle a, radius inner), the edge's distance from the centre along a ray
  // at angle phi is outer·inner·sin a / (inner·sin a·cos phi + (outer − inner·cos a)·sin phi).
  const float a = kPi / points;
  const float sin_a = std::sin(a);
  const float cos_a = std::cos(a);
  const Span xs = span(cx - outer - 1, cx + outer + 1, width_);
  const Span ys = span(cy - outer - 1, cy + outer + 1, height_);
  for (int y = ys.lo; y < ys.hi; ++y) {
    const float dy = y + 0.5f - cy;
    for (int x = xs.lo; x < xs.hi; ++x) {
      const float dx = x + 0.5f - cx;
      const float d = std::sqrt(dx * dx + dy * dy);
      float phi = std::fmod(std::atan2(dy, dx) - angle, 2 * a);
      if (phi < 0) phi += 2 * a;
      if (phi > a) phi = 2 * a - phi;
      const float edge = outer * inner * sin_a /
                         (inner * sin_a * std::cos(phi) + (outer - inner * cos_a) * std::sin(phi));
      const float cover = coverage(d - edge);
      if (cover > 0) blendPixel(pixel(x, y), color, alpha * cover);
    }
  }
}

}  // namespace aigate::plugins::local
